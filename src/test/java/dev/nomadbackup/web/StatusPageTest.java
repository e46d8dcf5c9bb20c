package dev.nomadbackup.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nomadbackup.status.BackupStatus;
import dev.nomadbackup.status.Run;
import dev.nomadbackup.status.RunOutcome;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class StatusPageTest {
  private static final Instant NOW = Instant.parse("2026-03-01T10:00:00.123456789Z");
  private static final URI NOMAD = URI.create("http://nomad.example:4646/");

  @Test
  void aHostileJobIdIsShownAsTextNeverAsMarkup() {
    String id = "<script>alert(1)</script>";
    String ns = "\"><img src=x onerror=alert(2)>";
    String html = StatusPage.html(List.of(failed(ns, id, "</td><script>alert(3)</script>")), NOW, NOMAD,
        "leading: <b>caught up</b>");
    assertFalse(html.contains("<script"), html);
    assertFalse(html.contains("<img"), html);
    assertFalse(html.contains("<b>"), html);
    assertTrue(html.contains(">&lt;script&gt;alert(1)&lt;/script&gt;</a>"), "the job's name as text: " + html);
    assertTrue(html.contains("data-job=\"&lt;script&gt;alert(1)&lt;/script&gt;\""), html);
    assertTrue(html.contains("data-namespace=\"&quot;&gt;&lt;img src=x onerror=alert(2)&gt;\""), html);
    assertTrue(html.contains("&lt;/td&gt;&lt;script&gt;alert(3)&lt;/script&gt;"), "the reason as text: " + html);
    assertTrue(html.contains("href=\"http://nomad.example:4646/ui/jobs/backup-%3Cscript%3Ealert%281%29%3C%2Fscript%3E@"
        + "%22%3E%3Cimg%20src%3Dx%20onerror%3Dalert%282%29%3E\""), "the link encodes it: " + html);
  }

  @Test
  void onlyMarkupOfTheTemplateRemains() {
    String html = StatusPage.html(List.of(failed("default", "<script>", "<script>")), NOW, NOMAD, "leading");
    Matcher tags = Pattern.compile("<([a-zA-Z!/][a-zA-Z0-9]*)").matcher(html);
    while (tags.find()) {
      assertTrue(List.of("!DOCTYPE", "html", "/html", "head", "/head", "meta", "title", "/title", "style", "/style",
          "body", "/body", "h1", "/h1", "p", "/p", "table", "/table", "thead", "/thead", "tbody", "/tbody", "tr", "/tr",
          "th", "/th", "td", "/td", "a", "/a").contains(tags.group(1)), "unexpected tag " + tags.group());
    }
    assertTrue(html.contains("&lt;script&gt;"), html);
  }

  @Test
  void aFailingJobIsMarkedAndItsReasonSitsBelowIt() {
    String html = StatusPage.html(List.of(failed("default", "ledger", "pg_dump: boom"), fine("orders")), NOW, NOMAD,
        "leading");
    assertTrue(html.contains("<tr class=\"failing\" data-namespace=\"default\" data-job=\"ledger\">"), html);
    assertTrue(html.contains("<td class=\"health\">failing</td></tr>\n<tr class=\"failing detail\"><td></td>"
        + "<td class=\"reason\" colspan=\"7\">pg_dump: boom (exit 2)</td></tr>"), html);
    assertTrue(html.contains("<tr class=\"ok\" data-namespace=\"default\" data-job=\"orders\">"), html);
    assertEquals(1, html.split("class=\"reason\"", -1).length - 1, "a reason row only for the failing job");
    assertTrue(html.contains("2 jobs protected, 1 failing or stale."), html);
  }

  @Test
  void theTimeOfThePageReadsLikeTheTimesInTheTable() {
    String html = StatusPage.html(List.of(fine("orders")), NOW, NOMAD, "leading");
    assertTrue(html.contains("As of 2026-03-01 10:00:00 UTC."), html);
  }

  @Test
  void noJobsIsSaidPlainly() {
    String html = StatusPage.html(List.of(), NOW, NOMAD, "standby: waiting for the lock");
    assertTrue(html.contains("0 jobs protected, 0 failing or stale. Operator: standby: waiting for the lock."), html);
  }

  private static BackupStatus failed(String ns, String job, String reason) {
    return new BackupStatus(ns, job, "backup-" + job, "@daily", "", false, NOW.minus(Duration.ofDays(2)),
        Optional.of(new Run("backup-" + job + "/periodic-1", NOW.minusSeconds(600), Optional.of(NOW.minusSeconds(590)),
            RunOutcome.FAILED, reason, Optional.of(2))),
        Optional.empty(), Optional.of(NOW.minusSeconds(590)), 1, 0, 1);
  }

  private static BackupStatus fine(String job) {
    return new BackupStatus("default", job, "backup-" + job, "@daily", "", false, NOW.minus(Duration.ofDays(2)),
        Optional.of(new Run("backup-" + job + "/periodic-1", NOW.minusSeconds(600), Optional.of(NOW.minusSeconds(590)),
            RunOutcome.SUCCEEDED, "", Optional.empty())),
        Optional.of(NOW.minusSeconds(590)), Optional.empty(), 0, 1, 0);
  }
}

package dev.nomadbackup.web;

import dev.nomadbackup.status.BackupStatus;
import dev.nomadbackup.status.StatusReport;
import dev.nomadbackup.status.StatusReport.Health;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;

/** The operator's one page: a row per protected job, the bad ones marked. No script, no outside assets. */
final class StatusPage {
  private static final DateTimeFormatter AS_OF = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss 'UTC'")
      .withZone(ZoneOffset.UTC);

  private StatusPage() {}

  static String html(List<BackupStatus> statuses, Instant now, URI nomadUi, String state) {
    long bad = statuses.stream().filter(s -> StatusReport.health(s, now).bad()).count();
    StringBuilder b = new StringBuilder(1024 + 400 * statuses.size());
    b.append("""
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>Backups</title>
        <style>
        body { font-family: system-ui, sans-serif; margin: 2rem; color: #1d1d1f; }
        h1 { font-size: 1.4rem; margin-bottom: .2rem; }
        p.summary { margin-top: 0; color: #555; }
        table { border-collapse: collapse; width: 100%; }
        th, td { text-align: left; padding: .45rem .7rem; border-bottom: 1px solid #ddd; vertical-align: top; }
        th { background: #f4f4f6; font-weight: 600; }
        tr.failing td, tr.stale td { background: #fde8e8; }
        tr.failing td.health, tr.stale td.health { color: #a50e0e; font-weight: 700; }
        tr.ok td.health { color: #1a7f37; font-weight: 600; }
        tr.suspended td { color: #777; }
        td.reason { font-family: ui-monospace, monospace; font-size: .85rem; color: #a50e0e; }
        </style>
        </head>
        <body>
        <h1>Backups</h1>
        """);
    b.append("<p class=\"summary\">").append(statuses.size()).append(statuses.size() == 1 ? " job" : " jobs")
        .append(" protected, ").append(bad).append(" failing or stale. Operator: ").append(escape(state))
        .append(". As of ").append(AS_OF.format(now)).append(".</p>\n");
    b.append("<table id=\"backups\">\n<thead><tr><th>Namespace</th><th>Job</th><th>Schedule</th>"
        + "<th>Last success</th><th>Last result</th><th>Next run</th><th>Suspended</th><th>Health</th></tr></thead>\n"
        + "<tbody>\n");
    for (BackupStatus s : statuses) {
      Health health = StatusReport.health(s, now);
      b.append("<tr class=\"").append(health.word()).append("\" data-namespace=\"").append(escape(s.namespace()))
          .append("\" data-job=\"").append(escape(s.job())).append("\">");
      cell(b, "namespace", s.namespace());
      b.append("<td class=\"job\"><a href=\"").append(escape(link(nomadUi, s))).append("\">")
          .append(escape(s.job())).append("</a></td>");
      cell(b, "schedule", s.schedule());
      cell(b, "last-success", StatusReport.lastSuccess(s, now));
      cell(b, "last-result", StatusReport.lastResult(s));
      cell(b, "next-run", StatusReport.nextRun(s, now));
      cell(b, "suspended", s.suspended() ? "yes" : "no");
      cell(b, "health", health.word());
      b.append("</tr>\n");
      if (health == Health.FAILING) {
        s.lastRun().filter(r -> !r.reason().isEmpty()).ifPresent(r -> b.append("<tr class=\"failing detail\">")
            .append("<td></td><td class=\"reason\" colspan=\"7\">")
            .append(escape(r.reason() + r.exitCode().map(c -> " (exit " + c + ")").orElse("")))
            .append("</td></tr>\n"));
      }
    }
    b.append("</tbody>\n</table>\n</body>\n</html>\n");
    return b.toString();
  }

  /** The backup job in Nomad's UI. */
  private static String link(URI nomadUi, BackupStatus s) {
    String base = nomadUi.toString().replaceAll("/+$", "");
    return base + "/ui/jobs/" + URLEncoder.encode(s.backupJob() + "@" + s.namespace(), StandardCharsets.UTF_8)
        .replace("+", "%20").replace("%40", "@");
  }

  private static void cell(StringBuilder b, String cls, String text) {
    b.append("<td class=\"").append(cls).append("\">").append(escape(text)).append("</td>");
  }

  static String escape(String s) {
    StringBuilder out = new StringBuilder(s.length());
    for (char c : s.toCharArray()) {
      switch (c) {
        case '<' -> out.append("&lt;");
        case '>' -> out.append("&gt;");
        case '&' -> out.append("&amp;");
        case '"' -> out.append("&quot;");
        case '\'' -> out.append("&#39;");
        default -> out.append(c);
      }
    }
    return out.toString();
  }
}

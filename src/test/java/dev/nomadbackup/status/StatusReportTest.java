package dev.nomadbackup.status;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nomadbackup.status.StatusReport.Health;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class StatusReportTest {
  private static final Instant NOW = Instant.parse("2026-03-01T10:00:00Z");

  @Test
  void agoCountsInTheUnitAPersonWouldSay() {
    assertEquals("0 s ago", StatusReport.ago(Duration.ZERO));
    assertEquals("89 s ago", StatusReport.ago(Duration.ofSeconds(89)));
    assertEquals("1 min ago", StatusReport.ago(Duration.ofSeconds(90)));
    assertEquals("89 min ago", StatusReport.ago(Duration.ofMinutes(89).plusSeconds(59)));
    assertEquals("1 h ago", StatusReport.ago(Duration.ofMinutes(90)));
    assertEquals("35 h ago", StatusReport.ago(Duration.ofHours(35).plusMinutes(59)));
    assertEquals("1 d ago", StatusReport.ago(Duration.ofHours(36)));
    assertEquals("400 d ago", StatusReport.ago(Duration.ofDays(400)));
  }

  @Test
  void aTimeInTheFutureIsNotNegative() {
    assertEquals("0 s ago", StatusReport.ago(Duration.ofSeconds(-30)), "a clock a little ahead of ours");
  }

  @Test
  void healthNamesWhatMattersMost() {
    assertEquals(Health.OK, StatusReport.health(succeededAgo("@daily", Duration.ofHours(3)), NOW));
    assertEquals(Health.STALE, StatusReport.health(succeededAgo("@daily", Duration.ofDays(3)), NOW),
        "no success within two days of a daily schedule");
    assertEquals(Health.OK, StatusReport.health(succeededAgo("@daily", Duration.ofHours(47)), NOW),
        "within two intervals still");
    assertEquals(Health.FAILING, StatusReport.health(lastRun(RunOutcome.FAILED, "exit status 1"), NOW));
    assertEquals(Health.FAILING, StatusReport.health(lastRun(RunOutcome.NOT_PLACED, "no node"), NOW));
    assertEquals(Health.WAITING, StatusReport.health(lastRun(RunOutcome.RUNNING, ""), NOW),
        "protected an hour ago, first run going");
    assertEquals(Health.WAITING, StatusReport.health(status("@daily", false, NOW.minusSeconds(60),
        Optional.empty(), Optional.empty()), NOW));
  }

  @Test
  void failingOutranksStaleAndSuspendedOutranksNothingBad() {
    BackupStatus failedLongAgo = status("@hourly", false, NOW.minus(Duration.ofDays(5)),
        Optional.of(run(RunOutcome.FAILED, "boom")), Optional.empty());
    assertTrue(failedLongAgo.stale(NOW));
    assertEquals(Health.FAILING, StatusReport.health(failedLongAgo, NOW));

    BackupStatus suspendedOld = status("@hourly", true, NOW.minus(Duration.ofDays(5)), Optional.empty(),
        Optional.of(NOW.minus(Duration.ofDays(4))));
    assertFalse(suspendedOld.stale(NOW), "a suspended job is not stale");
    assertEquals(Health.SUSPENDED, StatusReport.health(suspendedOld, NOW));
    assertFalse(Health.SUSPENDED.bad() || Health.WAITING.bad() || Health.OK.bad());
    assertTrue(Health.FAILING.bad() && Health.STALE.bad());
  }

  @Test
  void theTableLinesUpItsColumnsAndListsTheReasonsBelow() {
    BackupStatus fine = new BackupStatus("default", "orders", "backup-orders", "@daily", "", false,
        NOW.minus(Duration.ofDays(3)), Optional.of(run(RunOutcome.SUCCEEDED, "")),
        Optional.of(NOW.minus(Duration.ofHours(3))), Optional.empty(), 0, 3, 0);
    BackupStatus broken = new BackupStatus("shop", "ledger-long-name", "backup-ledger-long-name", "0 3 * * *", "",
        false, NOW.minus(Duration.ofHours(5)),
        Optional.of(new Run("backup-ledger-long-name/periodic-1", NOW.minusSeconds(600),
            Optional.of(NOW.minusSeconds(590)), RunOutcome.FAILED, "pg_dump: boom", Optional.of(2))),
        Optional.empty(), Optional.of(NOW.minusSeconds(590)), 1, 0, 1);
    assertEquals("""
        NAMESPACE  JOB               SCHEDULE   LAST SUCCESS  LAST RESULT  NEXT RUN              HEALTH
        default    orders            @daily     3 h ago       succeeded    2026-03-02 00:00 UTC  ok
        shop       ledger-long-name  0 3 * * *  never         failed       2026-03-02 03:00 UTC  failing

        shop/ledger-long-name: pg_dump: boom (exit 2)
        """, StatusReport.table(List.of(fine, broken), NOW));
  }

  @Test
  void aTableOfFineJobsHasNoReasonSection() {
    String table = StatusReport.table(List.of(succeededAgo("@daily", Duration.ofMinutes(5))), NOW);
    assertEquals(2, table.lines().count(), table);
    assertTrue(table.lines().allMatch(l -> l.equals(l.stripTrailing())), "no trailing blanks: " + table);
  }

  @Test
  void aSuspendedJobHasNoNextRun() {
    BackupStatus s = status("@daily", true, NOW.minus(Duration.ofDays(1)), Optional.empty(), Optional.empty());
    assertEquals("suspended", StatusReport.nextRun(s, NOW));
    assertEquals("never", StatusReport.lastSuccess(s, NOW));
    assertEquals("no run yet", StatusReport.lastResult(s));
  }

  private static BackupStatus succeededAgo(String schedule, Duration ago) {
    return status(schedule, false, NOW.minus(Duration.ofDays(10)), Optional.of(run(RunOutcome.SUCCEEDED, "")),
        Optional.of(NOW.minus(ago)));
  }

  private static BackupStatus lastRun(RunOutcome outcome, String reason) {
    return status("@daily", false, NOW.minus(Duration.ofHours(1)), Optional.of(run(outcome, reason)),
        Optional.empty());
  }

  private static BackupStatus status(String schedule, boolean suspended, Instant since, Optional<Run> lastRun,
      Optional<Instant> lastSuccess) {
    return new BackupStatus("default", "db", "backup-db", schedule, "", suspended, since, lastRun, lastSuccess,
        Optional.empty(), 0, 0, 0);
  }

  private static Run run(RunOutcome outcome, String reason) {
    return new Run("backup-db/periodic-1", NOW.minusSeconds(120),
        outcome.finished() ? Optional.of(NOW.minusSeconds(100)) : Optional.empty(), outcome, reason,
        Optional.empty());
  }
}

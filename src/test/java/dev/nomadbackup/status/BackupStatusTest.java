package dev.nomadbackup.status;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class BackupStatusTest {
  private static final Instant T0 = Instant.parse("2026-12-01T00:00:00Z");
  private final BackupStatus fresh = BackupStatus.protect("default", "db", "backup-db", "@daily", "", false, T0);

  private static Run run(long launch, RunOutcome outcome) {
    Instant at = T0.plusSeconds(launch);
    return new Run("backup-db/periodic-" + at.getEpochSecond(), at,
        outcome.finished() ? Optional.of(at.plusSeconds(12)) : Optional.empty(), outcome,
        outcome == RunOutcome.FAILED ? "pg_dump: error: database \"x\" does not exist" : "",
        outcome == RunOutcome.FAILED ? Optional.of(1) : Optional.empty());
  }

  @Test
  void aFinishedRunIsCountedOnceAndFailuresInARowAreCounted() {
    BackupStatus s = fresh.withRun(run(10, RunOutcome.RUNNING)).withRun(run(10, RunOutcome.FAILED));
    assertEquals(1, s.consecutiveFailures());
    assertSame(s, s.withRun(run(10, RunOutcome.FAILED)), "the same run again changes nothing");
    s = s.withRun(run(100, RunOutcome.FAILED));
    assertEquals(2, s.consecutiveFailures());
    assertEquals(2, s.failed());
    assertTrue(s.failing());
    s = s.withRun(run(200, RunOutcome.SUCCEEDED));
    assertEquals(0, s.consecutiveFailures());
    assertEquals(1, s.succeeded());
    assertEquals(Optional.of(T0.plusSeconds(212)), s.lastSuccess());
    assertFalse(s.failing());
  }

  @Test
  void newsOfAnOlderRunDoesNotReplaceAFinishedNewerOne() {
    BackupStatus s = fresh.withRun(run(200, RunOutcome.SUCCEEDED));
    assertSame(s, s.withRun(run(100, RunOutcome.FAILED)));
  }

  @Test
  void staleAfterTwoIntervalsWithoutSuccessUnlessSuspended() {
    assertFalse(fresh.stale(T0.plus(Duration.ofHours(47))));
    assertTrue(fresh.stale(T0.plus(Duration.ofHours(49))), "never succeeded: counted from protection");
    BackupStatus ok = fresh.withRun(run(3600, RunOutcome.SUCCEEDED));
    assertFalse(ok.stale(T0.plus(Duration.ofHours(49))));
    assertFalse(fresh.withSchedule("backup-db", "@daily", Optional.empty(), true).stale(T0.plus(Duration.ofDays(9))));
  }

  @Test
  void itsItemsReadBackAsTheSameStatus() {
    BackupStatus s = fresh.withRun(run(10, RunOutcome.FAILED)).withRun(run(100, RunOutcome.SUCCEEDED))
        .withSchedule("backup-db", "0 3 * * *", Optional.of("Europe/Berlin"), true);
    assertEquals(Optional.of(s), BackupStatus.fromItems(s.items()));
    assertEquals(Optional.empty(), BackupStatus.fromItems(java.util.Map.of("job", "x")));
  }
}

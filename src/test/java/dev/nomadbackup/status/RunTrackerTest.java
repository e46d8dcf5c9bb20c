package dev.nomadbackup.status;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.nomadbackup.nomad.Allocation;
import dev.nomadbackup.nomad.JobKey;
import dev.nomadbackup.nomad.RunSource;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.Delayed;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class RunTrackerTest {
  private static final Instant T0 = Instant.parse("2026-12-01T00:00:00Z");
  private static final JobKey DB = new JobKey("default", "db");
  private static final JobKey RUN = new JobKey("default", "backup-db/periodic-" + T0.plusSeconds(60).getEpochSecond());

  /** A run's allocations and evaluations as Nomad would answer, counting the calls. */
  private static final class FakeRuns implements RunSource {
    List<Allocation> allocations = List.of();
    Optional<String> unplaced = Optional.empty();
    final List<String> calls = new ArrayList<>();

    @Override
    public List<Allocation> allocations(JobKey run) {
      calls.add("allocations");
      return allocations;
    }

    @Override
    public Optional<String> placementFailure(JobKey run) {
      calls.add("evaluations");
      return unplaced;
    }

    @Override
    public String logTail(String namespace, String allocationId, String task, boolean stderr, int bytes) {
      calls.add("logs");
      return "pg_dump: error: connection refused\n";
    }
  }

  /** Holds the delayed look instead of waiting for it; the test runs it. */
  private static final class Later extends ScheduledThreadPoolExecutor {
    final List<Runnable> due = new ArrayList<>();

    Later() {
      super(1);
    }

    @Override
    public ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
      due.add(command);
      return null;
    }

    @Override
    public <V> ScheduledFuture<V> schedule(Callable<V> callable, long delay, TimeUnit unit) {
      throw new UnsupportedOperationException();
    }

    void runAll() {
      List<Runnable> now = List.copyOf(due);
      due.clear();
      now.forEach(Runnable::run);
    }
  }

  private final FakeRuns nomad = new FakeRuns();
  private final StatusBookTest.MemoryVariables vars = new StatusBookTest.MemoryVariables();
  private final StatusBook book = new StatusBook(vars, Clock.fixed(T0, ZoneOffset.UTC), false, Runnable::run);
  private final Later later = new Later();
  private final RunTracker tracker = new RunTracker(nomad, book, later);

  private static Allocation alloc(String status, boolean failed, int exit) {
    return new Allocation("a1", status, T0.plusSeconds(61), T0.plusSeconds(70), List.of(new Allocation.TaskEnd(
        "backup", "dead", failed, Optional.of(T0.plusSeconds(62)), Optional.of(T0.plusSeconds(69)),
        "Exit Code: " + exit, Optional.of(exit))));
  }

  private RunOutcome outcome() {
    return book.lastRun(DB).orElseThrow().outcome();
  }

  @Test
  void aRunThatStartsCostsNoReadAndOneThatEndsOneListingOfItsAllocations() throws Exception {
    book.protect(DB, "backup-db", "@daily", Optional.of("UTC"), false);
    tracker.observe(DB, RUN, "pending");
    tracker.observe(DB, RUN, "running");
    assertEquals(List.of(), nomad.calls, "the job's status says it all");
    assertEquals(RunOutcome.RUNNING, outcome());
    later.runAll();
    assertEquals(List.of(), nomad.calls, "running by the time it is looked at again: nothing to read");

    nomad.allocations = List.of(alloc("complete", false, 0));
    tracker.observe(DB, RUN, "dead");
    tracker.observe(DB, RUN, "dead");
    assertEquals(List.of("allocations"), nomad.calls);
    assertEquals(RunOutcome.SUCCEEDED, outcome());
    assertEquals(Optional.of(T0.plusSeconds(69)), book.lastRun(DB).orElseThrow().end());
  }

  @Test
  void aRunThatFailsNamesTheToolsLastLine() throws Exception {
    book.protect(DB, "backup-db", "@daily", Optional.of("UTC"), false);
    nomad.allocations = List.of(alloc("failed", true, 1));
    tracker.observe(DB, RUN, "dead");
    Run run = book.lastRun(DB).orElseThrow();
    assertEquals(RunOutcome.FAILED, run.outcome());
    assertEquals("pg_dump: error: connection refused", run.reason());
    assertEquals(Optional.of(1), run.exitCode());
    assertEquals(List.of("allocations", "logs"), nomad.calls);
  }

  @Test
  void aRunStillPendingIsLookedAtOnceMoreAndThenNotPlacedWithNomadsReason() throws Exception {
    book.protect(DB, "backup-db", "@daily", Optional.of("UTC"), false);
    tracker.observe(DB, RUN, "pending");
    assertEquals(List.of(), nomad.calls);
    nomad.unplaced = Optional.of("missing drivers");
    later.runAll();
    assertEquals(List.of("allocations", "evaluations"), nomad.calls);
    assertEquals(RunOutcome.NOT_PLACED, outcome());
    assertEquals("missing drivers", book.lastRun(DB).orElseThrow().reason());
    assertEquals(List.of(), later.due, "looked at once");

    tracker.observe(DB, RUN, "pending"); // the blocked evaluation's own event
    assertEquals(2, nomad.calls.size(), "known not placed: no read");
    assertEquals(RunOutcome.NOT_PLACED, outcome());
    assertEquals(List.of(), later.due);
  }
}

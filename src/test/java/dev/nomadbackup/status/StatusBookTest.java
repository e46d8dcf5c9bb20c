package dev.nomadbackup.status;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nomadbackup.nomad.JobKey;
import dev.nomadbackup.nomad.VariableStore;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class StatusBookTest {
  private static final Instant T0 = Instant.parse("2026-12-01T00:00:00Z");
  private static final JobKey DB = new JobKey("team-a", "db");

  /** Variables in memory, counting writes. */
  static final class MemoryVariables implements VariableStore {
    final Map<String, Variable> vars = new HashMap<>();
    final List<String> writes = new ArrayList<>();
    long index = 10;

    @Override
    public List<Variable> list(String namespace, String prefix) {
      return vars.values().stream().filter(v -> v.path().startsWith(prefix)).toList();
    }

    @Override
    public Optional<Variable> read(String namespace, String path) {
      return Optional.ofNullable(vars.get(namespace + ":" + path));
    }

    @Override
    public long write(String namespace, String path, Map<String, String> items, long expectedIndex) {
      writes.add(path);
      vars.put(namespace + ":" + path, new Variable(namespace, path, items, ++index));
      return index;
    }

    @Override
    public void delete(String namespace, String path) {
      vars.remove(namespace + ":" + path);
    }
  }

  private final MemoryVariables vars = new MemoryVariables();
  private final StatusBook book = new StatusBook(vars, Clock.fixed(T0, ZoneOffset.UTC), false, Runnable::run);

  private static Run run(String id, RunOutcome outcome) {
    return new Run(id, T0.plusSeconds(60), outcome.finished() ? Optional.of(T0.plusSeconds(70)) : Optional.empty(),
        outcome, "", Optional.empty());
  }

  @Test
  void aRunCostsOneWriteWhenItFinishes() throws Exception {
    book.protect(DB, "backup-db", "@daily", Optional.of(""), false);
    assertEquals(1, vars.writes.size());
    book.protect(DB, "backup-db", "@daily", Optional.empty(), false);
    assertEquals(1, vars.writes.size(), "nothing changed, nothing written");
    book.record(DB, run("backup-db/periodic-1", RunOutcome.PENDING));
    book.record(DB, run("backup-db/periodic-1", RunOutcome.RUNNING));
    assertEquals(1, vars.writes.size(), "a run that starts is not written");
    assertEquals(RunOutcome.RUNNING, book.get(DB).orElseThrow().lastRun().orElseThrow().outcome());
    book.record(DB, run("backup-db/periodic-1", RunOutcome.SUCCEEDED));
    book.record(DB, run("backup-db/periodic-1", RunOutcome.SUCCEEDED));
    assertEquals(2, vars.writes.size());
    assertEquals(List.of("nomad-backup-operator/status/db", "nomad-backup-operator/status/db"), vars.writes);
  }

  @Test
  void whatIsStoredSurvivesANewBookAndAnOddJobIdGetsAValidPath() throws Exception {
    book.protect(DB, "backup-db", "@daily", Optional.of(""), false);
    book.record(DB, run("backup-db/periodic-1", RunOutcome.FAILED));
    StatusBook next = new StatusBook(vars, Clock.fixed(T0, ZoneOffset.UTC), false, Runnable::run);
    next.load();
    assertEquals(1, next.get(DB).orElseThrow().consecutiveFailures());
    assertTrue(next.knowsFinished(DB, "backup-db/periodic-1"));
    assertTrue(StatusBook.path("db.v2 (eu)").matches("nomad-backup-operator/status/[A-Za-z0-9_~-]+"),
        StatusBook.path("db.v2 (eu)"));
  }

  @Test
  void aJobNoLongerProtectedLosesItsStatus() throws Exception {
    book.protect(DB, "backup-db", "@daily", Optional.of(""), false);
    book.unprotect(DB);
    assertTrue(book.get(DB).isEmpty());
    assertTrue(vars.vars.isEmpty());
    book.record(DB, run("backup-db/periodic-1", RunOutcome.SUCCEEDED));
    assertTrue(book.get(DB).isEmpty(), "a late run of a removed backup is not a status");
  }

  @Test
  void aNewlyProtectedJobCostsTheReconcileNoCallAndKeepsWhatNomadAlreadyHeld() throws Exception {
    book.protect(DB, "backup-db", "@daily", Optional.of(""), false);
    book.record(DB, run("backup-db/periodic-1", RunOutcome.FAILED));
    List<Runnable> later = new ArrayList<>();
    StatusBook next = new StatusBook(vars, Clock.fixed(T0.plusSeconds(3600), ZoneOffset.UTC), false, later::add);
    int writes = vars.writes.size();

    next.protect(DB, "backup-db", "@hourly", Optional.empty(), false); // no load: its term's load failed, say
    assertEquals(writes, vars.writes.size(), "nothing written on the reconciler's way");
    assertEquals(1, later.size());
    later.get(0).run();

    BackupStatus adopted = next.get(DB).orElseThrow();
    assertEquals("@hourly", adopted.schedule());
    assertEquals(1, adopted.consecutiveFailures(), "the history Nomad held counts");
    assertEquals(T0, adopted.since());
    assertEquals(writes + 1, vars.writes.size());
  }
}

package dev.nomadbackup.status;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nomadbackup.nomad.ApiErrors;
import dev.nomadbackup.nomad.JobKey;
import dev.nomadbackup.nomad.NomadApiException;
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

  /** Variables in memory, counting every call; writes are conditional, as Nomad's. */
  static final class MemoryVariables implements VariableStore {
    final Map<String, Variable> vars = new HashMap<>();
    final List<String> writes = new ArrayList<>();
    final List<String> reads = new ArrayList<>();
    int lists;
    long index = 10;

    @Override
    public List<Variable> list(String namespace, String prefix) {
      lists++;
      return vars.values().stream().filter(v -> v.path().startsWith(prefix))
          .map(v -> new Variable(v.namespace(), v.path(), Map.of(), v.modifyIndex())).toList();
    }

    @Override
    public Optional<Variable> read(String namespace, String path) {
      reads.add(path);
      return Optional.ofNullable(vars.get(namespace + ":" + path));
    }

    @Override
    public long write(String namespace, String path, Map<String, String> items, long expectedIndex)
        throws NomadApiException {
      Variable now = vars.get(namespace + ":" + path);
      if ((now == null ? 0 : now.modifyIndex()) != expectedIndex) {
        throw ApiErrors.of(409, "PUT /v1/var/" + path, "cas error");
      }
      writes.add(path);
      vars.put(namespace + ":" + path, new Variable(namespace, path, items, ++index));
      return index;
    }

    /** A write by someone else: a former leader, a person. */
    void put(String namespace, String path, Map<String, String> items) {
      vars.put(namespace + ":" + path, new Variable(namespace, path, items, ++index));
    }

    Map<String, String> items(JobKey job) {
      return vars.get(job.namespace() + ":" + StatusBook.path(job.jobId())).items();
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

  @Test
  void aRestartThatChangesNothingWritesNothingAndReadsEachStatusOnce() throws Exception {
    book.protect(DB, "backup-db", "@daily", Optional.of("UTC"), false);
    book.record(DB, run("backup-db/periodic-1", RunOutcome.FAILED));
    int writes = vars.writes.size();
    vars.reads.clear();
    List<Runnable> later = new ArrayList<>();
    StatusBook next = new StatusBook(vars, Clock.fixed(T0.plusSeconds(3600), ZoneOffset.UTC), false, later::add);

    // the new term's first reconciles come before its load: unrendered (unchanged) and rendered
    next.protect(DB, "backup-db", "@daily", Optional.empty(), false);
    next.protect(DB, "backup-db", "@daily", Optional.of("UTC"), false);
    assertEquals(List.of(), next.all(), "not shown as new before what Nomad holds is known");
    next.load();
    later.forEach(Runnable::run);

    assertEquals(writes, vars.writes.size(), "nothing changed, nothing written");
    assertEquals(1, vars.reads.size(), "one read, by the load");
    BackupStatus status = next.get(DB).orElseThrow();
    assertEquals(1, status.consecutiveFailures());
    assertEquals(T0, status.since());
    assertEquals(List.of(status), next.all());
  }

  @Test
  void aTemplateChangeWritesOnlyWhatChanged() throws Exception {
    JobKey other = new JobKey("team-a", "web");
    book.protect(DB, "backup-db", "@daily", Optional.of("UTC"), false);
    book.protect(other, "backup-web", "@daily", Optional.of("UTC"), false);
    StatusBook next = new StatusBook(vars, Clock.fixed(T0.plusSeconds(3600), ZoneOffset.UTC), false, Runnable::run);
    next.load();
    int writes = vars.writes.size();
    vars.reads.clear();

    next.protect(DB, "backup-db", "@daily", Optional.of("UTC"), false); // backup rewritten, same schedule
    next.protect(other, "backup-web", "@daily", Optional.empty(), false); // backup unchanged
    next.protect(other, "backup-web", "@daily", Optional.of("UTC"), true); // suspended
    assertEquals(writes + 1, vars.writes.size(), "only the suspension is written");
    assertEquals(List.of(), vars.reads, "the load's modify index makes the write conditional without a read");
    assertEquals("true", vars.items(other).get("suspended"));
  }

  @Test
  void aLaterTermReadsOnlyTheStatusesThatChangedSince() throws Exception {
    JobKey other = new JobKey("team-a", "web");
    book.protect(DB, "backup-db", "@daily", Optional.of("UTC"), false);
    book.protect(other, "backup-web", "@daily", Optional.of("UTC"), false);
    vars.reads.clear();
    book.load();
    assertEquals(List.of(), vars.reads, "written by this process at the listed index: nothing to read");

    Map<String, String> edited = new HashMap<>(vars.items(other));
    edited.put("runs_succeeded", "7"); // by a leader in between
    vars.put("team-a", StatusBook.path("web"), edited);
    book.load();
    assertEquals(List.of(StatusBook.path("web")), vars.reads);
    assertEquals(7, book.get(other).orElseThrow().succeeded());
  }

  @Test
  void aJobFirstProtectedAfterTheLoadIsWrittenWithoutARead() throws Exception {
    book.load();
    vars.reads.clear();
    book.protect(DB, "backup-db", "@daily", Optional.of("UTC"), false);
    assertEquals(List.of(), vars.reads, "the load saw nothing stored for it");
    assertEquals(1, vars.writes.size());
    assertTrue(book.get(DB).isPresent());
  }

  @Test
  void aWriteThatLosesGoesOnTopOfWhatTheOtherWriterRecorded() throws Exception {
    book.protect(DB, "backup-db", "@daily", Optional.of("UTC"), false);
    StatusBook deposed = new StatusBook(vars, Clock.fixed(T0, ZoneOffset.UTC), false, Runnable::run);
    deposed.load();
    deposed.record(DB, run("backup-db/periodic-1", RunOutcome.SUCCEEDED)); // a former leader's last write

    book.record(DB, new Run("backup-db/periodic-2", T0.plusSeconds(120), Optional.of(T0.plusSeconds(130)),
        RunOutcome.FAILED, "boom", Optional.of(1)));

    BackupStatus stored = BackupStatus.fromItems(vars.items(DB)).orElseThrow();
    assertEquals(1, stored.succeeded(), "the other writer's run counts");
    assertEquals(1, stored.failed());
    assertEquals("backup-db/periodic-2", stored.lastRun().orElseThrow().id());
    assertEquals(stored, book.get(DB).orElseThrow());
  }

  @Test
  void aStartWithAnUpToDateDigestReadsItAndNoStatusAndWritesNothing() throws Exception {
    book.load();
    for (int i = 0; i < 50; i++) {
      JobKey job = new JobKey(i % 2 == 0 ? "team-a" : "team-b", "db-" + i);
      book.protect(job, "backup-db-" + i, "@daily", Optional.of("UTC"), false);
      book.record(job, run("backup-db-" + i + "/periodic-1", i % 3 == 0 ? RunOutcome.FAILED : RunOutcome.SUCCEEDED));
    }
    int before = vars.writes.size();
    book.flushDigest();
    assertEquals(before + 2, vars.writes.size(), "one chunk per namespace");
    book.flushDigest();
    assertEquals(before + 2, vars.writes.size(), "nothing changed, nothing written");

    vars.reads.clear();
    StatusBook next = new StatusBook(vars, Clock.fixed(T0.plusSeconds(3600), ZoneOffset.UTC), false, Runnable::run);
    next.load();
    assertEquals(2, vars.reads.size(), "the two chunks, no status: " + vars.reads);
    assertEquals(book.all(), next.all());
    next.flushDigest();
    assertEquals(before + 2, vars.writes.size());
  }

  @Test
  void aStatusWrittenAfterTheDigestIsReadOnItsOwnAndTheDigestCatchesUp() throws Exception {
    book.load();
    JobKey web = new JobKey("team-a", "web");
    book.protect(DB, "backup-db", "@daily", Optional.of("UTC"), false);
    book.protect(web, "backup-web", "@daily", Optional.of("UTC"), false);
    book.flushDigest();
    book.record(web, run("backup-web/periodic-1", RunOutcome.FAILED)); // the digest is behind now

    vars.reads.clear();
    StatusBook next = new StatusBook(vars, Clock.fixed(T0.plusSeconds(3600), ZoneOffset.UTC), false, Runnable::run);
    next.load();
    assertEquals(List.of(StatusDigest.chunkPath(0), StatusBook.path("web")), vars.reads);
    assertEquals(1, next.get(web).orElseThrow().consecutiveFailures(), "never what the digest says of an older write");
    int writes = vars.writes.size();
    next.flushDigest();
    assertEquals(writes + 1, vars.writes.size());

    vars.reads.clear();
    StatusBook third = new StatusBook(vars, Clock.fixed(T0.plusSeconds(7200), ZoneOffset.UTC), false, Runnable::run);
    third.load();
    assertEquals(List.of(StatusDigest.chunkPath(0)), vars.reads);
    assertEquals(next.all(), third.all());
    assertEquals(2, StatusBook.readAll(vars).size(), "the status command reads statuses, not the digest");
  }

  @Test
  void aDigestChunkStaysUnderNomadsLimitAndReadsBackAsWritten() {
    List<StatusDigest.Packed> all = new ArrayList<>();
    java.util.Random random = new java.util.Random(7);
    for (int i = 0; i < 3000; i++) {
      Map<String, String> items = new HashMap<>(BackupStatus.protect("team-a", "job-" + i, "backup-job-" + i,
          "@daily", "UTC", false, T0).items());
      items.put("last_run_reason", Long.toHexString(random.nextLong()) + Long.toHexString(random.nextLong()));
      all.add(new StatusDigest.Packed(StatusBook.path("job-" + i), 100 + i, items));
    }
    List<Map<String, String>> chunks = StatusDigest.encode(all);
    List<StatusDigest.Packed> back = new ArrayList<>();
    for (Map<String, String> chunk : chunks) {
      int size = chunk.entrySet().stream().mapToInt(e -> e.getKey().length() + e.getValue().length()).sum();
      assertTrue(size <= StatusDigest.MAX_BYTES, "chunk of " + size + " bytes");
      back.addAll(StatusDigest.decode(chunk).orElseThrow());
    }
    assertTrue(chunks.size() > 1 && chunks.size() < 30, chunks.size() + " chunks");
    assertEquals(all.stream().sorted((a, b) -> a.path().compareTo(b.path())).toList(), back);
  }
}

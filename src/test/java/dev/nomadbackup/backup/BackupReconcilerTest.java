package dev.nomadbackup.backup;

import static dev.nomadbackup.testing.FakeNomad.CHILDREN;
import static dev.nomadbackup.testing.FakeNomad.FORCE;
import static dev.nomadbackup.testing.FakeNomad.PARSE;
import static dev.nomadbackup.testing.FakeNomad.PURGE;
import static dev.nomadbackup.testing.FakeNomad.READ;
import static dev.nomadbackup.testing.FakeNomad.REGISTER;
import static dev.nomadbackup.testing.FakeNomad.VALIDATE;
import static dev.nomadbackup.testing.FakeNomad.VERSIONS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nomadbackup.backup.template.TemplateCatalog;
import dev.nomadbackup.controller.Outcome;
import dev.nomadbackup.nomad.JobCache;
import dev.nomadbackup.nomad.JobKey;
import dev.nomadbackup.nomad.NomadApiException;
import dev.nomadbackup.nomad.NomadJob;
import dev.nomadbackup.testing.FakeNomad;
import dev.nomadbackup.testing.LogCapture;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Every decision of the reconciler, against an in-memory Nomad, with the built-in templates. */
final class BackupReconcilerTest {
  private static final JobKey SOURCE = new JobKey("default", "app");
  private static final JobKey BACKUP = new JobKey("default", "backup-app");
  private static final JobKey RESTORE = new JobKey("default", "restore-app");

  private static TemplateCatalog templates;

  private final FakeNomad nomad = new FakeNomad();
  private final JobCache cache = new JobCache();
  private final LogCapture log = LogCapture.attach();
  private BackupReconciler reconciler = reconciler(false, true);

  @BeforeAll
  static void loadTemplates() throws Exception {
    templates = TemplateCatalog.load(Optional.empty());
  }

  @AfterEach
  void detachLog() {
    log.close();
  }

  // --- create, leave, update ------------------------------------------------------------------

  @Test
  void createsBackupAndRestoreJobsForAJobThatOptsIn() throws IOException {
    nomad.put(source(optIn()));

    assertEquals(Outcome.CREATED, reconciler.reconcile(SOURCE));

    assertEquals(List.of("backup-app@0", "restore-app@0"), nomad.calls(REGISTER));
    ObjectNode backup = nomad.stored(BACKUP).orElseThrow();
    assertEquals("batch", backup.path("Type").asText());
    assertEquals("@daily", backup.path("Periodic").path("Spec").asText());
    assertTrue(backup.path("Periodic").path("Enabled").asBoolean());
    assertOwnedBy("app", backup);
    ObjectNode restore = nomad.stored(RESTORE).orElseThrow();
    assertTrue(restore.path("ParameterizedJob").isObject());
    assertOwnedBy("app", restore);
    assertTrue(nomad.parsedHcl().get(0).matches("(?s).*PGDATABASE\\s+= \"orders\".*"), nomad.parsedHcl().get(0));
    assertTrue(log.contains("Backup created: backup-app"), log.lines().toString());
    assertTrue(log.contains("Restore job created: restore-app"), log.lines().toString());
  }

  @Test
  void parsesAndRegistersInTheSourcesNamespace() throws IOException {
    JobKey source = new JobKey("team-a", "app");
    nomad.put(FakeNomad.service("team-a", "app", optIn()));

    assertEquals(Outcome.CREATED, reconciler.reconcile(source));

    assertEquals(List.of("team-a", "team-a"), nomad.calls(PARSE));
    assertEquals(List.of("team-a/backup-app@0", "team-a/restore-app@0"), nomad.calls(REGISTER));
    assertTrue(nomad.stored(new JobKey("team-a", "backup-app")).isPresent());
    assertFalse(nomad.stored(BACKUP).isPresent());
  }

  @Test
  void writesNothingWhenTheBackupIsAsRenderedAndReadsNothingTheCacheKnows() throws IOException {
    nomad.put(source(optIn()));
    reconciler.reconcile(SOURCE);
    int calls = nomad.calls().size();

    assertEquals(Outcome.UNCHANGED, reconciler.reconcile(SOURCE));

    assertEquals(List.of(), nomad.calls().subList(calls, nomad.calls().size()), "no call at all");
    assertFalse(log.contains("Backup updated: backup-app"), "an unchanged backup is not news (it logs at debug)");
  }

  @Test
  void writesNothingWhenTheBackupIsAsRenderedAfterARestart() throws IOException {
    nomad.put(source(optIn()));
    reconciler.reconcile(SOURCE);
    BackupReconciler restarted = new BackupReconciler(nomad, templates, new JobCache(), RunLedger.NONE, false, true);
    int reads = nomad.calls(READ).size();

    assertEquals(Outcome.UNCHANGED, restarted.reconcile(SOURCE));

    assertEquals(2, nomad.writes().size(), "only the first reconcile's two registrations");
    assertEquals(List.of("app", "backup-app", "restore-app"),
        nomad.calls(READ).subList(reads, nomad.calls(READ).size()), "an empty cache reads what it compares");
  }

  @Test
  void rewritesTheBackupWhenTheRenderedSpecChanges() throws IOException {
    nomad.put(source(optIn()));
    reconciler.reconcile(SOURCE);
    long backupIndex = nomad.stored(BACKUP).orElseThrow().path("JobModifyIndex").asLong();
    nomad.update(SOURCE, job -> ((ObjectNode) job.get("Meta")).put("backup-schedule", "@hourly"));
    cache.forget(SOURCE); // as its event would

    assertEquals(Outcome.UPDATED, reconciler.reconcile(SOURCE));

    assertEquals(List.of("backup-app@0", "restore-app@0", "backup-app@" + backupIndex), nomad.calls(REGISTER),
        "a conditional write of the backup; the restore job renders as before");
    assertEquals("@hourly", nomad.stored(BACKUP).orElseThrow().path("Periodic").path("Spec").asText());
    assertTrue(log.contains("Backup updated: backup-app"));
  }

  @Test
  void registersAStoppedBackupAgainThoughItsSpecIsTheSame() throws IOException {
    nomad.put(source(optIn()));
    reconciler.reconcile(SOURCE);
    long stoppedAt = nomad.update(BACKUP, job -> job.put("Stop", true));
    cache.forget(BACKUP);

    assertEquals(Outcome.UPDATED, reconciler.reconcile(SOURCE));

    assertEquals("backup-app@" + stoppedAt, last(nomad.calls(REGISTER)));
    assertFalse(nomad.stored(BACKUP).orElseThrow().path("Stop").asBoolean());
  }

  // --- changes made by hand -----------------------------------------------------------------------

  /** What {@code nomad job run} of an edited copy does: a new version, with the operator's meta kept. */
  private long editByHand(JobKey key) {
    return nomad.update(key, job -> {
      ((ObjectNode) job.path("Periodic")).put("Spec", "0 5 * * *");
      for (com.fasterxml.jackson.databind.JsonNode group : job.path("TaskGroups")) {
        for (com.fasterxml.jackson.databind.JsonNode task : group.path("Tasks")) {
          ((ObjectNode) task.path("Config")).put("image", "busybox:latest");
        }
      }
    });
  }

  @Test
  void putsBackABackupChangedByHandThatKeptItsMeta() throws IOException {
    nomad.put(source(optIn()));
    reconciler.reconcile(SOURCE);
    ObjectNode rendered = nomad.stored(BACKUP).orElseThrow();
    long editedAt = editByHand(BACKUP);
    cache.observed(NomadJob.fromJson(nomad.stored(BACKUP).orElseThrow())); // its event

    assertEquals(Outcome.UPDATED, reconciler.reconcile(SOURCE));

    assertEquals("backup-app@" + editedAt, last(nomad.calls(REGISTER)), "a conditional write over the edit");
    ObjectNode now = nomad.stored(BACKUP).orElseThrow();
    assertEquals(rendered.path("Periodic"), now.path("Periodic"));
    assertEquals(rendered.path("TaskGroups"), now.path("TaskGroups"));
    assertEquals(2, now.path("Version").asLong(), "created 0, edited 1, put back 2");
    assertEquals("2", now.path("Meta").path("backup-operator-version").asText());
    assertTrue(log.contains("    Backup restored: backup-app (changed outside the operator)"), log.lines().toString());
    assertEquals(3, nomad.calls(REGISTER).size(), "the restore job was not touched: " + nomad.calls(REGISTER));

    int calls = nomad.calls().size();
    cache.observed(NomadJob.fromJson(nomad.stored(BACKUP).orElseThrow())); // the operator's own write's event
    assertEquals(Outcome.UNCHANGED, reconciler.reconcile(SOURCE));
    assertEquals(List.of(), nomad.calls().subList(calls, nomad.calls().size()), "put back once, and then left");
  }

  @Test
  void putsBackARestoreJobChangedByHand() throws IOException {
    nomad.put(source(optIn()));
    reconciler.reconcile(SOURCE);
    ObjectNode rendered = nomad.stored(RESTORE).orElseThrow();
    nomad.update(RESTORE, job -> job.put("Priority", 90));
    cache.observed(NomadJob.fromJson(nomad.stored(RESTORE).orElseThrow()));

    assertEquals(Outcome.UNCHANGED, reconciler.reconcile(SOURCE), "the backup job is as rendered");

    assertEquals(rendered.path("Priority"), nomad.stored(RESTORE).orElseThrow().path("Priority"));
    assertTrue(log.contains("    Restore job restored: restore-app (changed outside the operator)"),
        log.lines().toString());
  }

  @Test
  void aNewTermListsTheVersionsOfItsJobsOnceAndReadsNone() throws IOException {
    nomad.put(source(optIn()));
    nomad.put(FakeNomad.service("default", "other", optIn()));
    reconciler.reconcile(SOURCE);
    reconciler.reconcile(new JobKey("default", "other"));
    JobCache fresh = new JobCache();
    BackupReconciler next = new BackupReconciler(nomad, templates, fresh, RunLedger.NONE, false, true);
    fresh.listed("*", nomad.listJobs("*"));
    int calls = nomad.calls().size();

    assertEquals(Outcome.UNCHANGED, next.reconcile(SOURCE));
    assertEquals(Outcome.UNCHANGED, next.reconcile(new JobKey("default", "other")));
    assertEquals(List.of(new FakeNomad.Call(VERSIONS, "default")), nomad.calls().subList(calls, nomad.calls().size()),
        "a stub has no version: one listing of versions for the namespace, no read");

    calls = nomad.calls().size();
    fresh.listed("*", nomad.listJobs("*")); // the next resync
    assertEquals(Outcome.UNCHANGED, next.reconcile(SOURCE));
    assertEquals(List.of("list"), nomad.calls().subList(calls, nomad.calls().size()).stream()
        .map(FakeNomad.Call::op).toList(), "a resync of untouched jobs costs no call per job");
    assertEquals(4, nomad.writes().size());
  }

  @Test
  void aNewTermReadsEachOwnedJobOnceWhereNomadListsNoVersions() throws IOException {
    nomad.put(source(optIn()));
    reconciler.reconcile(SOURCE);
    nomad.versionListing(false); // a Nomad before 1.8
    JobCache fresh = new JobCache();
    BackupReconciler next = new BackupReconciler(nomad, templates, fresh, RunLedger.NONE, false, true);
    fresh.listed("*", nomad.listJobs("*"));
    int reads = nomad.calls(READ).size();

    assertEquals(Outcome.UNCHANGED, next.reconcile(SOURCE));
    assertEquals(List.of("backup-app", "restore-app"), nomad.calls(READ).subList(reads, nomad.calls(READ).size()),
        "a stub has no version: read once");
    assertEquals(List.of("default"), nomad.calls(VERSIONS), "asked once in the term, not once per job");

    int calls = nomad.calls().size();
    fresh.listed("*", nomad.listJobs("*")); // the next resync
    assertEquals(Outcome.UNCHANGED, next.reconcile(SOURCE));
    assertEquals(List.of("list"), nomad.calls().subList(calls, nomad.calls().size()).stream()
        .map(FakeNomad.Call::op).toList(), "later listings keep what the reads learnt");
    assertEquals(2, nomad.writes().size());
  }

  @Test
  void aJobChangedAfterTheListingOfVersionsIsReadForItsOwn() throws IOException {
    nomad.put(source(optIn()));
    reconciler.reconcile(SOURCE);
    JobCache fresh = new JobCache();
    BackupReconciler next = new BackupReconciler(nomad, templates, fresh, RunLedger.NONE, false, true);
    fresh.listed("*", nomad.listJobs("*"));
    editByHand(BACKUP); // after the listing of stubs, before that of versions: the stub is older

    assertEquals(Outcome.UPDATED, next.reconcile(SOURCE));

    assertEquals(List.of("backup-app"), nomad.calls(READ).subList(nomad.calls(READ).size() - 1,
        nomad.calls(READ).size()), "its stub's modify index is not the one its version was listed at");
    assertTrue(log.contains("    Backup restored: backup-app (changed outside the operator)"), log.lines().toString());
    assertEquals("@daily", nomad.stored(BACKUP).orElseThrow().path("Periodic").path("Spec").asText());
  }

  @Test
  void aBackupChangedByHandWhileNobodyWatchedIsPutBackByTheNextTerm() throws IOException {
    nomad.put(source(optIn()));
    reconciler.reconcile(SOURCE);
    editByHand(BACKUP);
    JobCache fresh = new JobCache();
    fresh.listed("*", nomad.listJobs("*"));
    int reads = nomad.calls(READ).size();

    assertEquals(Outcome.UPDATED,
        new BackupReconciler(nomad, templates, fresh, RunLedger.NONE, false, true).reconcile(SOURCE));

    assertTrue(log.contains("    Backup restored: backup-app (changed outside the operator)"), log.lines().toString());
    assertEquals("@daily", nomad.stored(BACKUP).orElseThrow().path("Periodic").path("Spec").asText());
    assertEquals(reads, nomad.calls(READ).size(), "the listing of versions told");
  }

  @Test
  void aRestoreJobChangedByHandWhileNobodyWatchedIsPutBackByTheNextTerm() throws IOException {
    nomad.put(source(optIn()));
    reconciler.reconcile(SOURCE);
    ObjectNode rendered = nomad.stored(RESTORE).orElseThrow();
    nomad.update(RESTORE, job -> job.put("Priority", 90));
    JobCache fresh = new JobCache();
    fresh.listed("*", nomad.listJobs("*"));

    assertEquals(Outcome.UNCHANGED,
        new BackupReconciler(nomad, templates, fresh, RunLedger.NONE, false, true).reconcile(SOURCE));

    assertEquals(rendered.path("Priority"), nomad.stored(RESTORE).orElseThrow().path("Priority"));
    assertTrue(log.contains("    Restore job restored: restore-app (changed outside the operator)"),
        log.lines().toString());
  }

  // --- someone else's jobs ----------------------------------------------------------------------

  @Test
  void neverWritesABackupNamedJobItDoesNotOwn() throws IOException {
    nomad.put(source(optIn()));
    nomad.put(FakeNomad.service("default", "backup-app", Map.of("team", "db")));
    ObjectNode before = nomad.stored(BACKUP).orElseThrow();

    assertEquals(Outcome.CONFLICT, reconciler.reconcile(SOURCE));

    assertEquals(List.of(), nomad.writes());
    assertEquals(List.of(), nomad.calls(PARSE));
    assertEquals(before, nomad.stored(BACKUP).orElseThrow());
    assertTrue(log.contains("Conflict: backup-app exists and is not managed by the operator; leaving it alone"));
  }

  @Test
  void neverPurgesABackupNamedJobItDoesNotOwn() throws IOException {
    nomad.put(FakeNomad.service("default", "backup-app", Map.of()));

    assertEquals(Outcome.CONFLICT, reconciler.reconcile(SOURCE));

    assertEquals(List.of(), nomad.writes());
    assertTrue(nomad.stored(BACKUP).isPresent());
    assertTrue(log.contains("Left alone: backup-app is not managed by the operator"));
  }

  @Test
  void leavesAForeignRestoreJobAloneAndStillMakesTheBackup() throws IOException {
    nomad.put(source(optIn()));
    nomad.put(FakeNomad.service("default", "restore-app", Map.of()));

    assertEquals(Outcome.CREATED, reconciler.reconcile(SOURCE));

    assertEquals(List.of("backup-app@0"), nomad.calls(REGISTER));
  }

  @Test
  void doesNotBackUpItsOwnJobs() throws IOException {
    nomad.put(source(optIn()));
    reconciler.reconcile(SOURCE);
    int writes = nomad.writes().size();

    assertEquals(Outcome.SKIPPED, reconciler.reconcile(BACKUP));

    assertEquals(writes, nomad.writes().size());
  }

  @Test
  void doesNotBackUpChildrenOfJobsItDoesNotOwn() throws IOException {
    JobKey child = new JobKey("default", "nightly/periodic-1700000000");
    ObjectNode job = FakeNomad.service("default", child.jobId(), optIn());
    job.put("ParentID", "nightly");
    nomad.put(job);

    assertEquals(Outcome.SKIPPED, reconciler.reconcile(child));

    assertEquals(List.of(), nomad.writes());
    assertEquals(List.of(), nomad.calls(PARSE));
  }

  // --- what Nomad refuses ---------------------------------------------------------------------------

  @Test
  void aRenderingNomadCannotParseIsInvalidAndNothingIsWritten() throws IOException {
    nomad.put(source(optIn()));
    nomad.answerNext(PARSE, 400, "POST /v1/jobs/parse", "input.hcl:12,3-9: Unsupported argument");

    assertEquals(Outcome.INVALID, reconciler.reconcile(SOURCE));

    assertEquals(List.of(), nomad.writes());
    assertTrue(log.contains("Backup for app does not parse: input.hcl:12,3-9: Unsupported argument"),
        log.lines().toString());
  }

  @Test
  void aParseFailingWithServerTroubleIsRetried() {
    nomad.put(source(optIn()));
    nomad.answerNext(PARSE, 500, "POST /v1/jobs/parse", "no leader");

    NomadApiException e = assertThrows(NomadApiException.class, () -> reconciler.reconcile(SOURCE));

    assertEquals(500, e.status());
    assertEquals(List.of(), nomad.writes());
  }

  @Test
  void aRegistrationRefusedForAnInvalidJobIsInvalid() throws IOException {
    nomad.put(source(optIn("backup-schedule", "every day")));
    nomad.answerNext(REGISTER, 500, "POST /v1/jobs", "rpc error: job validation failed");
    nomad.validationProblems(List.of("Invalid cron spec \"every day\""));

    assertEquals(Outcome.INVALID, reconciler.reconcile(SOURCE));

    assertEquals(List.of("backup-app"), nomad.calls(VALIDATE));
    assertEquals(List.of("backup-app@0"), nomad.calls(REGISTER), "no restore job for an invalid backup");
    assertFalse(nomad.stored(BACKUP).isPresent());
    assertTrue(log.contains("Backup for app rejected by Nomad: Invalid cron spec \"every day\""),
        log.lines().toString());
  }

  @Test
  void aRegistrationFailingForAValidJobIsRetried() {
    nomad.put(source(optIn()));
    nomad.answerNext(REGISTER, 500, "POST /v1/jobs", "rpc error: no cluster leader");

    NomadApiException e = assertThrows(NomadApiException.class, () -> reconciler.reconcile(SOURCE));

    assertEquals(500, e.status());
    assertEquals(List.of("backup-app"), nomad.calls(VALIDATE), "asked whether the job was the problem");
    assertFalse(nomad.stored(BACKUP).isPresent());
  }

  @Test
  void aWriteThatLostToAnotherIsRetriedNotForced() throws IOException {
    nomad.put(source(optIn()));
    reconciler.reconcile(SOURCE);
    nomad.update(SOURCE, job -> ((ObjectNode) job.get("Meta")).put("backup-schedule", "@hourly"));
    cache.forget(SOURCE);
    nomad.update(BACKUP, job -> job.put("Priority", 70)); // someone else wrote it since it was cached

    assertThrows(NomadApiException.class, () -> reconciler.reconcile(SOURCE));

    assertEquals(70, nomad.stored(BACKUP).orElseThrow().path("Priority").asInt(), "not overwritten");
  }

  @Test
  void forgetsWhatItCachedAfterAFailure() throws IOException {
    nomad.put(source(optIn()));
    reconciler.reconcile(SOURCE);
    nomad.update(SOURCE, job -> ((ObjectNode) job.get("Meta")).put("backup-schedule", "@hourly"));
    cache.observed(NomadJob.fromJson(nomad.stored(SOURCE).orElseThrow())); // as its event would
    nomad.answerNext(PARSE, 503, "POST /v1/jobs/parse", "unavailable");
    assertThrows(IOException.class, () -> reconciler.reconcile(SOURCE));
    int reads = nomad.calls(READ).size();

    assertEquals(Outcome.UPDATED, reconciler.reconcile(SOURCE));

    assertEquals(List.of("app", "backup-app", "restore-app"),
        nomad.calls(READ).subList(reads, nomad.calls(READ).size()), "the source and both jobs read again");
  }

  // --- dry run ------------------------------------------------------------------------------------

  @Test
  void aDryRunCreatesNothing() throws IOException {
    reconciler = reconciler(true, true);
    nomad.put(source(optIn("backup-immediate", "true")));

    assertEquals(Outcome.CREATED, reconciler.reconcile(SOURCE));

    assertEquals(List.of(), nomad.writes());
    assertTrue(log.contains("Dry run: would create backup-app"), log.lines().toString());
    assertTrue(log.contains("Dry run: would run backup-app now"), log.lines().toString());
  }

  @Test
  void aDryRunUpdatesNothing() throws IOException {
    nomad.put(source(optIn()));
    reconciler.reconcile(SOURCE);
    int writes = nomad.writes().size();
    nomad.update(SOURCE, job -> ((ObjectNode) job.get("Meta")).put("backup-schedule", "@hourly"));
    reconciler = reconciler(true, true);
    cache.forget(SOURCE);

    assertEquals(Outcome.UPDATED, reconciler.reconcile(SOURCE));

    assertEquals(writes, nomad.writes().size());
    assertEquals("@daily", nomad.stored(BACKUP).orElseThrow().path("Periodic").path("Spec").asText());
  }

  @Test
  void aDryRunRemovesNothing() throws IOException {
    nomad.put(source(optIn()));
    reconciler.reconcile(SOURCE);
    int writes = nomad.writes().size();
    nomad.delete(SOURCE);
    cache.forget(SOURCE);
    reconciler = reconciler(true, true);

    assertEquals(Outcome.REMOVED, reconciler.reconcile(SOURCE));

    assertEquals(writes, nomad.writes().size());
    assertTrue(nomad.stored(BACKUP).isPresent());
    assertTrue(log.contains("Dry run: would remove backup-app (job is gone)"), log.lines().toString());
  }

  // --- remove ---------------------------------------------------------------------------------------

  @Test
  void removesBothJobsWhenTheJobOptsOut() throws IOException {
    nomad.put(source(optIn()));
    reconciler.reconcile(SOURCE);
    nomad.update(SOURCE, job -> ((ObjectNode) job.get("Meta")).put("auto-backup", "false"));
    cache.forget(SOURCE);

    assertEquals(Outcome.REMOVED, reconciler.reconcile(SOURCE));

    assertEquals(List.of("backup-app", "restore-app"), nomad.calls(PURGE));
    assertFalse(nomad.stored(BACKUP).isPresent());
    assertFalse(nomad.stored(RESTORE).isPresent());
    assertTrue(log.contains("Backup removed: backup-app (auto-backup = false)"), log.lines().toString());
  }

  @Test
  void removesBothJobsWhenTheJobIsStopped() throws IOException {
    nomad.put(source(optIn()));
    reconciler.reconcile(SOURCE);
    nomad.update(SOURCE, job -> job.put("Stop", true));
    cache.forget(SOURCE);

    assertEquals(Outcome.REMOVED, reconciler.reconcile(SOURCE));

    assertEquals(List.of("backup-app", "restore-app"), nomad.calls(PURGE));
    assertTrue(log.contains("Backup removed: backup-app (job is stopped)"), log.lines().toString());
  }

  @Test
  void removesBothJobsWhenTheJobIsGone() throws IOException {
    nomad.put(source(optIn()));
    reconciler.reconcile(SOURCE);
    nomad.delete(SOURCE);
    cache.forget(SOURCE);

    assertEquals(Outcome.REMOVED, reconciler.reconcile(SOURCE));

    assertEquals(List.of("backup-app", "restore-app"), nomad.calls(PURGE));
    assertTrue(log.contains("Backup removed: backup-app (job is gone)"), log.lines().toString());
    assertTrue(log.contains("Restore job removed: restore-app (job is gone)"), log.lines().toString());
  }

  @Test
  void hasNothingToDoForAJobThatNeverOptedIn() throws IOException {
    nomad.put(source(Map.of("team", "web")));

    assertEquals(Outcome.ABSENT, reconciler.reconcile(SOURCE));

    assertEquals(List.of(), nomad.writes());
  }

  @Test
  void removesTheRunsOfARemovedJobThatAreNotRunning() throws IOException {
    nomad.put(source(optIn()));
    reconciler.reconcile(SOURCE);
    nomad.put(run("backup-app/periodic-1", "backup-app", "dead", true));
    nomad.put(run("backup-app/periodic-2", "backup-app", "running", true));
    nomad.put(run("backup-app/periodic-3", "backup-app", "pending", false));
    nomad.put(run("restore-app/dispatch-1", "restore-app", "pending", true));
    nomad.delete(SOURCE);
    cache.forget(SOURCE);

    assertEquals(Outcome.REMOVED, reconciler.reconcile(SOURCE));

    assertEquals(List.of("backup-app", "restore-app"), nomad.calls(CHILDREN));
    assertEquals(List.of("backup-app", "backup-app/periodic-1", "restore-app", "restore-app/dispatch-1"),
        nomad.calls(PURGE), "the running run and the one not ours stay");
    assertTrue(log.contains("Left running: backup-app/periodic-2 (removed once it ends)"), log.lines().toString());
  }

  @Test
  void anUpdateListsNoRunsWhenTheCacheKnowsNoneIsPending() throws IOException {
    nomad.put(source(optIn()));
    nomad.put(run("backup-app/periodic-1", "backup-app", "dead", true));
    cache.listed("*", nomad.listJobs("*"));
    reconciler.reconcile(SOURCE);
    nomad.update(SOURCE, job -> ((ObjectNode) job.get("Meta")).put("backup-schedule", "@hourly"));
    cache.forget(SOURCE); // as its event would

    assertEquals(Outcome.UPDATED, reconciler.reconcile(SOURCE));

    assertEquals(List.of(), nomad.calls(CHILDREN), "the listing and the events showed every run");
    assertEquals(List.of(), nomad.calls(PURGE));
  }

  @Test
  void anUpdateListsTheRunsWhenTheCacheKnowsOneIsPendingAndDecidesOnWhatNomadSays() throws IOException {
    nomad.put(source(optIn()));
    reconciler.reconcile(SOURCE);
    nomad.put(run("backup-app/periodic-1", "backup-app", "pending", true));
    nomad.put(run("backup-app/periodic-2", "backup-app", "pending", true));
    cache.listed("*", nomad.listJobs("*"));
    nomad.update(new JobKey("default", "backup-app/periodic-2"), job -> job.put("Status", "running"));
    nomad.update(SOURCE, job -> ((ObjectNode) job.get("Meta")).put("backup-schedule", "@hourly"));
    cache.forget(SOURCE);

    assertEquals(Outcome.UPDATED, reconciler.reconcile(SOURCE));

    assertEquals(List.of("backup-app"), nomad.calls(CHILDREN));
    assertEquals(List.of("backup-app/periodic-1"), nomad.calls(PURGE), "the one running now stays");
    assertTrue(log.contains("Removed a run that never started: backup-app/periodic-1 (backup-app changed)"),
        log.lines().toString());
  }

  @Test
  void anUpdateListsTheRunsWhereTheCacheCannotTell() throws IOException {
    nomad.put(source(optIn()));
    reconciler.reconcile(SOURCE); // no listing: the cache knows no run
    nomad.put(run("backup-app/periodic-1", "backup-app", "pending", true));
    nomad.update(SOURCE, job -> ((ObjectNode) job.get("Meta")).put("backup-schedule", "@hourly"));
    cache.forget(SOURCE);

    assertEquals(Outcome.UPDATED, reconciler.reconcile(SOURCE));

    assertEquals(List.of("backup-app"), nomad.calls(CHILDREN));
    assertEquals(List.of("backup-app/periodic-1"), nomad.calls(PURGE));
  }

  @Test
  void aPendingRunLaunchedBeforeAnUpdateWhoseNewsCameAfterIsRemovedWhenItComes() throws IOException {
    nomad.put(source(optIn()));
    cache.listed("*", nomad.listJobs("*"));
    reconciler.reconcile(SOURCE);
    JobKey child = new JobKey("default", "backup-app/periodic-1");
    nomad.put(run(child.jobId(), "backup-app", "pending", true)); // its event is not in yet
    nomad.update(SOURCE, job -> ((ObjectNode) job.get("Meta")).put("backup-schedule", "@hourly"));
    cache.forget(SOURCE);
    assertEquals(Outcome.UPDATED, reconciler.reconcile(SOURCE));
    assertEquals(List.of(), nomad.calls(CHILDREN));

    assertEquals(Outcome.REMOVED, reconciler.reconcile(child)); // its event

    assertEquals(List.of(child.jobId()), nomad.calls(PURGE));
    assertTrue(log.contains("Removed a run that never started: backup-app/periodic-1 (backup-app changed since)"),
        log.lines().toString());
  }

  // --- leftover runs ----------------------------------------------------------------------------------

  @Test
  void purgesALeftoverRunWhoseParentIsGone() throws IOException {
    JobKey child = new JobKey("default", "backup-app/periodic-1");
    nomad.put(run(child.jobId(), "backup-app", "pending", true));

    assertEquals(Outcome.REMOVED, reconciler.reconcile(child));

    assertEquals(List.of(child.jobId()), nomad.calls(PURGE));
    assertFalse(nomad.stored(child).isPresent());
  }

  @Test
  void leavesALeftoverRunThatIsStillRunning() throws IOException {
    JobKey child = new JobKey("default", "backup-app/periodic-1");
    nomad.put(run(child.jobId(), "backup-app", "running", true));

    assertEquals(Outcome.SKIPPED, reconciler.reconcile(child));

    assertEquals(List.of(), nomad.writes());
  }

  @Test
  void leavesARunWhoseParentIsThere() throws IOException {
    nomad.put(source(optIn()));
    reconciler.reconcile(SOURCE);
    JobKey child = new JobKey("default", "backup-app/periodic-1");
    nomad.put(run(child.jobId(), "backup-app", "pending", true));
    int writes = nomad.writes().size();

    assertEquals(Outcome.SKIPPED, reconciler.reconcile(child));

    assertEquals(writes, nomad.writes().size());
    assertTrue(nomad.stored(child).isPresent());
  }

  @Test
  void aRunAsItsEventToldItIsRecordedWithoutARead() throws IOException {
    nomad.put(source(optIn()));
    cache.listed("*", nomad.listJobs("*"));
    reconciler.reconcile(SOURCE);
    JobKey child = new JobKey("default", "backup-app/periodic-1");
    nomad.put(run(child.jobId(), "backup-app", "running", true));
    cache.observed(NomadJob.fromJson(nomad.stored(child).orElseThrow())); // its status event
    int reads = nomad.calls(READ).size();

    assertEquals(Outcome.SKIPPED, reconciler.reconcile(child));

    assertEquals(reads, nomad.calls(READ).size(), "the event told the run's status");
  }

  @Test
  void aLeftoverRunIsRemovedOnlyOnWhatAReadSays() throws IOException {
    JobKey child = new JobKey("default", "backup-app/periodic-1");
    nomad.put(run(child.jobId(), "backup-app", "pending", true));
    cache.listed("*", nomad.listJobs("*")); // pending then; its parent is gone
    nomad.update(child, job -> ((ObjectNode) job).put("Status", "running")); // started since

    assertEquals(Outcome.SKIPPED, reconciler.reconcile(child));

    assertEquals(List.of(child.jobId()), nomad.calls(READ));
    assertEquals(List.of(), nomad.calls(PURGE), "a run that is running now is left");
  }

  @Test
  void leavesAnOrphanedRunThatIsNotOurs() throws IOException {
    JobKey child = new JobKey("default", "backup-app/periodic-1");
    nomad.put(run(child.jobId(), "backup-app", "pending", false));

    assertEquals(Outcome.SKIPPED, reconciler.reconcile(child));

    assertEquals(List.of(), nomad.writes());
  }

  @Test
  void aDryRunPurgesNoLeftoverRun() throws IOException {
    reconciler = reconciler(true, true);
    JobKey child = new JobKey("default", "backup-app/periodic-1");
    nomad.put(run(child.jobId(), "backup-app", "pending", true));

    assertEquals(Outcome.REMOVED, reconciler.reconcile(child));

    assertEquals(List.of(), nomad.writes());
  }

  // --- controls ----------------------------------------------------------------------------------------

  @Test
  void aSuspendedBackupIsRegisteredWithItsScheduleOff() throws IOException {
    nomad.put(source(optIn("backup-suspend", "true")));

    assertEquals(Outcome.CREATED, reconciler.reconcile(SOURCE));

    ObjectNode sent = nomad.registered().get(0);
    assertEquals("backup-app", sent.path("ID").asText());
    assertFalse(sent.path("Periodic").path("Enabled").asBoolean(true));
    assertTrue(log.contains("Backup created: backup-app (suspended)"), log.lines().toString());
  }

  @Test
  void resumingASuspendedBackupTurnsItsScheduleBackOn() throws IOException {
    nomad.put(source(optIn("backup-suspend", "true")));
    reconciler.reconcile(SOURCE);
    nomad.update(SOURCE, job -> ((ObjectNode) job.get("Meta")).put("backup-suspend", "false"));
    cache.forget(SOURCE);

    assertEquals(Outcome.UPDATED, reconciler.reconcile(SOURCE));

    assertTrue(nomad.stored(BACKUP).orElseThrow().path("Periodic").path("Enabled").asBoolean());
  }

  @Test
  void runsANewBackupOnceWhenAskedToRunImmediately() throws IOException {
    nomad.put(source(optIn("backup-immediate", "true")));

    assertEquals(Outcome.CREATED, reconciler.reconcile(SOURCE));
    assertEquals(Outcome.UNCHANGED, reconciler.reconcile(SOURCE));

    assertEquals(List.of("backup-app"), nomad.calls(FORCE));
    assertTrue(log.contains("Backup run started: backup-app (backup-immediate)"), log.lines().toString());
  }

  @Test
  void doesNotRunAnUpdatedBackupImmediately() throws IOException {
    nomad.put(source(optIn("backup-immediate", "true")));
    reconciler.reconcile(SOURCE);
    nomad.update(SOURCE, job -> ((ObjectNode) job.get("Meta")).put("backup-schedule", "@hourly"));
    cache.forget(SOURCE);

    assertEquals(Outcome.UPDATED, reconciler.reconcile(SOURCE));

    assertEquals(List.of("backup-app"), nomad.calls(FORCE), "only the run on creation");
  }

  @Test
  void turningImmediateOnForAnExistingBackupChangesNothing() throws IOException {
    nomad.put(source(optIn()));
    reconciler.reconcile(SOURCE);
    nomad.update(SOURCE, job -> ((ObjectNode) job.get("Meta")).put("backup-immediate", "true"));
    cache.forget(SOURCE);

    assertEquals(Outcome.UNCHANGED, reconciler.reconcile(SOURCE));

    assertEquals(List.of(), nomad.calls(FORCE));
  }

  @Test
  void doesNotRunASuspendedBackupImmediately() throws IOException {
    nomad.put(source(optIn("backup-immediate", "true", "backup-suspend", "true")));

    assertEquals(Outcome.CREATED, reconciler.reconcile(SOURCE));

    assertEquals(List.of(), nomad.calls(FORCE));
  }

  @Test
  void anUnknownTemplateIsInvalid() throws IOException {
    nomad.put(source(optIn("backup-template", "oracle")));

    assertEquals(Outcome.INVALID, reconciler.reconcile(SOURCE));

    assertEquals(List.of(), nomad.calls(PARSE));
    assertEquals(List.of(), nomad.writes());
    assertTrue(log.contains("backup-template = \"oracle\" is not a known template (known: mariadb, postgres)"),
        log.lines().toString());
  }

  @Test
  void aKnownTemplateOtherThanTheDefaultIsRendered() throws IOException {
    nomad.put(source(optIn("backup-template", "mariadb")));

    assertEquals(Outcome.CREATED, reconciler.reconcile(SOURCE));

    assertTrue(nomad.parsedHcl().get(0).contains("mariadb-dump"), nomad.parsedHcl().get(0));
  }

  @Test
  void badMetaIsInvalidAndChangesNothing() throws IOException {
    nomad.put(source(optIn()));
    reconciler.reconcile(SOURCE);
    int writes = nomad.writes().size();
    nomad.update(SOURCE, job -> ((ObjectNode) job.get("Meta")).put("auto-backup", "yes"));
    cache.forget(SOURCE);

    assertEquals(Outcome.INVALID, reconciler.reconcile(SOURCE));

    assertEquals(writes, nomad.writes().size());
    assertTrue(nomad.stored(BACKUP).isPresent());
    assertTrue(log.contains("auto-backup = \"yes\" is not a boolean"), log.lines().toString());
  }

  @Test
  void withRestoreJobsOffMakesOnlyTheBackup() throws IOException {
    reconciler = reconciler(false, false);
    nomad.put(source(optIn()));

    assertEquals(Outcome.CREATED, reconciler.reconcile(SOURCE));

    assertEquals(List.of("backup-app@0"), nomad.calls(REGISTER));
  }

  @Test
  void withRestoreJobsOffRemovesTheRestoreJobItMade() throws IOException {
    nomad.put(source(optIn()));
    reconciler.reconcile(SOURCE);
    reconciler = reconciler(false, false);

    assertEquals(Outcome.UNCHANGED, reconciler.reconcile(SOURCE));

    assertEquals(List.of("restore-app"), nomad.calls(PURGE));
    assertTrue(nomad.stored(BACKUP).isPresent());
    assertTrue(log.contains("Restore job removed: restore-app (restore jobs are turned off)"),
        log.lines().toString());
  }

  @Test
  void withRestoreJobsOffLeavesARestoreJobNotOurs() throws IOException {
    reconciler = reconciler(false, false);
    nomad.put(source(optIn()));
    nomad.put(FakeNomad.service("default", "restore-app", Map.of()));

    assertEquals(Outcome.CREATED, reconciler.reconcile(SOURCE));

    assertEquals(List.of(), nomad.calls(PURGE));
  }

  // --- the cache ------------------------------------------------------------------------------------------

  @Test
  void aListedJobWhoseOwnMetaDecidesIsNotReadAgain() throws IOException {
    nomad.put(source(optIn()));
    cache.listed("*", nomad.listJobs("*"));

    assertEquals(Outcome.CREATED, reconciler.reconcile(SOURCE));

    assertEquals(List.of(), nomad.calls(READ), "the stub said enough, and the listing showed no backup");
  }

  @Test
  void aListedJobWithoutBackupKeysIsReadForItsGroupsMeta() throws IOException {
    ObjectNode job = source(Map.of());
    ((ObjectNode) job.get("TaskGroups").get(0)).putObject("Meta").put("auto-backup", "true")
        .put("backup-schedule", "@daily");
    nomad.put(job);
    cache.listed("*", nomad.listJobs("*"));

    assertEquals(Outcome.CREATED, reconciler.reconcile(SOURCE));

    assertEquals(List.of("app"), nomad.calls(READ));
  }

  // --- helpers ------------------------------------------------------------------------------------------------

  private BackupReconciler reconciler(boolean dryRun, boolean restoreJobs) {
    return new BackupReconciler(nomad, templates, cache, RunLedger.NONE, dryRun, restoreJobs);
  }

  private static ObjectNode source(Map<String, String> meta) {
    return FakeNomad.service("default", "app", meta);
  }

  /** The opt-in meta, with {@code extra} key-value pairs added or replaced. */
  private static Map<String, String> optIn(String... extra) {
    Map<String, String> meta = new LinkedHashMap<>();
    meta.put("auto-backup", "true");
    meta.put("backup-schedule", "@daily");
    meta.put("backup-target-db", "orders");
    for (int i = 0; i < extra.length; i += 2) {
      meta.put(extra[i], extra[i + 1]);
    }
    return meta;
  }

  /** A periodic or dispatched child of {@code parent}, carrying the ownership meta when {@code ours}. */
  private static ObjectNode run(String id, String parent, String status, boolean ours) {
    ObjectNode job = FakeNomad.service("default", id, ours
        ? Map.of(Ownership.MANAGED, "true", Ownership.SOURCE, "app", Ownership.SPEC_HASH, "x")
        : Map.of());
    job.put("ParentID", parent);
    job.put("Type", "batch");
    job.put("Status", status);
    return job;
  }

  private static void assertOwnedBy(String source, ObjectNode job) {
    assertEquals("true", job.path("Meta").path(Ownership.MANAGED).asText());
    assertEquals(source, job.path("Meta").path(Ownership.SOURCE).asText());
    assertFalse(job.path("Meta").path(Ownership.SPEC_HASH).asText().isEmpty());
  }

  private static <T> T last(List<T> list) {
    return list.get(list.size() - 1);
  }
}

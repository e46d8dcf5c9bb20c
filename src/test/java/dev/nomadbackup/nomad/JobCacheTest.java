package dev.nomadbackup.nomad;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nomadbackup.testing.NomadJobBuilder;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class JobCacheTest {
  private final JobCache cache = new JobCache();
  private static final JobKey DB = new JobKey("default", "db");

  private static NomadJob job(String id, long jobModifyIndex, long modifyIndex, boolean complete) {
    return NomadJobBuilder.job(id).status("pending").datacenters("dc1").meta(Map.of("auto-backup", "true"))
        .region(complete ? Optional.of("europe") : Optional.empty())
        .innerMeta(complete ? List.of(new NomadJob.PlacedMeta("group \"g\"", Map.of("size", "l"))) : List.of())
        .indexes(jobModifyIndex, modifyIndex).complete(complete).build();
  }

  private static JobList listing(long index, NomadJob... jobs) {
    return new JobList(List.of(jobs), index);
  }

  private Optional<NomadJob> known(JobKey key) {
    JobCache.Lookup found = cache.lookup(key);
    if (found instanceof JobCache.Lookup.Unknown) {
      throw new AssertionError(key + " is unknown");
    }
    return found instanceof JobCache.Lookup.Present p ? Optional.of(p.job()) : Optional.empty();
  }

  @Test
  void knowsNothingBeforeTheFirstListing() {
    assertInstanceOf(JobCache.Lookup.Unknown.class, cache.lookup(DB));
  }

  @Test
  void aJobMissingFromAListingIsKnownAbsent() {
    cache.listed("*", listing(100, job("other", 50, 50, false)));
    assertEquals(Optional.empty(), known(DB));
    assertEquals(50, known(new JobKey("default", "other")).orElseThrow().modifyIndex());
  }

  @Test
  void aListingOfOneNamespaceSaysNothingOfAnother() {
    cache.listed("team-a", listing(100));
    assertInstanceOf(JobCache.Lookup.Unknown.class, cache.lookup(DB));
    assertEquals(Optional.empty(), known(new JobKey("team-a", "db")));
  }

  @Test
  void anEventNewerThanAListingIsNotUndoneByIt() {
    cache.observed(job("db", 120, 120, true));
    cache.listed("*", listing(100, job("db", 90, 90, false)));
    assertEquals(120, known(DB).orElseThrow().modifyIndex());
  }

  @Test
  void aJobCreatedAfterAListingIsNotRemovedByIt() {
    cache.observed(job("db", 120, 120, true));
    cache.listed("*", listing(100));
    assertTrue(known(DB).isPresent());
  }

  @Test
  void aJobGoneFromALaterListingIsKnownAbsent() {
    cache.observed(job("db", 90, 90, true));
    cache.listed("*", listing(100));
    assertEquals(Optional.empty(), known(DB));
  }

  @Test
  void aDeregistrationIsUnknownUntilReadAndNotBroughtBackByAnOlderListing() {
    cache.listed("*", listing(100, job("db", 90, 90, false)));
    cache.invalidate(DB, 110);
    cache.listed("*", listing(105, job("db", 90, 90, false)));
    assertInstanceOf(JobCache.Lookup.Unknown.class, cache.lookup(DB));
    cache.read(DB, Optional.empty(), cache.stamp());
    assertEquals(Optional.empty(), known(DB));
    cache.listed("*", listing(108, job("db", 90, 90, false)));
    assertEquals(Optional.empty(), known(DB), "a listing older than the deregistration");
  }

  @Test
  void aStubOfTheSameVersionKeepsTheGroupsAndTheRegion() {
    cache.observed(job("db", 90, 90, true));
    cache.listed("*", listing(100, job("db", 90, 95, false)));
    NomadJob db = known(DB).orElseThrow();
    assertTrue(db.complete());
    assertEquals(95, db.modifyIndex());
    assertEquals(1, db.innerMeta().size());
  }

  @Test
  void aStubOfANewerVersionReplacesTheFullJob() {
    cache.observed(job("db", 90, 90, true));
    cache.listed("*", listing(100, job("db", 97, 97, false)));
    assertFalse(known(DB).orElseThrow().complete());
  }

  @Test
  void aListingOlderThanTheLastAppliedIsIgnored() {
    cache.listed("*", listing(200, job("db", 150, 150, false)));
    cache.listed("*", listing(100));
    assertTrue(known(DB).isPresent());
  }

  @Test
  void aReadThatFoundNothingDoesNotUndoARegistrationHeardMeanwhile() {
    cache.listed("*", listing(100));
    long before = cache.stamp();
    cache.observed(job("db", 120, 120, true)); // the event arrives while the read is on its way
    cache.read(DB, Optional.empty(), before);
    assertTrue(known(DB).isPresent());
  }

  @Test
  void ourOwnPurgeIsNotUndoneByAListingTakenBeforeIt() {
    cache.listed("*", listing(100, job("backup-db", 90, 90, false)));
    cache.purged(new JobKey("default", "backup-db"), 0);
    cache.listed("*", listing(100, job("backup-db", 90, 90, false)));
    assertEquals(Optional.empty(), known(new JobKey("default", "backup-db")));
  }

  @Test
  void theEventOfARegistrationThatArrivesAfterOurPurgeOfItIsOlderNews() {
    // registered at 120, purged by the operator at 130, the registration's event (held back by
    // the commit wait) arrives after: the job stays purged, so it is not purged a second time
    cache.listed("*", listing(100));
    cache.purged(new JobKey("default", "backup-db"), 130);
    cache.observed(job("backup-db", 120, 120, true));
    assertEquals(Optional.empty(), known(new JobKey("default", "backup-db")));
    cache.observed(job("backup-db", 140, 140, true));
    assertTrue(known(new JobKey("default", "backup-db")).isPresent(), "registered again after the purge");
  }

  @Test
  void aForgottenJobIsReadAgain() {
    cache.listed("*", listing(100, job("db", 90, 90, false)));
    cache.forget(DB);
    assertInstanceOf(JobCache.Lookup.Unknown.class, cache.lookup(DB));
  }

  @Test
  void theRegionIsLearntFromFullJobsOnly() {
    cache.listed("*", listing(100, job("db", 90, 90, false)));
    assertEquals(Optional.empty(), cache.region());
    cache.observed(job("other", 120, 120, true));
    assertEquals(Optional.of("europe"), cache.region());
  }

  @Test
  void ourOwnWriteIsKnownAtItsNewIndex() {
    cache.listed("*", listing(100));
    cache.written(job("backup-db", 130, 130, true));
    assertEquals(130, known(new JobKey("default", "backup-db")).orElseThrow().jobModifyIndex());
  }

  @Test
  void ourOwnWriteTeachesNoRegion() {
    cache.written(job("backup-db", 130, 130, true));
    assertEquals(Optional.empty(), cache.region());
  }

  // --- versions ------------------------------------------------------------------------------------

  private static final JobKey BACKUP = new JobKey("default", "backup-db");

  @Test
  void aListedVersionIsAddedToTheStubOfTheSameModifyIndexOnly() {
    cache.listed("*", listing(100, job("backup-db", 90, 95, false), job("backup-x", 80, 80, false)));
    cache.versions(List.of(new JobStore.JobVersion(BACKUP, 3, 95),
        new JobStore.JobVersion(new JobKey("default", "backup-x"), 7, 99))); // changed since the listing

    assertEquals(3, known(BACKUP).orElseThrow().version());
    assertEquals(-1, known(new JobKey("default", "backup-x")).orElseThrow().version());
  }

  @Test
  void aLaterListingKeepsTheVersionWhileTheSpecIsTheSame() {
    cache.listed("*", listing(100, job("backup-db", 90, 95, false)));
    cache.versions(List.of(new JobStore.JobVersion(BACKUP, 3, 95)));

    cache.listed("*", listing(200, job("backup-db", 90, 150, false))); // its status changed
    assertEquals(3, known(BACKUP).orElseThrow().version());
    assertEquals(150, known(BACKUP).orElseThrow().modifyIndex());

    cache.listed("*", listing(300, job("backup-db", 250, 250, false))); // registered again
    assertEquals(-1, known(BACKUP).orElseThrow().version());
  }

  // --- runs ----------------------------------------------------------------------------------------

  private static NomadJob run(String id, String parent, long index) {
    return NomadJobBuilder.job(id).parent(Optional.of(parent)).status("pending").indexes(index, index)
        .complete(false).build();
  }

  @Test
  void knowsTheRunsOfAJobFromListingsAndEvents() {
    cache.listed("*", listing(100, job("backup-db", 90, 90, false), run("backup-db/periodic-1", "backup-db", 95),
        run("backup-db2/periodic-1", "backup-db2", 96), run("backup-db/periodic-1/x", "backup-db/periodic-1", 97)));
    cache.observed(run("backup-db/periodic-2", "backup-db", 110));

    assertEquals(List.of("backup-db/periodic-1", "backup-db/periodic-2"),
        cache.children(BACKUP).orElseThrow().stream().map(NomadJob::id).sorted().toList(),
        "not another job's, nor a run's run");
  }

  @Test
  void aPurgedRunIsNoLongerOne() {
    cache.listed("*", listing(100, run("backup-db/periodic-1", "backup-db", 95)));
    cache.purged(new JobKey("default", "backup-db/periodic-1"), 120);
    assertEquals(List.of(), cache.children(BACKUP).orElseThrow());
    cache.listed("*", listing(130));
    assertEquals(List.of(), cache.children(BACKUP).orElseThrow());
  }

  @Test
  void cannotTellTheRunsOfAJobBeforeAListingOrWhenOneOfThemIsUnknown() {
    assertEquals(Optional.empty(), cache.children(BACKUP));
    cache.listed("*", listing(100, run("backup-db/periodic-1", "backup-db", 95)));
    cache.invalidate(new JobKey("default", "backup-db/periodic-1"), 110); // its status changed
    assertEquals(Optional.empty(), cache.children(BACKUP));
    cache.read(new JobKey("default", "backup-db/periodic-1"),
        Optional.of(run("backup-db/periodic-1", "backup-db", 110)), 110);
    assertEquals(1, cache.children(BACKUP).orElseThrow().size());
  }
}

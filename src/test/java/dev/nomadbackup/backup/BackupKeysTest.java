package dev.nomadbackup.backup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nomadbackup.nomad.JobEvent;
import dev.nomadbackup.nomad.JobKey;
import dev.nomadbackup.nomad.NomadJob;
import dev.nomadbackup.testing.NomadJobBuilder;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class BackupKeysTest {
  private final BackupKeys keys = new BackupKeys();

  private static NomadJob job(String id, Optional<String> parent, boolean stopped, Map<String, String> meta) {
    return NomadJobBuilder.job(id).namespace("team-a").parent(parent).type("batch").stopped(stopped).meta(meta).index(3)
        .build();
  }

  private static final Map<String, String> OURS =
      Map.of("backup-operator-managed", "true", "backup-operator-source", "db", "backup-operator-version", "0");

  @Test
  void aListedSourceIsItsOwnKey() {
    assertEquals(List.of(new JobKey("team-a", "db")), keys.forListed(job("db", Optional.empty(), false, Map.of())));
  }

  @Test
  void aListedBackupStandsForItsSourceSoOrphansAreFound() {
    assertEquals(List.of(new JobKey("team-a", "db")), keys.forListed(job("backup-db", Optional.empty(), false, OURS)));
  }

  @Test
  void listedChildrenAndUnownedBackupNamesAreHandledLikeAnyJob() {
    assertEquals(List.of(), keys.forListed(job("db/periodic-1", Optional.of("db"), false, Map.of())));
    assertEquals(List.of(new JobKey("team-a", "backup-x")),
        keys.forListed(job("backup-x", Optional.empty(), false, Map.of("owner", "me"))));
  }

  @Test
  void ourBackupStoppedBySomeoneElseWakesItsSource() {
    JobEvent stopped = new JobEvent("JobDeregistered", new JobKey("team-a", "backup-db"), 9,
        Optional.of(job("backup-db", Optional.empty(), true, OURS)));
    assertEquals(List.of(new JobKey("team-a", "db")), keys.forEvent(stopped));
  }

  @Test
  void ourOwnRegistrationOfABackupWakesNothing() {
    JobEvent registered = new JobEvent("JobRegistered", new JobKey("team-a", "backup-db"), 9,
        Optional.of(job("backup-db", Optional.empty(), false, OURS)));
    assertEquals(List.of(), keys.forEvent(registered));
  }

  @Test
  void ourBackupChangedBySomeoneElseWakesItsSource() {
    NomadJob edited = NomadJobBuilder.job("backup-db").namespace("team-a").type("batch").meta(OURS).index(9)
        .version(1).build();
    JobEvent registered = new JobEvent("JobRegistered", new JobKey("team-a", "backup-db"), 9, Optional.of(edited));
    assertEquals(List.of(new JobKey("team-a", "db")), keys.forEvent(registered));
  }

  @Test
  void aListedRunOfOurJobIsItsOwnKeySoALeftoverIsFound() {
    assertEquals(List.of(new JobKey("team-a", "backup-db/periodic-1")),
        keys.forListed(job("backup-db/periodic-1", Optional.of("backup-db"), false, OURS)));
    assertTrue(keys.owned(job("backup-db", Optional.empty(), false, OURS)));
    assertEquals(false, keys.owned(job("backup-db/periodic-1", Optional.of("backup-db"), false, OURS)));
  }

  @Test
  void anEventOfARunOfOursWakesTheRunItself() {
    JobEvent ended = new JobEvent("JobDeregistered", new JobKey("team-a", "backup-db/periodic-1"), 9,
        Optional.of(job("backup-db/periodic-1", Optional.of("backup-db"), true, OURS)));
    assertEquals(List.of(new JobKey("team-a", "backup-db/periodic-1")), keys.forEvent(ended));
  }
}

package dev.nomadbackup.it;

import static dev.nomadbackup.testing.Waits.awaitPresent;
import static dev.nomadbackup.testing.Waits.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nomadbackup.testing.Jobs;
import dev.nomadbackup.testing.OperatorRun;
import dev.nomadbackup.testing.OperatorTest;
import dev.nomadbackup.testing.TestNomad;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The article's manual session, against a real agent: run, stop, run again, purge. */
@OperatorTest
class ArticleSessionIT {

  @Test
  void backupFollowsTheJobThroughRunStopRunAndPurge(TestNomad nomad, OperatorRun run) {
    String id = Jobs.uniqueId("example");
    String backupId = "backup-" + id;
    nomad.run(Jobs.service(id, Jobs.optIn("@daily"), "[\"dc1\", \"dc2\"]"));

    JsonNode backup = awaitPresent(() -> nomad.job(backupId));
    assertEquals("batch", backup.path("Type").asText());
    assertEquals("@daily", Jobs.cronOf(backup));
    assertTrue(backup.path("Periodic").path("ProhibitOverlap").asBoolean());
    assertEquals("true", backup.path("Meta").path("backup-operator-managed").asText());
    assertEquals(id, backup.path("Meta").path("backup-operator-source").asText());
    assertEquals(List.of("dc1", "dc2"), Jobs.strings(backup.path("Datacenters")));
    eventually(() -> assertTrue(run.log.contains("==> JobRegistered: " + id + " (")));
    eventually(() -> assertTrue(run.log.contains("Backup created: " + backupId)));
    eventually(() -> assertTrue(run.log.contains("==> JobRegistered: " + backupId + " (")));
    assertFalse(run.log.contains("--> Done: " + backupId), "the event of the operator's own write wakes nothing");

    nomad.stop("default", id);
    eventually(() -> assertTrue(nomad.job(backupId).isEmpty(), "backup still there after stop"));
    assertTrue(run.log.contains("==> JobDeregistered: " + id));
    assertTrue(run.log.contains("Backup removed: " + backupId));

    nomad.run(Jobs.service(id, Jobs.optIn("@daily")));
    awaitPresent(() -> nomad.job(backupId));

    nomad.purge("default", id);
    eventually(() -> assertTrue(nomad.job(backupId).isEmpty(), "backup still there after purge"));
  }

  @Test
  void aJobWithoutBackupMetaGetsNoBackup(TestNomad nomad, OperatorRun run) {
    String id = Jobs.uniqueId("plain");
    nomad.run(Jobs.service(id, Map.of("team", "web")));
    eventually(() -> assertTrue(run.log.contains("--> Done: " + id + " (absent)")));
    assertTrue(nomad.job("backup-" + id).isEmpty());
  }
}

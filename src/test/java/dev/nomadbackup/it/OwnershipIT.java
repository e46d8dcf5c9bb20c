package dev.nomadbackup.it;

import static dev.nomadbackup.testing.Waits.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nomadbackup.testing.Jobs;
import dev.nomadbackup.testing.NomadAgent;
import dev.nomadbackup.testing.OperatorRun;
import dev.nomadbackup.testing.OperatorTest;
import dev.nomadbackup.testing.TestNomad;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A user's own job that happens to be called backup-<id> is never touched. */
@OperatorTest
class OwnershipIT {

  @Test
  void usersOwnBackupJobSurvivesEverythingThatHappensToTheSource(NomadAgent agent, TestNomad nomad) throws Exception {
    String id = Jobs.uniqueId("foo");
    String backupId = "backup-" + id;
    nomad.run(Jobs.service(backupId, Map.of("owner", "me")));
    long userIndex = nomad.job(backupId).orElseThrow().path("JobModifyIndex").asLong();
    try (OperatorRun run = OperatorRun.start(agent)) {
      nomad.run(Jobs.service(id, Jobs.optIn("@daily")));
      eventually(() -> assertTrue(run.log.contains("Conflict: " + backupId + " exists and is not managed")));

      nomad.stop("default", id);
      eventually(() -> assertTrue(run.log.contains("Left alone: " + backupId)));

      nomad.purge("default", id);
      eventually(() -> assertTrue(run.log.count("Left alone: " + backupId) >= 2));
      assertTrue(run.idle(Duration.ofSeconds(10)));

      JsonNode users = nomad.job(backupId).orElseThrow();
      assertEquals(userIndex, users.path("JobModifyIndex").asLong(), "the user's job was rewritten");
      assertFalse(users.path("Stop").asBoolean(), "the user's job was stopped");
      assertEquals("me", users.path("Meta").path("owner").asText());
    }
  }
}

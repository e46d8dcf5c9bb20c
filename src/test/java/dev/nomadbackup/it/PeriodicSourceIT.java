package dev.nomadbackup.it;

import static dev.nomadbackup.testing.Waits.awaitPresent;
import static dev.nomadbackup.testing.Waits.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nomadbackup.testing.Jobs;
import dev.nomadbackup.testing.NomadAgent;
import dev.nomadbackup.testing.NomadAgentExtension;
import dev.nomadbackup.testing.OperatorRun;
import dev.nomadbackup.testing.TestNomad;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** A periodic job that opts in gets one backup; the children it launches get none. */
@ExtendWith(NomadAgentExtension.class)
class PeriodicSourceIT {

  @Test
  void periodicChildrenInheritTheMetaButGetNoBackup(NomadAgent agent) throws Exception {
    TestNomad nomad = agent.api();
    String id = Jobs.uniqueId("nightly");
    try (OperatorRun run = OperatorRun.start(agent)) {
      nomad.run(Jobs.periodic(id, Jobs.optIn("@daily")));
      awaitPresent(() -> nomad.job("backup-" + id));

      nomad.send("POST", "/v1/job/" + id + "/periodic/force?namespace=default", null);
      eventually(() -> assertTrue(run.log.lines().stream().anyMatch(
          l -> l.contains("Skipped: " + id + "/periodic-") && l.contains("is a child of " + id))));
      assertTrue(run.idle(java.time.Duration.ofSeconds(10)));

      long backups = 0;
      for (JsonNode stub : nomad.jobs("default")) {
        if (stub.path("ID").asText().startsWith("backup-" + id)) {
          backups++;
        }
      }
      assertEquals(1, backups, "exactly one backup job for the periodic job and none for its child");
    } finally {
      for (JsonNode stub : nomad.jobs("default")) {
        String jobId = stub.path("ID").asText();
        if (jobId.startsWith(id) || jobId.startsWith("backup-" + id)) {
          nomad.purge("default", jobId);
        }
      }
    }
  }
}

package dev.nomadbackup.it;

import static dev.nomadbackup.testing.Waits.awaitPresent;
import static dev.nomadbackup.testing.Waits.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nomadbackup.testing.Jobs;
import dev.nomadbackup.testing.OperatorRun;
import dev.nomadbackup.testing.OperatorTest;
import dev.nomadbackup.testing.TestNomad;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** A periodic job that opts in gets one backup; the children it launches get none. */
@OperatorTest
class PeriodicSourceIT {

  @Test
  void periodicChildrenInheritTheMetaButGetNoBackup(TestNomad nomad, OperatorRun run) throws Exception {
    String id = Jobs.uniqueId("nightly");
    nomad.run(Jobs.periodic(id, Jobs.optIn("@daily")));
    awaitPresent(() -> nomad.job("backup-" + id));

    nomad.send("POST", "/v1/job/" + id + "/periodic/force?namespace=default", null);
    eventually(() -> assertTrue(run.log.lines().stream().anyMatch(
        l -> l.contains("Skipped: " + id + "/periodic-") && l.contains("is a child of " + id))));
    assertTrue(run.idle(Duration.ofSeconds(10)));

    long backups = 0;
    for (JsonNode stub : nomad.jobs("default")) {
      if (stub.path("ID").asText().startsWith("backup-" + id)) {
        backups++;
      }
    }
    assertEquals(1, backups, "exactly one backup job for the periodic job and none for its child");
  }
}

package dev.nomadbackup.it;

import static dev.nomadbackup.testing.Waits.awaitPresent;
import static dev.nomadbackup.testing.Waits.eventually;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nomadbackup.testing.Jobs;
import dev.nomadbackup.testing.NomadAgent;
import dev.nomadbackup.testing.OperatorRun;
import dev.nomadbackup.testing.OperatorTest;
import dev.nomadbackup.testing.TestNomad;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The operator owns its jobs: a backup or restore job changed by hand, its ownership meta kept, is
 * put back as rendered, once, and then left alone. Relies on what the real agent does: a new job
 * is version 0, and every change of its spec raises its version by one.
 */
@OperatorTest
class HandEditsIT {

  @Test
  void aBackupAndARestoreJobEditedByHandArePutBackOnce(TestNomad nomad, OperatorRun run) throws Exception {
    String id = Jobs.uniqueId("edited");
    String backupId = "backup-" + id;
    String restoreId = "restore-" + id;
    nomad.run(Jobs.service(id, Jobs.optIn("@daily")));
    JsonNode rendered = awaitPresent(() -> nomad.job(backupId));
    JsonNode restoreRendered = awaitPresent(() -> nomad.job(restoreId));
    assertEquals(0, rendered.path("Version").asInt());
    assertEquals("0", rendered.path("Meta").path("backup-operator-version").asText());
    String image = rendered.path("TaskGroups").get(0).path("Tasks").get(0).path("Config").path("image").asText();

    // what `nomad job run` of an edited copy does: a new version, the meta as it was
    ObjectNode edited = rendered.deepCopy();
    ObjectNode periodic = (ObjectNode) edited.get("Periodic");
    if (periodic.path("Specs").size() > 0) {
      periodic.putArray("Specs").add("0 5 * * *");
    } else {
      periodic.put("Spec", "0 5 * * *");
    }
    ((ObjectNode) edited.get("TaskGroups").get(0).path("Tasks").get(0).path("Config")).put("image", "busybox:1.36");
    nomad.register("default", edited);
    assertEquals(1, nomad.job(backupId).orElseThrow().path("Version").asInt(), "Nomad counted the edit");

    JsonNode restored = awaitPresent(() -> nomad.job(backupId).filter(b -> "@daily".equals(Jobs.cronOf(b))));
    assertEquals(image, restored.path("TaskGroups").get(0).path("Tasks").get(0).path("Config").path("image").asText());
    assertEquals(2, restored.path("Version").asInt());
    assertEquals("2", restored.path("Meta").path("backup-operator-version").asText());
    eventually(() -> assertTrue(run.log.contains("    Backup restored: " + backupId + " (changed outside the operator)"),
        run.log.lines().toString()));

    ObjectNode restoreEdited = restoreRendered.deepCopy();
    restoreEdited.put("Priority", 90);
    nomad.register("default", restoreEdited);
    JsonNode restoreBack = awaitPresent(() -> nomad.job(restoreId).filter(
        r -> r.path("Priority").asInt() == restoreRendered.path("Priority").asInt() && r.path("Version").asInt() == 2));
    eventually(() -> assertTrue(run.log.contains("    Restore job restored: " + restoreId + " (changed outside the operator)")));

    // put back once: the operator's own writes are not taken for edits
    await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(200))
        .until(() -> restored.path("JobModifyIndex").asLong()
                == nomad.job(backupId).orElseThrow().path("JobModifyIndex").asLong()
            && restoreBack.path("JobModifyIndex").asLong()
                == nomad.job(restoreId).orElseThrow().path("JobModifyIndex").asLong());
    assertEquals(1, run.log.count("Backup restored: " + backupId));
  }

  @Test
  void aBackupAndARestoreJobEditedByHandWhileTheOperatorWasDownArePutBackAtStart(NomadAgent agent, TestNomad nomad)
      throws Exception {
    String id = Jobs.uniqueId("edited-offline");
    String backupId = "backup-" + id;
    String restoreId = "restore-" + id;
    String untouchedId = "backup-" + Jobs.uniqueId("untouched");
    JsonNode rendered;
    JsonNode restoreRendered;
    JsonNode untouched;
    try (OperatorRun first = OperatorRun.start(agent)) {
      nomad.run(Jobs.service(id, Jobs.optIn("@daily")));
      nomad.run(Jobs.service(untouchedId.substring("backup-".length()), Jobs.optIn("@daily")));
      rendered = awaitPresent(() -> nomad.job(backupId));
      restoreRendered = awaitPresent(() -> nomad.job(restoreId));
      untouched = awaitPresent(() -> nomad.job(untouchedId));
      awaitPresent(() -> nomad.job("restore-" + untouchedId.substring("backup-".length())));
    }
    // the operator is down: its memory of what it wrote is gone with it
    ObjectNode edited = rendered.deepCopy();
    ((ObjectNode) edited.get("TaskGroups").get(0).path("Tasks").get(0).path("Config")).put("image", "busybox:1.36");
    nomad.register("default", edited);
    ObjectNode restoreEdited = restoreRendered.deepCopy();
    restoreEdited.put("Priority", 90);
    nomad.register("default", restoreEdited);
    assertEquals(1, nomad.job(backupId).orElseThrow().path("Version").asInt(), "Nomad counted the edit");

    try (OperatorRun second = OperatorRun.start(agent)) {
      JsonNode restored = awaitPresent(() -> nomad.job(backupId).filter(b -> b.path("Version").asInt() == 2));
      assertEquals(rendered.path("TaskGroups").get(0).path("Tasks").get(0).path("Config"),
          restored.path("TaskGroups").get(0).path("Tasks").get(0).path("Config"));
      assertEquals("2", restored.path("Meta").path("backup-operator-version").asText());
      awaitPresent(() -> nomad.job(restoreId).filter(
          r -> r.path("Priority").asInt() == restoreRendered.path("Priority").asInt() && r.path("Version").asInt() == 2));
      eventually(() -> {
        assertTrue(second.log.contains("    Backup restored: " + backupId + " (changed outside the operator)"),
            second.log.lines().toString());
        assertTrue(second.log.contains("    Restore job restored: " + restoreId + " (changed outside the operator)"));
      });
      assertFalse(second.log.contains("does not list job versions"), "told by the listing of versions, not by reads");
      // a job nobody touched is not taken for an edited one
      await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(4)).pollInterval(Duration.ofMillis(200))
          .until(() -> untouched.path("JobModifyIndex").asLong()
              == nomad.job(untouchedId).orElseThrow().path("JobModifyIndex").asLong());
    }
  }
}

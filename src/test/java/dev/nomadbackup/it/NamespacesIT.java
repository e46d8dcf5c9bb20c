package dev.nomadbackup.it;

import static dev.nomadbackup.testing.Waits.awaitPresent;
import static dev.nomadbackup.testing.Waits.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nomadbackup.testing.Jobs;
import dev.nomadbackup.testing.NomadAgent;
import dev.nomadbackup.testing.OperatorRun;
import dev.nomadbackup.testing.OperatorTest;
import dev.nomadbackup.testing.TestNomad;
import org.junit.jupiter.api.Test;

/** A job's backup lives in the job's own namespace, and only there. */
@OperatorTest
class NamespacesIT {

  @Test
  void backupIsCreatedInTheSourcesNamespaceOnly(NomadAgent agent, TestNomad nomad) throws Exception {
    String namespace = Jobs.uniqueId("team-a");
    nomad.createNamespace(namespace); // before the operator starts, as it always was here
    String id = Jobs.uniqueId("db");
    try (OperatorRun run = OperatorRun.start(agent)) {
      nomad.run(namespace, Jobs.service(id, Jobs.optIn("@daily")));
      JsonNode backup = awaitPresent(() -> nomad.job(namespace, "backup-" + id));
      assertEquals(namespace, backup.path("Namespace").asText());
      eventually(() -> assertTrue(run.log.contains("Backup created: " + namespace + "/backup-" + id)));
      assertTrue(nomad.job("default", "backup-" + id).isEmpty(), "nothing may appear in default");

      nomad.stop(namespace, id);
      eventually(() -> assertTrue(nomad.job(namespace, "backup-" + id).isEmpty()));
    }
  }

  @Test
  void aNamespaceCreatedWhileTheOperatorRunsIsWatchedAndADeletedOneIsLetGo(NomadAgent agent) throws Exception {
    TestNomad nomad = agent.api();
    String id = Jobs.uniqueId("db");
    String later = Jobs.uniqueId("late");
    String gone = Jobs.uniqueId("gone");
    String after = Jobs.uniqueId("after");
    try (OperatorRun run = OperatorRun.start(agent)) {
      nomad.createNamespace(later);
      nomad.run(later, Jobs.service(id, Jobs.optIn("@daily")));
      awaitPresent(() -> nomad.job(later, "backup-" + id));
      eventually(() -> assertTrue(run.log.contains("Backup created: " + later + "/backup-" + id)));

      nomad.createNamespace(gone);
      eventually(() -> assertTrue(run.log.contains("Namespaces changed (+" + gone + ")")));
      nomad.send("DELETE", "/v1/namespace/" + gone, null);
      eventually(() -> assertTrue(run.log.contains("Namespaces changed (-" + gone + ")")));
      nomad.run(Jobs.service(after, Jobs.optIn("@daily")));
      awaitPresent(() -> nomad.job("backup-" + after));
      eventually(() -> assertTrue(run.operator.status().ready(), run.operator.status().reason()));
    } finally {
      nomad.purgeWithBackup(later, id);
      nomad.purgeWithBackup("default", after);
    }
  }

  @Test
  void operatorWatchingOneNamespaceLeavesOthersAlone(NomadAgent agent, TestNomad nomad) throws Exception {
    String watched = Jobs.uniqueId("watched");
    String other = Jobs.uniqueId("other");
    nomad.createNamespace(watched);
    nomad.createNamespace(other);
    String inWatched = Jobs.uniqueId("a");
    String inOther = Jobs.uniqueId("b");
    try (OperatorRun run = OperatorRun.start(agent, java.util.Map.of("OPERATOR_NAMESPACES", watched))) {
      nomad.run(other, Jobs.service(inOther, Jobs.optIn("@daily")));
      nomad.run(watched, Jobs.service(inWatched, Jobs.optIn("@daily")));
      awaitPresent(() -> nomad.job(watched, "backup-" + inWatched));
      assertTrue(run.idle(java.time.Duration.ofSeconds(10)));
      assertTrue(nomad.job(other, "backup-" + inOther).isEmpty());
    }
  }
}

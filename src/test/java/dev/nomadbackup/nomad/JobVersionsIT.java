package dev.nomadbackup.nomad;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nomadbackup.testing.Jobs;
import dev.nomadbackup.testing.NomadAgent;
import dev.nomadbackup.testing.OperatorTest;
import dev.nomadbackup.testing.TestNomad;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * What the drift check relies on in {@code GET /v1/jobs/statuses}: each job's version with the
 * modify index its stub in {@code GET /v1/jobs} has, narrowed by a filter on the job's meta, and
 * no periodic children.
 */
@OperatorTest
class JobVersionsIT {
  private static final String FILTER = "Meta[\"backup-operator-managed\"] == \"true\"";

  @Test
  void listsTheVersionOfEachJobTheFilterSelectsAtItsStubsModifyIndex(NomadAgent agent, TestNomad nomad)
      throws Exception {
    String ours = Jobs.uniqueId("versioned");
    String theirs = Jobs.uniqueId("unmarked");
    nomad.run(Jobs.periodic(ours, Map.of("backup-operator-managed", "true")));
    nomad.run(Jobs.service(theirs, Map.of("backup-operator-managed", "false")));
    ObjectNode edited = (ObjectNode) nomad.job(ours).orElseThrow().deepCopy();
    edited.put("Priority", 70);
    nomad.register("default", edited); // version 1
    nomad.send("POST", "/v1/job/" + ours + "/periodic/force", null); // a child, with the same meta

    try (NomadClient client = NomadClient.create(agent.config(), 2)) {
      List<JobStore.JobVersion> versions = client.versions("default", FILTER).orElseThrow();

      JobKey key = new JobKey("default", ours);
      JobStore.JobVersion ourVersion = versions.stream().filter(v -> v.key().equals(key)).findFirst().orElseThrow();
      assertEquals(1, ourVersion.version());
      NomadJob stub = client.listJobs("default").jobs().stream()
          .filter(j -> j.id().equals(ours)).findFirst().orElseThrow();
      assertEquals(stub.modifyIndex(), ourVersion.modifyIndex(), "the stub and the version are of the same state");
      assertEquals(-1, stub.version(), "a stub has no version");
      assertFalse(versions.stream().anyMatch(v -> v.key().jobId().equals(theirs)), "the filter is applied");
      assertFalse(versions.stream().anyMatch(v -> v.key().jobId().startsWith(ours + "/")), "no runs");
      assertTrue(client.listJobs("default").jobs().stream().anyMatch(j -> j.id().startsWith(ours + "/")),
          "the run exists");
    } finally {
      for (JsonNode job : nomad.jobs("default")) {
        if (job.path("ID").asText().startsWith(ours)) {
          nomad.purge("default", job.path("ID").asText());
        }
      }
      nomad.purge("default", theirs);
    }
  }
}

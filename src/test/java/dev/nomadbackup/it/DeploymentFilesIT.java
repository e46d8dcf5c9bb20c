package dev.nomadbackup.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nomadbackup.testing.Jobs;
import dev.nomadbackup.testing.NomadAgent;
import dev.nomadbackup.testing.NomadAgentExtension;
import dev.nomadbackup.testing.TestNomad;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.extension.ExtendWith;

/** The job files users run are jobs Nomad accepts: parsed and validated by the real agent. */
@ExtendWith(NomadAgentExtension.class)
class DeploymentFilesIT {
  private static final ObjectMapper JSON = new ObjectMapper();

  @ParameterizedTest
  @ValueSource(strings = {"operator.nomad", "examples/operator-vault.nomad", "examples/example.nomad",
      "examples/example-no-backup.nomad"})
  void parsesAndValidates(String file, NomadAgent agent) throws Exception {
    TestNomad nomad = agent.api();
    JsonNode job = parse(nomad, file);
    ObjectNode body = JSON.createObjectNode();
    body.set("Job", job);
    JsonNode answer = nomad.send("POST", "/v1/validate/job", body);
    for (JsonNode error : answer.path("ValidationErrors")) {
      // the test agent has no Vault; that is the one thing the Vault variant may be told
      boolean vaultMissing = file.contains("vault") && error.asText().matches("Vault \\S+ not enabled but used in the job");
      assertTrue(vaultMissing, answer.toString());
    }
  }

  @Test
  void operatorJobRunsTwoCopiesWithAWorkloadIdentityOnTheTaskApi(NomadAgent agent) throws Exception {
    JsonNode job = parse(agent.api(), "operator.nomad");
    JsonNode group = job.path("TaskGroups").get(0);
    assertEquals(2, group.path("Count").asInt());
    JsonNode task = group.path("Tasks").get(0);
    assertEquals("docker", task.path("Driver").asText());
    assertTrue(task.path("Identity").path("Env").asBoolean(), task.path("Identity").toString());
    assertEquals("unix://${NOMAD_SECRETS_DIR}/api.sock", task.path("Env").path("NOMAD_ADDR").asText());
    assertEquals("/health/ready", group.path("Services").get(0).path("Checks").get(0).path("Path").asText());
    assertEquals(Jobs.strings(JSON.readTree("[\"http\"]")), Jobs.strings(task.path("Config").path("ports")));
  }

  private static JsonNode parse(TestNomad nomad, String file) throws Exception {
    ObjectNode body = JSON.createObjectNode().put("JobHCL", Files.readString(Path.of(file))).put("Canonicalize", true);
    return nomad.send("POST", "/v1/jobs/parse?namespace=default", body);
  }
}

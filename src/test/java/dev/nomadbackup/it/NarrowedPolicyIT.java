package dev.nomadbackup.it;

import static dev.nomadbackup.testing.Waits.awaitPresent;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nomadbackup.testing.Jobs;
import dev.nomadbackup.testing.NomadAgent;
import dev.nomadbackup.testing.NomadAgentExtension;
import dev.nomadbackup.testing.OperatorRun;
import dev.nomadbackup.testing.TestNomad;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * acl/operator-policy.hcl narrowed the way its comments say, to one watched namespace that is not
 * the operator's own: the operator still takes its lock in its own namespace, backs up the
 * watched namespace's jobs and records their runs there.
 */
@ExtendWith(NomadAgentExtension.class)
class NarrowedPolicyIT {
  private static final String WATCHED = "prod";

  @Test
  void narrowedToOneNamespaceTheOperatorLeadsBacksUpAndRecordsRuns(@NomadAgent.Client @NomadAgent.Acl NomadAgent agent)
      throws Exception {
    TestNomad nomad = agent.api();
    nomad.createNamespace(WATCHED);
    String policy = narrowedTo(WATCHED);
    assertFalse(policy.contains("namespace \"*\""), policy);
    String token = AclIT.tokenWithPolicy(agent, "narrowed", policy);
    String id = Jobs.uniqueId("narrow");
    try (OperatorRun run = OperatorRun.start(agent, Optional.of(token), Map.of("OPERATOR_NAMESPACES", WATCHED,
        "OPERATOR_LOCK_PATH", "nomad-backup-operator/leader-" + id))) {
      assertTrue(run.operator.leading(), "leads with the lock in its own namespace");
      nomad.run(WATCHED, Jobs.periodic(id, Jobs.optIn("@daily")));
      awaitPresent(() -> nomad.job(WATCHED, "backup-" + id));
      // this client has no docker driver: the run cannot be placed, and that is recorded
      nomad.send("PUT", "/v1/job/backup-" + id + "/periodic/force?namespace=" + WATCHED, null);
      JsonNode status = await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200))
          .until(() -> statusOf(nomad, id), s -> s != null && !s.path("Items").path("last_run_outcome").asText().isEmpty());
      assertEquals("not placed", status.path("Items").path("last_run_outcome").asText(), status.toString());
      assertFalse(run.log.lines().stream().anyMatch(l -> l.contains("403 from")), run.log.lines().toString()); // as NomadApiException words it
    } finally {
      for (JsonNode stub : nomad.send("GET", "/v1/jobs?namespace=" + WATCHED + "&prefix=backup-" + id, null)) {
        nomad.purge(WATCHED, stub.path("ID").asText());
      }
      nomad.purgeWithBackup(WATCHED, id);
      try {
        nomad.send("DELETE", "/v1/var/nomad-backup-operator/status/" + id + "?namespace=" + WATCHED, null);
      } catch (TestNomad.NomadError e) {
        // already gone: the operator removed it with the job
      }
    }
  }

  /** The shipped policy, edited as its comments say for one watched namespace other than its own. */
  static String narrowedTo(String namespace) throws java.io.IOException {
    return Files.readString(Path.of("acl", "operator-policy.hcl")).lines()
        .filter(l -> !l.contains("# watched"))
        .map(l -> l.replace("namespace \"*\" {", "namespace \"" + namespace + "\" {"))
        .collect(Collectors.joining("\n", "", "\n"));
  }

  private static JsonNode statusOf(TestNomad nomad, String id) {
    try {
      return nomad.send("GET", "/v1/var/nomad-backup-operator/status/" + id + "?namespace=" + WATCHED, null);
    } catch (TestNomad.NomadError e) {
      if (e.status == 404) {
        return null;
      }
      throw e;
    }
  }
}

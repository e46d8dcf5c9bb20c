package dev.nomadbackup.it;

import static dev.nomadbackup.testing.Waits.awaitPresent;
import static org.awaitility.Awaitility.await;
import static dev.nomadbackup.testing.Waits.eventually;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nomadbackup.testing.Jobs;
import dev.nomadbackup.testing.NomadAgent;
import dev.nomadbackup.testing.OperatorRun;
import dev.nomadbackup.testing.OperatorTest;
import dev.nomadbackup.testing.TestNomad;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The operator's token is deleted while it runs: it says the token is not valid, stops writing,
 * keeps running; with a new token and a restart it catches up with what changed meanwhile.
 */
@OperatorTest
class RevokedTokenIT {
  private final ObjectMapper json = new ObjectMapper();

  @Test
  void aTokenRevokedWhileRunningIsNamedNothingIsWrittenAndANewTokenCatchesUp(@NomadAgent.Acl NomadAgent agent,
      @NomadAgent.Acl TestNomad nomad) throws Exception {
    String kept = Jobs.uniqueId("revoked-kept");
    String stopped = Jobs.uniqueId("revoked-stopped");
    String added = Jobs.uniqueId("revoked-added");
    Map<String, String> env = Map.of("OPERATOR_LOCK_PATH", "nomad-backup-operator/" + Jobs.uniqueId("revoked"));
    JsonNode first = token(agent);
    try (OperatorRun run = OperatorRun.start(agent, Optional.of(first.path("SecretID").asText()), env)) {
      nomad.run(Jobs.service(kept, Jobs.optIn("@daily")));
      nomad.run(Jobs.service(stopped, Jobs.optIn("@daily")));
      awaitPresent(() -> nomad.job("backup-" + kept));
      awaitPresent(() -> nomad.job("backup-" + stopped));

      nomad.send("DELETE", "/v1/acl/token/" + first.path("AccessorID").asText(), null);
      nomad.stop("default", stopped);
      nomad.run(Jobs.service(added, Jobs.optIn("@daily")));

      eventually(() -> assertTrue(run.log.lines().stream().anyMatch(l -> l.startsWith("ERROR")
          && l.contains("the token is not valid")), run.log.lines().toString()));
      eventually(() -> assertFalse(run.operator.leading()));
      assertFalse(run.log.lines().stream().anyMatch(l -> l.contains("the token needs")),
          "no capability is blamed: " + run.log.lines());
      assertTrue(run.operator.httpPort().isPresent(), "still running");
      assertTrue(nomad.job("backup-" + added).isEmpty(), "nothing written without a valid token");
      assertTrue(nomad.job("backup-" + stopped).isPresent(), "nothing removed without a valid token");
    }

    // The lock the first operator could no longer renew nor release is freed after about
    // 2 x TTL + lock delay; the new one leads from then on.
    JsonNode second = token(agent);
    long restarted = System.nanoTime();
    try (OperatorRun run = OperatorRun.start(agent, Optional.of(second.path("SecretID").asText()), env)) {
      await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200))
          .until(() -> nomad.job("backup-" + added).isPresent());
      System.out.printf("[revoked] a new token and a restart: caught up after %.1f s%n",
          (System.nanoTime() - restarted) / 1e9);
      eventually(() -> assertTrue(nomad.job("backup-" + stopped).isEmpty(), "the stopped job's backup is removed"));
      assertTrue(nomad.job("backup-" + kept).isPresent());
    } finally {
      nomad.send("DELETE", "/v1/acl/token/" + second.path("AccessorID").asText(), null);
    }
  }

  /** A client token with the shipped policy; its accessor and secret. */
  private JsonNode token(NomadAgent agent) throws Exception {
    TestNomad management = agent.api();
    String policy = "revoked-" + Jobs.uniqueId("p");
    management.send("POST", "/v1/acl/policy/" + policy, json.createObjectNode().put("Name", policy)
        .put("Rules", Files.readString(Path.of("acl", "operator-policy.hcl"))));
    ObjectNode request = json.createObjectNode().put("Name", policy).put("Type", "client");
    request.putArray("Policies").add(policy);
    return management.send("POST", "/v1/acl/token", request);
  }
}

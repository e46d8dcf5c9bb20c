package dev.nomadbackup.it;

import static dev.nomadbackup.testing.Waits.awaitPresent;
import static dev.nomadbackup.testing.Waits.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nomadbackup.StartupException;
import dev.nomadbackup.testing.Jobs;
import dev.nomadbackup.testing.NomadAgent;
import dev.nomadbackup.testing.OperatorRun;
import dev.nomadbackup.testing.OperatorTest;
import dev.nomadbackup.testing.TestNomad;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Against an agent with ACLs: the token reaches Nomad, and a missing one is a clear startup error. */
@OperatorTest
class AclIT {

  @Test
  void worksWithAManagementToken(@NomadAgent.Acl TestNomad nomad, @NomadAgent.Acl OperatorRun run) {
    String id = Jobs.uniqueId("secured");
    nomad.run(Jobs.service(id, Jobs.optIn("@daily")));
    awaitPresent(() -> nomad.job("backup-" + id));
  }

  @Test
  void refusesToStartWithoutAToken(@NomadAgent.Acl NomadAgent agent) {
    StartupException e =
        assertThrows(StartupException.class, () -> OperatorRun.start(agent, Optional.empty(), Map.of()));
    assertEquals(1, e.exitCode());
    assertTrue(e.getMessage().contains("403"), e.getMessage());
    assertTrue(e.getMessage().contains("/v1/jobs/parse"), e.getMessage());
    assertTrue(e.getMessage().contains("the token needs parse-job"), e.getMessage());
  }

  @Test
  void aTokenThatMayNotTakeTheLockIsToldWhatItLacks(@NomadAgent.Acl NomadAgent agent) throws Exception {
    String token = tokenWithPolicy(agent, "no-lock", """
        namespace "*" {
          capabilities = ["list-jobs", "read-job", "parse-job", "submit-job"]
        }
        """);
    try (OperatorRun run = OperatorRun.start(agent, Optional.of(token),
        Map.of(OperatorRun.AWAIT_READY, "false", "OPERATOR_LOCK_PATH", "nomad-backup-operator/acl-" + Jobs.uniqueId("l")))) {
      eventually(() -> assertTrue(run.log.lines().stream().anyMatch(l -> l.startsWith("ERROR")
          && l.contains("Cannot take the leader lock") && l.contains("403")
          && l.contains("the token needs write on the lock's variable path")), run.log.lines().toString()));
      assertFalse(run.operator.leading());
    }
  }

  @Test
  void aMissingReadJobIsNamed(@NomadAgent.Acl NomadAgent agent, @NomadAgent.Acl TestNomad nomad) throws Exception {
    String id = Jobs.uniqueId("unreadable");
    nomad.run(Jobs.service(id, Jobs.optIn("@daily")));
    String token = tokenWithPolicy(agent, "no-read", """
        namespace "*" {
          capabilities = ["list-jobs", "parse-job"]
          variables {
            path "nomad-backup-operator/*" {
              capabilities = ["read", "write"]
            }
          }
        }
        """);
    try (OperatorRun run = OperatorRun.start(agent, Optional.of(token),
        Map.of(OperatorRun.AWAIT_READY, "false", "OPERATOR_LOCK_PATH", "nomad-backup-operator/acl-" + Jobs.uniqueId("r")))) {
      // the retry's WARN line is where the missing capability is named (see the README): it is
      // found by what it names, the job, the call's status and path, and the capability
      eventually(() -> assertTrue(run.log.lines().stream().anyMatch(l -> l.startsWith("WARN") && l.contains(id)
          && l.contains("403 from GET /v1/job/" + id) && l.contains("read-job")), run.log.lines().toString()));
      assertTrue(run.operator.leading(), "it leads, but cannot read");
    }
  }

  /** A client token holding one policy made of {@code rules}. */
  static String tokenWithPolicy(NomadAgent agent, String name, String rules) {
    TestNomad nomad = agent.api();
    ObjectMapper json = new ObjectMapper();
    String policy = name + "-" + Jobs.uniqueId("p");
    nomad.send("POST", "/v1/acl/policy/" + policy, json.createObjectNode().put("Name", policy).put("Rules", rules));
    ObjectNode token = json.createObjectNode().put("Name", policy).put("Type", "client");
    token.putArray("Policies").add(policy);
    return nomad.send("POST", "/v1/acl/token", token).path("SecretID").asText();
  }
}

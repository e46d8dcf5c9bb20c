package dev.nomadbackup.it;

import static dev.nomadbackup.testing.Waits.awaitPresent;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nomadbackup.StartupException;
import dev.nomadbackup.testing.Jobs;
import dev.nomadbackup.testing.NomadAgent;
import dev.nomadbackup.testing.NomadAgentExtension;
import dev.nomadbackup.testing.OperatorRun;
import dev.nomadbackup.testing.TestNomad;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Against an agent with ACLs: the token reaches Nomad, and a missing one is a clear startup error. */
@ExtendWith(NomadAgentExtension.class)
class AclIT {

  @Test
  void worksWithAManagementToken(@NomadAgent.Acl NomadAgent agent) throws Exception {
    TestNomad nomad = agent.api();
    String id = Jobs.uniqueId("secured");
    try (OperatorRun run = OperatorRun.start(agent)) {
      nomad.run(Jobs.service(id, Jobs.optIn("@daily")));
      awaitPresent(() -> nomad.job("backup-" + id));
    } finally {
      nomad.purge("default", id);
      nomad.purge("default", "backup-" + id);
    }
  }

  @Test
  void refusesToStartWithoutAToken(@NomadAgent.Acl NomadAgent agent) {
    StartupException e =
        assertThrows(StartupException.class, () -> OperatorRun.start(agent, Optional.empty(), Map.of()));
    assertEquals(1, e.exitCode());
    assertTrue(e.getMessage().contains("403"), e.getMessage());
    assertTrue(e.getMessage().contains("/v1/jobs/parse"), e.getMessage());
    assertTrue(e.getMessage().contains("needs parse-job or submit-job"), e.getMessage());
  }
}

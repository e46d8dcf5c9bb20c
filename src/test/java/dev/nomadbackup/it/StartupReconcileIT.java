package dev.nomadbackup.it;

import static dev.nomadbackup.testing.Waits.awaitPresent;
import static dev.nomadbackup.testing.Waits.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nomadbackup.testing.Jobs;
import dev.nomadbackup.testing.NomadAgent;
import dev.nomadbackup.testing.OperatorRun;
import dev.nomadbackup.testing.OperatorTest;
import dev.nomadbackup.testing.TestNomad;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What changed while the operator was down is put right when it starts. */
@OperatorTest
class StartupReconcileIT {

  @Test
  void jobsChangedWhileStoppedAreReconciledAtStart(NomadAgent agent, TestNomad nomad) throws Exception {
    String added = Jobs.uniqueId("added");
    String changed = Jobs.uniqueId("changed");
    String purged = Jobs.uniqueId("purged");
    String optedOut = Jobs.uniqueId("optedout");
    try (OperatorRun first = OperatorRun.start(agent)) {
      nomad.run(Jobs.service(changed, Jobs.optIn("@daily")));
      nomad.run(Jobs.service(purged, Jobs.optIn("@daily")));
      nomad.run(Jobs.service(optedOut, Jobs.optIn("@daily")));
      awaitPresent(() -> nomad.job("backup-" + changed));
      awaitPresent(() -> nomad.job("backup-" + purged));
      awaitPresent(() -> nomad.job("backup-" + optedOut));
    }
    // the operator is down now
    nomad.run(Jobs.service(added, Jobs.optIn("@hourly")));
    nomad.run(Jobs.service(changed, Jobs.optIn("@weekly")));
    nomad.purge("default", purged);
    nomad.run(Jobs.service(optedOut, Map.of("auto-backup", "false")));
    assertTrue(nomad.job("backup-" + purged).isPresent(), "the orphan exists before the restart");

    try (OperatorRun second = OperatorRun.start(agent)) {
      eventually(() -> {
        assertEquals("@hourly", nomad.job("backup-" + added).map(Jobs::cronOf).orElse("none"));
        assertEquals("@weekly", nomad.job("backup-" + changed).map(Jobs::cronOf).orElse("none"));
        assertTrue(nomad.job("backup-" + purged).isEmpty(), "orphaned backup not removed");
        assertTrue(nomad.job("backup-" + optedOut).isEmpty(), "opted-out backup not removed");
      });
    }
  }
}

package dev.nomadbackup.it;

import static dev.nomadbackup.testing.Waits.awaitPresent;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nomadbackup.testing.Jobs;
import dev.nomadbackup.testing.NomadAgent;
import dev.nomadbackup.testing.OperatorRun;
import dev.nomadbackup.testing.OperatorTest;
import dev.nomadbackup.testing.TestNomad;
import dev.nomadbackup.testing.UnixSocketForwarder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** NOMAD_ADDR=unix:///... as Nomad's Task API gives it to a task: everything goes through the socket. */
@OperatorTest
class UnixSocketIT {

  @Test
  void operatorWorksThroughAUnixSocket(NomadAgent agent, TestNomad nomad) throws Exception {
    Path dir = Files.createTempDirectory(Path.of("target"), "sock").toAbsolutePath();
    String id = Jobs.uniqueId("socket");
    Map<String, String> env = new HashMap<>(agent.operatorEnv());
    env.put("NOMAD_ADDR", "unix://" + dir.resolve("api.sock"));
    try (UnixSocketForwarder socket = UnixSocketForwarder.start(dir.resolve("api.sock"), agent.address());
        OperatorRun run = OperatorRun.start(agent, agent.operatorToken(), env)) {
      nomad.run(Jobs.service(id, Jobs.optIn("@daily")));
      awaitPresent(() -> nomad.job("backup-" + id));
      assertTrue(run.log.contains(" at unix://" + dir.resolve("api.sock") + " (leader "), run.log.lines().toString());
      assertTrue(socket.connections() >= 2, "the event stream and the calls went through the socket");
    }
  }
}

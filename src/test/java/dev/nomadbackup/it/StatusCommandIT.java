package dev.nomadbackup.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nomadbackup.testing.Jobs;
import dev.nomadbackup.testing.NomadAgent;
import dev.nomadbackup.testing.NomadAgentExtension;
import dev.nomadbackup.testing.StatusVariables;
import dev.nomadbackup.testing.TestNomad;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@code java -jar nomad-backup-operator.jar status} from the packaged jar, against a real agent and
 * with no operator running: it reads the status Variables, which the test writes as the operator
 * would. Exit codes are the contract scripts rely on: 0 fine, 1 failing or unknown, 2 usage, 3
 * Nomad unreadable.
 */
@ExtendWith(NomadAgentExtension.class)
class StatusCommandIT {
  private static final Path JAR = Path.of(System.getProperty("operator.jar", "target/nomad-backup-operator.jar"));
  private static final String REASON = "pg_dump: error: connection to server at \"db\" failed: Connection refused";

  private NomadAgent agent;
  private String good;
  private String bad;

  /** The answer of one command: exit code and both streams. */
  private record Answer(int exit, String out, String err) {
    @Override
    public String toString() {
      return "exit " + exit + "\n--- stdout\n" + out + "--- stderr\n" + err;
    }
  }

  @BeforeEach
  void storeTwoStatuses(NomadAgent agent) {
    this.agent = agent;
    good = Jobs.uniqueId("orders");
    bad = Jobs.uniqueId("ledger");
    StatusVariables.write(agent.api(), "default", good,
        StatusVariables.succeeded("default", good, "@daily", Duration.ofHours(2)));
    StatusVariables.write(agent.api(), "default", bad, StatusVariables.failed("default", bad, "@hourly", REASON));
  }

  @AfterEach
  void removeThem() {
    TestNomad nomad = agent.api();
    StatusVariables.delete(nomad, "default", good);
    StatusVariables.delete(nomad, "default", bad);
  }

  @Test
  void aJobWhoseBackupsAreFineExitsZeroWithItsRow() throws Exception {
    Answer a = status(agent.env(agent.managementToken()), "default/" + good);
    assertEquals(0, a.exit(), a.toString());
    List<String> lines = a.out().lines().toList();
    assertEquals(2, lines.size(), "a header and one row: " + a);
    assertTrue(lines.get(0).startsWith("NAMESPACE"), a.toString());
    assertTrue(lines.get(1).matches("default\\s+" + good + "\\s+@daily\\s+2 h ago\\s+succeeded\\s+\\S.*\\s+ok"),
        lines.get(1));
    assertEquals("", a.err(), a.toString());
  }

  @Test
  void aJobWithoutTheNamespaceIsLookedForInDefault() throws Exception {
    Answer a = status(agent.env(agent.managementToken()), good);
    assertEquals(0, a.exit(), a.toString());
    assertTrue(a.out().contains(good), a.toString());
  }

  @Test
  void aFailingJobExitsOneWithTheReason() throws Exception {
    Answer a = status(agent.env(agent.managementToken()), "default/" + bad);
    assertEquals(1, a.exit(), a.toString());
    assertTrue(a.out().lines().anyMatch(l -> l.matches("default\\s+" + bad + "\\s+@hourly\\s+.*failed\\s+.*failing")),
        a.toString());
    assertTrue(a.out().contains("default/" + bad + ": " + REASON + " (exit 1)"), a.toString());
    assertFalse(a.out().contains(good), "only the job asked for: " + a);
  }

  @Test
  void everyJobAtOnceExitsOneWhenAnyIsFailing() throws Exception {
    Answer a = status(agent.env(agent.managementToken()));
    assertEquals(1, a.exit(), a.toString());
    assertTrue(a.out().contains(good) && a.out().contains(bad), a.toString());
  }

  @Test
  void anUnknownJobExitsOne() throws Exception {
    String unknown = Jobs.uniqueId("nothing");
    Answer a = status(agent.env(agent.managementToken()), "default/" + unknown);
    assertEquals(1, a.exit(), a.toString());
    assertTrue(a.err().contains("No backup status for default/" + unknown), a.toString());
    assertEquals("", a.out(), a.toString());
  }

  @Test
  void twoArgumentsAreAUsageError() throws Exception {
    Answer a = status(agent.env(agent.managementToken()), "a", "b");
    assertEquals(2, a.exit(), a.toString());
    assertTrue(a.err().startsWith("usage: status"), a.toString());
    assertEquals("", a.out(), a.toString());
  }

  @Test
  void anUnreachableNomadExitsThreeWithOneClearLine() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort(); // closed again: nothing listens there
    }
    Answer a = status(Map.of("NOMAD_ADDR", "http://127.0.0.1:" + port), "default/" + good);
    assertEquals(3, a.exit(), a.toString());
    List<String> lines = a.err().lines().filter(l -> !l.isBlank()).toList();
    assertEquals(1, lines.size(), "one line, no stack trace: " + a);
    assertTrue(lines.get(0).startsWith("Cannot read the backup statuses from Nomad at http://127.0.0.1:" + port),
        a.toString());
    assertTrue(lines.get(0).contains("refused"), "says why: " + a);
    assertEquals("", a.out(), a.toString());
  }

  /** The jar run as a user runs it, with only the given NOMAD_ variables. */
  private static Answer status(Map<String, String> env, String... args) throws IOException, InterruptedException {
    Path dir = Files.createDirectories(Path.of("target", "status-command-it"));
    Path out = Files.createTempFile(dir, "out", ".txt");
    Path err = Files.createTempFile(dir, "err", ".txt");
    List<String> command = new java.util.ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", JAR.toString(), "status"));
    command.addAll(List.of(args));
    ProcessBuilder b = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
    b.environment().keySet().removeIf(k -> k.startsWith("NOMAD_") || k.startsWith("OPERATOR_"));
    b.environment().putAll(new HashMap<>(env));
    Process p = b.start();
    p.getOutputStream().close(); // no input, as from a script
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly().waitFor();
      throw new AssertionError("status " + String.join(" ", args) + " did not end within 60 s");
    }
    return new Answer(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
        Files.readString(err, StandardCharsets.UTF_8));
  }
}

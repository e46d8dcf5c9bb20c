package dev.nomadbackup.it;

import static dev.nomadbackup.testing.Waits.awaitPresent;
import static dev.nomadbackup.testing.Waits.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nomadbackup.StartupException;
import dev.nomadbackup.testing.DedicatedNomadAgent;
import dev.nomadbackup.testing.Jobs;
import dev.nomadbackup.testing.NomadAgentExtension;
import dev.nomadbackup.testing.OperatorProcess;
import dev.nomadbackup.testing.OperatorRun;
import dev.nomadbackup.testing.TestNomad;
import dev.nomadbackup.testing.TlsFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Against an agent that speaks only TLS and wants client certificates ({@code verify_https_client
 * = true}), with certificates from the pinned Nomad's own {@code nomad tls} commands: the ways to
 * trust it work, and each wrong setting is one line that names the real cause.
 */
@ExtendWith(NomadAgentExtension.class)
class TlsIT {
  private static TlsFiles files;
  private static DedicatedNomadAgent agent;
  private static TestNomad nomad;

  @BeforeAll
  static void startAgent() {
    files = TlsFiles.create(Path.of("target", "tls-it-certs").toAbsolutePath());
    agent = DedicatedNomadAgent.prepareWithTls("nomad-agent-tls", files);
    agent.start();
    nomad = agent.api();
  }

  @AfterAll
  static void stopAgent() {
    if (agent != null) {
      agent.close();
    }
  }

  private static Map<String, String> env(String... pairs) {
    Map<String, String> env = new HashMap<>();
    env.put("NOMAD_CLIENT_CERT", files.cliCert().toString());
    env.put("NOMAD_CLIENT_KEY", files.cliKey().toString());
    for (int i = 0; i < pairs.length; i += 2) {
      if (pairs[i + 1] == null) {
        env.remove(pairs[i]);
      } else {
        env.put(pairs[i], pairs[i + 1]);
      }
    }
    return env;
  }

  private static void backsUpAJob(Map<String, String> env) throws Exception {
    String id = Jobs.uniqueId("tls");
    try (OperatorRun run = OperatorRun.start(agent, Optional.empty(), env)) {
      nomad.run(Jobs.service(id, Jobs.optIn("@daily")));
      awaitPresent(() -> nomad.job("backup-" + id));
    } finally {
      nomad.purgeWithBackup("default", id);
    }
  }

  @Test
  void worksWithTheCaFile() throws Exception {
    assertTrue(agent.address().toString().startsWith("https://"), agent.address().toString());
    backsUpAJob(env("NOMAD_CACERT", files.ca().toString()));
  }

  @Test
  void worksWithACaDirectory() throws Exception {
    Path dir = files.dir().resolve("ca-dir");
    Files.createDirectories(dir);
    Files.copy(files.ca(), dir.resolve("ca.pem"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    backsUpAJob(env("NOMAD_CAPATH", dir.toString()));
  }

  @Test
  void worksWithTheServerNameOfTheCertificate() throws Exception {
    backsUpAJob(env("NOMAD_CACERT", files.ca().toString(), "NOMAD_TLS_SERVER_NAME", "server.global.nomad"));
  }

  @Test
  void aWrongServerNameSaysWhichNameWasCheckedAndWhichTheCertificateHas() {
    String message = startupFailure(env("NOMAD_CACERT", files.ca().toString(),
        "NOMAD_TLS_SERVER_NAME", "server.other.nomad"));
    assertTrue(message.contains("Nomad's certificate is not for NOMAD_TLS_SERVER_NAME=server.other.nomad; it is for")
        && message.contains("server.global.nomad") && message.contains("127.0.0.1"), message);
    assertFalse(message.contains("Certificate for <127.0.0.1>"), message);
  }

  @Test
  void aMissingClientCertificateSaysTheServerWantsOne() {
    String message = startupFailure(env("NOMAD_CACERT", files.ca().toString(), "NOMAD_CLIENT_CERT", null,
        "NOMAD_CLIENT_KEY", null));
    assertTrue(message.contains("Nomad wants a client certificate")
        && message.contains("set NOMAD_CLIENT_CERT and NOMAD_CLIENT_KEY"), message);
  }

  @Test
  void aWrongCaIsOneClearLineAndExitOneAfterTheStartupTimeout() throws Exception {
    TlsFiles other = TlsFiles.create(Path.of("target", "tls-it-other-ca").toAbsolutePath());
    Map<String, String> env = env("NOMAD_CACERT", other.ca().toString(), "NOMAD_ADDR", agent.address().toString(),
        "OPERATOR_STARTUP_TIMEOUT", "4s");
    long started = System.nanoTime();
    try (OperatorProcess p = OperatorProcess.start("tls-it-wrong-ca", env)) {
      assertEquals(1, p.awaitExit(Duration.ofSeconds(60)), p.log());
      double took = (System.nanoTime() - started) / 1e9;
      String log = p.log();
      assertTrue(took >= 4, "exits after the startup timeout, not before: " + took + " s");
      String last = log.lines().filter(l -> l.contains("ERROR")).reduce((a, b) -> b).orElse("");
      assertTrue(last.contains("is not usable after 4s") && last.contains("is not trusted")
          && last.contains("no CA certificate in NOMAD_CACERT=" + other.ca()), log);
      assertFalse(log.contains("\tat "), "no stack trace: " + log);
      assertFalse(log.contains("PKIX"), log);
    }
  }

  /** The message the operator fails to start with, in this JVM, after a short startup timeout. */
  private static String startupFailure(Map<String, String> env) {
    env.put("OPERATOR_STARTUP_TIMEOUT", "2s");
    StartupException e = assertThrows(StartupException.class, () -> OperatorRun.start(agent, Optional.empty(), env));
    assertEquals(1, e.exitCode(), e.getMessage());
    System.out.println("[tls] " + e.getMessage());
    return e.getMessage();
  }
}

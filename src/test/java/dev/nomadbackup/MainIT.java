package dev.nomadbackup;

import static dev.nomadbackup.testing.Waits.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nomadbackup.testing.NomadAgent;
import dev.nomadbackup.testing.NomadAgentExtension;
import dev.nomadbackup.testing.OperatorProcess;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The packaged jar, started the way users start it. */
@ExtendWith(NomadAgentExtension.class)
class MainIT {
  private static final Path JAR = Path.of(System.getProperty("operator.jar", "target/nomad-backup-operator.jar"));

  @Test
  void connectsLogsTheLeaderAndExitsZeroOnSigterm(NomadAgent agent) throws Exception {
    Path log = Files.createTempFile(Path.of("target"), "main-it", ".log");
    Process p = start(agent.operatorEnv(), log);
    try {
      eventually(() -> assertTrue(read(log).matches("(?s).*Connected to Nomad (1\\.11\\.3|unknown) at " + java.util.regex.Pattern.quote(agent.address().toString()) + ".*"), read(log)));
      eventually(() -> assertTrue(read(log).contains("Watching job events in all namespaces"), read(log)));
      p.destroy(); // SIGTERM
      assertTrue(p.waitFor(20, TimeUnit.SECONDS), "operator did not stop on SIGTERM");
      assertEquals(0, p.exitValue(), read(log));
      assertTrue(read(log).contains("Operator stopped"));
    } finally {
      p.destroyForcibly();
    }
  }

  @Test
  void servesHealthWhileWaitingForNomadThenExitsNonZeroWithAClearMessage() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    try (OperatorProcess p = OperatorProcess.start("main-it-unreachable",
        Map.of("NOMAD_ADDR", "http://127.0.0.1:" + port, "OPERATOR_STARTUP_TIMEOUT", "8s"))) {
      eventually(() -> assertEquals(200, p.get("/health/live").status()));
      OperatorProcess.Answer ready = p.get("/health/ready");
      assertEquals(503, ready.status());
      assertTrue(ready.body().contains("waiting for Nomad at http://127.0.0.1:" + port), ready.body());
      assertEquals(1, p.awaitExit(java.time.Duration.ofSeconds(30)), p.log());
      assertTrue(p.log().contains("Nomad at http://127.0.0.1:" + port + " is not usable after 8s"), p.log());
    }
  }

  @Test
  void exitsWithCodeTwoOnBadConfiguration() throws Exception {
    Path log = Files.createTempFile(Path.of("target"), "main-it", ".log");
    Process p = start(Map.of("OPERATOR_RESYNC_INTERVAL", "often"), log);
    assertTrue(p.waitFor(30, TimeUnit.SECONDS));
    assertEquals(2, p.exitValue());
    assertTrue(read(log).contains("OPERATOR_RESYNC_INTERVAL=often is not a duration"), read(log));
  }

  @Test
  void aTlsSettingNamingAMissingFileIsABadSettingNotACrash() throws Exception {
    Path log = Files.createTempFile(Path.of("target"), "main-it", ".log");
    Path missing = Path.of("target", "no-such-ca.pem").toAbsolutePath();
    Process p = start(Map.of("NOMAD_ADDR", "https://127.0.0.1:4646", "NOMAD_CACERT", missing.toString()), log);
    assertTrue(p.waitFor(30, TimeUnit.SECONDS));
    assertEquals(2, p.exitValue(), read(log));
    assertTrue(read(log).contains(missing.toString()), "names the file: " + read(log));
    assertTrue(!read(log).contains("\tat "), "one clear line, no stack trace: " + read(log));
  }

  @Test
  void refusesToStartWithATemplateNomadCannotParse(NomadAgent agent) throws Exception {
    Path log = Files.createTempFile(Path.of("target"), "main-it", ".log");
    Path template = Files.createTempFile(Path.of("target"), "broken", ".nomad.tmpl");
    Files.writeString(template, "job \"[[ .JobID ]]\" {\n  no_such_setting = \"[[ .Schedule ]]\"\n}\n");
    Map<String, String> env = new java.util.HashMap<>(agent.operatorEnv());
    env.put("OPERATOR_TEMPLATE", template.toString());
    Process p = start(env, log);
    assertTrue(p.waitFor(30, TimeUnit.SECONDS));
    assertEquals(3, p.exitValue(), read(log));
    assertTrue(read(log).contains("The backup template is broken"), read(log));
    assertTrue(read(log).contains("no_such_setting"), read(log));
  }

  @Test
  void refusesToStartWithATemplateThatParsesButNomadRejects(NomadAgent agent) throws Exception {
    Path log = Files.createTempFile(Path.of("target"), "main-it", ".log");
    Path template = Files.createTempFile(Path.of("target"), "mars", ".nomad.tmpl");
    Files.writeString(template, Files.readString(Path.of("backup.nomad.tmpl"))
        .replace("prohibit_overlap = true", "prohibit_overlap = true\n    time_zone        = \"Mars/Olympus\""));
    Map<String, String> env = new java.util.HashMap<>(agent.operatorEnv());
    env.put("OPERATOR_TEMPLATE", template.toString());
    Process p = start(env, log);
    assertTrue(p.waitFor(30, TimeUnit.SECONDS));
    assertEquals(3, p.exitValue(), read(log));
    assertTrue(read(log).contains("Mars/Olympus"), "Nomad's own words: " + read(log));
  }

  @Test
  void refusesToStartWithAnUnknownPlaceholder() throws Exception {
    Path log = Files.createTempFile(Path.of("target"), "main-it", ".log");
    Path template = Files.createTempFile(Path.of("target"), "unknown", ".nomad.tmpl");
    Files.writeString(template, "job \"[[ .JobID ]]\" {\n  type = \"[[ .Flavour ]]\"\n}\n");
    Process p = start(Map.of("OPERATOR_TEMPLATE", template.toString()), log);
    assertTrue(p.waitFor(30, TimeUnit.SECONDS));
    assertEquals(3, p.exitValue(), read(log));
    assertTrue(read(log).contains(":2:"), "names the line: " + read(log));
    assertTrue(read(log).contains(".Flavour"), read(log));
  }

  private static Process start(Map<String, String> env, Path log) throws IOException {
    ProcessBuilder b =
        new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", JAR.toString())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
    b.environment().keySet().removeIf(k -> k.startsWith("NOMAD_") || k.startsWith("OPERATOR_"));
    b.environment().put("OPERATOR_HTTP_ADDR", "127.0.0.1:0");
    b.environment().putAll(env);
    return b.start();
  }

  private static String read(Path log) throws IOException {
    return Files.readString(log, StandardCharsets.UTF_8);
  }
}

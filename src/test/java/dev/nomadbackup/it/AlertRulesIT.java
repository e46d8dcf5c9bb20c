package dev.nomadbackup.it;

import static dev.nomadbackup.testing.Waits.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nomadbackup.testing.Jobs;
import dev.nomadbackup.testing.NomadAgent;
import dev.nomadbackup.testing.NomadAgentExtension;
import dev.nomadbackup.testing.OperatorRun;
import dev.nomadbackup.testing.StatusVariables;
import dev.nomadbackup.testing.TestNomad;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * docs/alerts.yml as Prometheus reads it: {@code promtool} checks the rules and runs the rule tests
 * of src/test/resources/alerts/, and every metric the rules name is one the operator's
 * {@code /metrics} exports.
 */
@ExtendWith(NomadAgentExtension.class)
class AlertRulesIT {
  private static final Path PROMTOOL = Path.of("/usr/bin/promtool");
  private static final Path RULES = Path.of("docs", "alerts.yml");
  private static final Pattern METRIC = Pattern.compile("\\bnomad_backup_[a-z_]+");
  /** The backup metrics the rules are written against: a contract with StatusMetrics. */
  private static final Set<String> BACKUP_METRICS = Set.of(
      "nomad_backup_last_success_timestamp_seconds", "nomad_backup_last_failure_timestamp_seconds",
      "nomad_backup_last_run_succeeded", "nomad_backup_last_duration_seconds",
      "nomad_backup_expected_interval_seconds", "nomad_backup_runs_total", "nomad_backup_suspended",
      "nomad_backup_consecutive_failures", "nomad_backup_protected_timestamp_seconds");

  private record Result(int exit, String output) {}

  @Test
  void theRulesAreValid() throws Exception {
    Result r = promtool(Path.of("."), "check", "rules", RULES.toString());
    assertEquals(0, r.exit(), r.output());
    assertTrue(r.output().contains("SUCCESS: 4 rules found"), r.output());
  }

  @Test
  void theRulesFireWhenTheirTestsSayTheyShould() throws Exception {
    Path dir = Files.createDirectories(Path.of("target", "alerts"));
    Files.copy(RULES, dir.resolve("alerts.yml"), StandardCopyOption.REPLACE_EXISTING);
    try (InputStream tests = AlertRulesIT.class.getResourceAsStream("/alerts/alerts-test.yml")) {
      assertTrue(tests != null, "alerts/alerts-test.yml is on the test class path");
      Files.copy(tests, dir.resolve("alerts-test.yml"), StandardCopyOption.REPLACE_EXISTING);
    }
    Result r = promtool(dir, "test", "rules", "alerts-test.yml");
    assertEquals(0, r.exit(), r.output());
    assertTrue(r.output().contains("SUCCESS"), r.output());
  }

  @Test
  void everyMetricTheRulesNameIsOneTheOperatorExports(NomadAgent agent) throws Exception {
    Set<String> named = new TreeSet<>();
    Matcher m = METRIC.matcher(Files.readString(RULES, StandardCharsets.UTF_8));
    while (m.find()) {
      named.add(m.group());
    }
    assertFalse(named.isEmpty(), "the rules name no backup metric at all");

    TestNomad nomad = agent.api();
    String id = Jobs.uniqueId("ledger");
    // a status with a success, a failure and a finished run, so every series has a value
    StatusVariables.write(nomad, "default", id, StatusVariables.failed("default", id, "@daily", "exit status 1"));
    try (OperatorRun run = OperatorRun.start(agent)) {
      nomad.run(Jobs.service(id, Jobs.optIn("@daily")));
      int port = run.operator.httpPort().orElseThrow();
      eventually(() -> {
        Set<String> exported = exported(metrics(port), id);
        assertTrue(exported.containsAll(BACKUP_METRICS), "exported for " + id + ": " + exported);
        assertTrue(exported.containsAll(named), "the rules name " + named + "; exported: " + exported);
      });
    } finally {
      nomad.purgeWithBackup("default", id);
      StatusVariables.delete(nomad, "default", id);
    }
  }

  /** The names of the samples that carry {@code job="<id>"}. */
  private static Set<String> exported(String exposition, String id) {
    Set<String> names = new TreeSet<>();
    for (String line : exposition.split("\n")) {
      if (line.startsWith("#") || !line.contains("job=\"" + id + "\"")) {
        continue;
      }
      names.add(line.substring(0, line.indexOf('{')));
    }
    return names;
  }

  private static String metrics(int port) throws IOException, InterruptedException {
    HttpResponse<String> r = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).timeout(Duration.ofSeconds(5))
            .build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), r.body());
    return r.body();
  }

  private static Result promtool(Path dir, String... args) throws IOException, InterruptedException {
    assertTrue(Files.isExecutable(PROMTOOL), "install Debian's prometheus (for " + PROMTOOL + ")");
    List<String> command = new java.util.ArrayList<>(List.of(PROMTOOL.toString()));
    command.addAll(List.of(args));
    Path out = Files.createTempFile(Files.createDirectories(Path.of("target", "alerts")), "promtool", ".txt");
    Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
        .redirectOutput(out.toFile()).start();
    p.getOutputStream().close();
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly().waitFor();
      throw new AssertionError("promtool " + String.join(" ", args) + " did not end within 60 s");
    }
    return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8));
  }
}

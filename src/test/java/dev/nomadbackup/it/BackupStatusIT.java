package dev.nomadbackup.it;

import static dev.nomadbackup.testing.Waits.awaitPresent;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.nomadbackup.nomad.JobKey;
import dev.nomadbackup.status.BackupStatus;
import dev.nomadbackup.status.Run;
import dev.nomadbackup.status.RunOutcome;
import dev.nomadbackup.testing.Jobs;
import dev.nomadbackup.testing.NomadAgent;
import dev.nomadbackup.testing.NomadAgentExtension;
import dev.nomadbackup.testing.OperatorRun;
import dev.nomadbackup.testing.PostgresServer;
import dev.nomadbackup.testing.RawExecTemplate;
import dev.nomadbackup.testing.TestNomad;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The status of backup runs, from real runs on the test agent's client against a real PostgreSQL:
 * the operator owns a backup job made from the shipped template (with only its driver stanza and
 * volume changed, see {@link RawExecTemplate}), a run is forced, and the status must say what
 * Nomad recorded, everywhere it is shown, and survive a restart and Nomad's garbage collection.
 */
@ExtendWith(NomadAgentExtension.class)
class BackupStatusIT {
  private static final Duration RUN = Duration.ofSeconds(90);
  private static final Path ROOT = Path.of("target", "it-status-backups").toAbsolutePath();
  private final PostgresServer pg = PostgresServer.shared();
  private final ObjectMapper json = new ObjectMapper();

  @Test
  void aRunThatSucceedsIsRecordedShownAndKeptAcrossARestartAndGarbageCollection(@NomadAgent.Client NomadAgent agent)
      throws Exception {
    TestNomad nomad = agent.api();
    String id = Jobs.uniqueId("st-ok");
    JobKey key = new JobKey("default", id);
    String db = pg.createDatabase("status");
    pg.sql(db, "CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1);");
    Map<String, String> env = Map.of("OPERATOR_TEMPLATE", RawExecTemplate.of(Path.of("backup.nomad.tmpl"), ROOT).toString());
    try {
      Run first;
      try (OperatorRun run = OperatorRun.start(agent, env)) {
        nomad.run(Jobs.periodic(id, meta(db)));
        awaitPresent(() -> nomad.job("backup-" + id));
        force(nomad, "backup-" + id);
        first = awaitOutcome(run, key, RunOutcome.SUCCEEDED);
        assertTrue(first.duration().isPresent(), first.toString());
        BackupStatus status = run.operator.statuses().get(key).orElseThrow();
        assertEquals(0, status.consecutiveFailures());
        assertEquals(1, status.succeeded());
        await().atMost(RUN).untilAsserted(() ->
            assertTrue(run.log.contains("Backup run succeeded: backup-" + id + " ("), "the log says so once"));
        assertEquals(1, run.log.count("Backup run succeeded: backup-" + id));

        String metrics = get(run, "/metrics");
        assertSeries(metrics, "nomad_backup_last_success_timestamp_seconds", id, null);
        assertSeries(metrics, "nomad_backup_last_run_succeeded", id, "1.0");
        assertSeries(metrics, "nomad_backup_expected_interval_seconds", id, "86400.0");
        assertSeries(metrics, "nomad_backup_runs_total", id, "1.0", "result=\"succeeded\"");
        JsonNode entry = statusEntry(run, id);
        assertEquals("succeeded", entry.path("last_run").path("outcome").asText(), entry.toString());
        assertEquals("ok", entry.path("health").asText(), entry.toString());
      }
      JsonNode stored = variable(nomad, id);
      assertEquals("succeeded", stored.path("Items").path("last_run_outcome").asText(), stored.toString());
      assertEquals(first.id(), stored.path("Items").path("last_run_id").asText());
      JsonNode digest = nomad.send("GET", "/v1/vars?namespace=default&prefix="
          + URLEncoder.encode("nomad-backup-operator/status/~digest/", StandardCharsets.UTF_8), null);
      assertTrue(digest.size() >= 1, "the operator left a digest of the statuses as it stopped: " + digest);

      // Nomad forgets the run: its evidence is gone, the status is not
      nomad.send("PUT", "/v1/system/gc", null);
      await().atMost(RUN).pollInterval(Duration.ofMillis(500)).untilAsserted(() ->
          assertEquals(List.of(), runs(nomad, "backup-" + id), "the run was garbage-collected"));
      try (OperatorRun again = OperatorRun.start(agent, env)) {
        // read back in the background as the new term starts
        BackupStatus status = await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
            .until(() -> again.operator.statuses().get(key).orElse(null), st -> st != null && st.lastRun().isPresent());
        assertEquals(Optional.of(first.id()), status.lastRun().map(Run::id));
        assertEquals(RunOutcome.SUCCEEDED, status.lastRun().get().outcome());
        assertEquals(1, status.succeeded(), "not counted again");
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
            assertTrue(again.log.contains("read one by one"), "the load is done"));
        assertTrue(again.log.contains(", 0 read one by one"), "every status came from the digest");
        assertTrue(again.idle(Duration.ofSeconds(10)));
        assertEquals(0, again.log.count("Backup run succeeded: backup-" + id), "not logged again");
        assertEquals(stored.path("ModifyIndex").asLong(), variable(nomad, id).path("ModifyIndex").asLong(),
            "nothing changed, nothing written");
      }
    } finally {
      cleanUp(nomad, id);
    }
  }

  @Test
  void failingRunsAreFailedWithTheToolsOwnWordsAndCountedInARow(@NomadAgent.Client NomadAgent agent) throws Exception {
    TestNomad nomad = agent.api();
    String id = Jobs.uniqueId("st-bad");
    JobKey key = new JobKey("default", id);
    Map<String, String> env = Map.of("OPERATOR_TEMPLATE", RawExecTemplate.of(Path.of("backup.nomad.tmpl"), ROOT).toString());
    try (OperatorRun run = OperatorRun.start(agent, env)) {
      nomad.run(Jobs.periodic(id, meta("no_such_database")));
      awaitPresent(() -> nomad.job("backup-" + id));
      force(nomad, "backup-" + id);
      Run failed = awaitOutcome(run, key, RunOutcome.FAILED);
      assertTrue(failed.reason().contains("pg_dump: error:") && failed.reason().contains("no_such_database"),
          "the tool's own words: " + failed.reason());
      assertEquals(Optional.of(1), failed.exitCode());
      assertEquals(1, run.operator.statuses().get(key).orElseThrow().consecutiveFailures());
      await().atMost(RUN).untilAsserted(() -> assertTrue(
          run.log.contains("Backup run failed: backup-" + id + ": pg_dump: error:"), "one line names the job and the cause"));

      awaitNextSecond(failed);
      force(nomad, "backup-" + id);
      await().atMost(RUN).pollInterval(Duration.ofMillis(200)).untilAsserted(() ->
          assertEquals(2, run.operator.statuses().get(key).orElseThrow().consecutiveFailures()));
      assertEquals(2, run.log.count("Backup run failed: backup-" + id + ":"), "once per run");
      String metrics = get(run, "/metrics");
      assertSeries(metrics, "nomad_backup_last_run_succeeded", id, "0.0");
      assertSeries(metrics, "nomad_backup_last_failure_timestamp_seconds", id, null);
      assertEquals("failing", statusEntry(run, id).path("health").asText());
      assertEquals("2", variable(nomad, id).path("Items").path("consecutive_failures").asText());
    } finally {
      cleanUp(nomad, id);
    }
  }

  @Test
  void aRunThatCannotBePlacedIsNotPlacedWithNomadsReason(@NomadAgent.Client NomadAgent agent) throws Exception {
    TestNomad nomad = agent.api();
    String id = Jobs.uniqueId("st-unplaced");
    JobKey key = new JobKey("default", id);
    try (OperatorRun run = OperatorRun.start(agent, Map.of())) {
      // the shipped template as it is: this client has no docker driver and no host volume
      nomad.run(Jobs.periodic(id, meta("anything")));
      awaitPresent(() -> nomad.job("backup-" + id));
      force(nomad, "backup-" + id);
      Run unplaced = awaitOutcome(run, key, RunOutcome.NOT_PLACED);
      assertTrue(unplaced.reason().contains("missing"), "Nomad's reason: " + unplaced.reason());
      assertEquals("failing", statusEntry(run, id).path("health").asText());
      assertEquals("not placed", variable(nomad, id).path("Items").path("last_run_outcome").asText());
    } finally {
      cleanUp(nomad, id);
    }
  }

  /** A series of {@code name} for job {@code id} in default, with {@code value} unless null. */
  private static void assertSeries(String metrics, String name, String id, String value, String... labels) {
    boolean found = metrics.lines().anyMatch(l -> l.startsWith(name + "{") && l.contains("job=\"" + id + "\"")
        && l.contains("namespace=\"default\"") && java.util.Arrays.stream(labels).allMatch(l::contains)
        && (value == null || l.endsWith(" " + value)));
    assertTrue(found, "no " + name + " for " + id + (value == null ? "" : " = " + value) + " in:\n" + metrics);
  }

  private Map<String, String> meta(String db) {
    Map<String, String> meta = Jobs.optIn("@daily");
    meta.put("backup-target-db", db);
    meta.put("backup-pg-host", pg.host());
    meta.put("backup-pg-port", String.valueOf(pg.port()));
    meta.put("backup-pg-user", pg.trustedUser());
    return meta;
  }

  private static Run awaitOutcome(OperatorRun run, JobKey key, RunOutcome outcome) {
    return await().atMost(RUN).pollInterval(Duration.ofMillis(200)).until(
        () -> run.operator.statuses().get(key).flatMap(BackupStatus::lastRun).orElse(null),
        r -> r != null && r.outcome() == outcome);
  }

  /** Nomad names a run after the second it was launched in: the next force must be in a later one. */
  private static void awaitNextSecond(Run run) {
    long launched = run.launch().getEpochSecond();
    await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(50))
        .until(() -> java.time.Instant.now().getEpochSecond() > launched);
  }

  private static void force(TestNomad nomad, String id) {
    nomad.send("PUT", "/v1/job/" + enc(id) + "/periodic/force?namespace=default", null);
  }

  private static List<String> runs(TestNomad nomad, String parent) {
    List<String> ids = new ArrayList<>();
    for (JsonNode stub : nomad.send("GET", "/v1/jobs?namespace=default&prefix=" + enc(parent + "/"), null)) {
      ids.add(stub.path("ID").asText());
    }
    return ids;
  }

  private static JsonNode variable(TestNomad nomad, String id) {
    return nomad.send("GET", "/v1/var/nomad-backup-operator/status/" + id + "?namespace=default", null);
  }

  private JsonNode statusEntry(OperatorRun run, String id) throws Exception {
    for (JsonNode entry : json.readTree(get(run, "/status"))) {
      if (entry.path("job").asText().equals(id) && entry.path("namespace").asText().equals("default")) {
        return entry;
      }
    }
    throw new AssertionError("no /status entry for " + id);
  }

  private static String get(OperatorRun run, String path) throws Exception {
    HttpResponse<String> r = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + run.operator.httpPort().orElseThrow() + path)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), path);
    return r.body();
  }

  private static void cleanUp(TestNomad nomad, String id) {
    for (String run : runs(nomad, "backup-" + id)) {
      nomad.purge("default", run);
    }
    nomad.purgeWithBackup("default", id);
    try {
      nomad.send("DELETE", "/v1/var/nomad-backup-operator/status/" + id + "?namespace=default", null);
    } catch (TestNomad.NomadError e) {
      // already gone: the operator removed it when the job went
    }
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }
}

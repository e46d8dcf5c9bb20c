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
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** What an operator of the operator looks at: health, metrics, and a dry run. */
@OperatorTest
class OperateIT {
  private final HttpClient http = HttpClient.newHttpClient();

  @Test
  void healthAndMetricsTellWhatHappened(TestNomad nomad, OperatorRun run) throws Exception {
    String id = Jobs.uniqueId("metered");
    int port = run.operator.httpPort().orElseThrow();
    assertEquals(200, get(port, "/health/live").statusCode());
    HttpResponse<String> ready = get(port, "/health/ready");
    assertEquals(200, ready.statusCode());
    assertTrue(ready.body().startsWith("leading"), ready.body());

    double createdBefore = metric(get(port, "/metrics").body(), "nomad_backup_reconciles_total\\{outcome=\"created\"\\}");
    nomad.run(Jobs.service(id, Jobs.optIn("@daily")));
    awaitPresent(() -> nomad.job("backup-" + id));
    eventually(() -> {
      String metrics = get(port, "/metrics").body();
      assertEquals(createdBefore + 1, metric(metrics, "nomad_backup_reconciles_total\\{outcome=\"created\"\\}"), metrics);
      assertTrue(metric(metrics, "nomad_backup_events_total\\{type=\"JobRegistered\"\\}") >= 2, metrics);
      assertTrue(metric(metrics, "nomad_backup_last_event_index") > 0, metrics);
      assertTrue(metric(metrics, "nomad_backup_managed_jobs") >= 1, metrics);
      assertEquals(1.0, metric(metrics, "nomad_backup_leader"), metrics);
      assertEquals(0.0, metric(metrics, "nomad_backup_queue_depth"), metrics);
      assertTrue(metrics.contains("nomad_backup_reconcile_duration_seconds_count"), metrics);
      assertTrue(metrics.contains("nomad_backup_stream_reconnects_total"), metrics);
    });
    assertEquals(405, http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
        .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString()).statusCode());
  }

  @Test
  void dryRunSaysWhatItWouldDoAndWritesNothing(NomadAgent agent, TestNomad nomad) throws Exception {
    String created = Jobs.uniqueId("dry");
    String orphanSource = Jobs.uniqueId("gone");
    try (OperatorRun real = OperatorRun.start(agent)) {
      nomad.run(Jobs.service(orphanSource, Jobs.optIn("@daily")));
      awaitPresent(() -> nomad.job("backup-" + orphanSource));
    }
    nomad.purge("default", orphanSource);
    long orphanIndex = nomad.job("backup-" + orphanSource).orElseThrow().path("JobModifyIndex").asLong();
    try (OperatorRun dry = OperatorRun.start(agent, Map.of("OPERATOR_DRY_RUN", "true"))) {
      assertTrue(dry.log.contains("(dry run: nothing is written)"));
      eventually(() -> assertTrue(dry.log.contains("Dry run: would remove backup-" + orphanSource)));
      nomad.run(Jobs.service(created, Jobs.optIn("@daily")));
      eventually(() -> assertTrue(dry.log.contains("Dry run: would create backup-" + created)));
      assertTrue(dry.idle(java.time.Duration.ofSeconds(10)));
      assertTrue(nomad.job("backup-" + created).isEmpty(), "a dry run created a job");
      assertEquals(orphanIndex, nomad.job("backup-" + orphanSource).orElseThrow().path("JobModifyIndex").asLong(),
          "a dry run touched a job");
    }
  }

  private HttpResponse<String> get(int port, String path) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static double metric(String text, String nameRegex) {
    Matcher m = Pattern.compile("(?m)^" + nameRegex + " (\\S+)$").matcher(text);
    return m.find() ? Double.parseDouble(m.group(1)) : 0;
  }
}

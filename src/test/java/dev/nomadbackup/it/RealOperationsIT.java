package dev.nomadbackup.it;

import static dev.nomadbackup.testing.Waits.awaitPresent;
import static dev.nomadbackup.testing.Waits.eventually;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nomadbackup.StartupException;
import dev.nomadbackup.testing.Jobs;
import dev.nomadbackup.testing.NomadAgent;
import dev.nomadbackup.testing.OperatorRun;
import dev.nomadbackup.testing.OperatorTest;
import dev.nomadbackup.testing.TestNomad;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * How the operator is run for real, where it used to go wrong in silence: a dry run beside the
 * real one, settings split between the job and a task, an idle resync, the managed-jobs count, a
 * template path that is wrong.
 */
@OperatorTest
class RealOperationsIT {

  @Test
  void aDryRunBesideTheRealOperatorNeverTakesTheLockItNeeds(NomadAgent agent, TestNomad nomad) throws Exception {
    // a lock of this test's own, under the prefix the operator's policy grants
    Map<String, String> lock = Map.of("OPERATOR_LOCK_PATH", "nomad-backup-operator/" + Jobs.uniqueId("lock"));
    String id = Jobs.uniqueId("after-restart");
    try (OperatorRun preview = OperatorRun.start(agent, Map.of(
        "OPERATOR_LOCK_PATH", lock.get("OPERATOR_LOCK_PATH"), "OPERATOR_DRY_RUN", "true"))) {
      assertTrue(preview.operator.status().reason().startsWith("dry run"), preview.operator.status().reason());
      try (OperatorRun first = OperatorRun.start(agent, lock)) {
        eventually(() -> assertTrue(first.operator.leading(), first.operator.status().reason()));
      }
      // the real one restarts: the lock it let go of must be there for it, not for the preview
      try (OperatorRun again = OperatorRun.start(agent, lock)) {
        eventually(() -> assertTrue(again.operator.leading(), again.operator.status().reason()));
        assertFalse(preview.operator.leading());
        nomad.run(Jobs.service(id, Jobs.optIn("@daily")));
        awaitPresent(() -> nomad.job("backup-" + id));
        eventually(() -> assertTrue(preview.log.contains("Dry run: would create backup-" + id)));
      }
    }
  }

  @Test
  void settingsSplitBetweenTheJobAndATaskAreOneErrorNamingBoth(TestNomad nomad, OperatorRun run) {
    String id = Jobs.uniqueId("split");
    nomad.run("""
        job "%s" {
          datacenters = ["dc1"]
          meta {
            backup-pg-host = "db.internal"
          }
          group "app" {
            update {
              max_parallel = 0
            }
            task "db" {
              driver = "docker"
              config {
                image = "postgres:17-alpine"
              }
              meta {
                auto-backup     = "true"
                backup-schedule = "@daily"
              }
            }
          }
        }
        """.formatted(id));
    eventually(() -> assertTrue(run.log.lines().stream().anyMatch(l -> l.startsWith("ERROR") && l.contains(id)
        && l.contains("auto-backup is in task \"app/db\"") && l.contains("backup-pg-host")), run.log.lines().toString()));
    assertEquals(1, run.log.lines().stream().filter(l -> l.startsWith("ERROR") && l.contains(id)).count(), "one line");
    assertTrue(nomad.job("backup-" + id).isEmpty(), "no backup while the settings are split");
  }

  @Test
  void anIdleResyncLogsNothingAtInfoAndTheManagedCountIsBackupJobsOnly(NomadAgent agent, TestNomad nomad)
      throws Exception {
    String id = Jobs.uniqueId("idle");
    try (OperatorRun run = OperatorRun.start(agent, Map.of("OPERATOR_RESYNC_INTERVAL", "1s"))) {
      nomad.run(Jobs.service(id, Jobs.optIn("@daily")));
      awaitPresent(() -> nomad.job("restore-" + id));
      nomad.send("PUT", "/v1/job/backup-" + id + "/periodic/force?namespace=default", null); // a run: a child job
      // the run's own events are news: let them be logged before watching the resyncs
      eventually(() -> assertTrue(run.log.contains("--> Done: backup-" + id + "/periodic-")));
      eventually(() -> assertTrue(run.log.contains("Backup run not placed: backup-" + id)));
      assertTrue(run.idle(Duration.ofSeconds(10)));
      int before = run.log.lines().size();
      // three resyncs and more: none of them is news
      await().during(Duration.ofMillis(3500)).atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(100))
          .until(() -> run.log.lines().subList(before, run.log.lines().size()).stream()
              .noneMatch(l -> l.startsWith("INFO") && l.contains(id)));

      int port = run.operator.httpPort().orElseThrow();
      eventually(() -> assertEquals(backupJobs(nomad), managedJobs(port), "backup jobs only, not restore jobs or runs"));
    } finally {
      for (JsonNode stub : nomad.send("GET", "/v1/jobs?namespace=default&prefix=backup-" + id + "/", null)) {
        nomad.purge("default", stub.path("ID").asText());
      }
    }
  }

  @Test
  void aTemplatePathThatIsWrongSaysHowItIsWrong(NomadAgent agent) throws Exception {
    Path missing = Path.of("target", "no-such-template.nomad.tmpl").toAbsolutePath();
    StartupException gone = assertThrows(StartupException.class,
        () -> OperatorRun.start(agent, Map.of("OPERATOR_TEMPLATE", missing.toString())));
    assertTrue(gone.getMessage().contains(missing + " does not exist"), gone.getMessage());
    Path dir = Files.createDirectories(Path.of("target", "a-template-dir").toAbsolutePath());
    StartupException folder = assertThrows(StartupException.class,
        () -> OperatorRun.start(agent, Map.of("OPERATOR_TEMPLATE", dir.toString())));
    assertTrue(folder.getMessage().contains(dir + " is a directory, not a template file"), folder.getMessage());
  }

  /** The operator's backup jobs in every namespace: managed, named backup-<source>, no parent. */
  private static long backupJobs(TestNomad nomad) {
    long n = 0;
    for (JsonNode stub : nomad.send("GET", "/v1/jobs?namespace=*&meta=true", null)) {
      JsonNode meta = stub.path("Meta");
      if ("true".equals(meta.path("backup-operator-managed").asText()) && stub.path("ParentID").asText("").isEmpty()
          && stub.path("ID").asText().equals("backup-" + meta.path("backup-operator-source").asText())) {
        n++;
      }
    }
    return n;
  }

  private static long managedJobs(int port) throws Exception {
    String metrics = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
        HttpResponse.BodyHandlers.ofString()).body();
    Matcher m = Pattern.compile("(?m)^nomad_backup_managed_jobs ([0-9.eE+]+)$").matcher(metrics);
    assertTrue(m.find(), metrics);
    return (long) Double.parseDouble(m.group(1));
  }
}

package dev.nomadbackup.it;

import static dev.nomadbackup.testing.Waits.awaitPresent;
import static dev.nomadbackup.testing.Waits.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nomadbackup.testing.Jobs;
import dev.nomadbackup.testing.OperatorRun;
import dev.nomadbackup.testing.OperatorTest;
import dev.nomadbackup.testing.TestNomad;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Changes to the source job's settings reach the backup; no change means no write. */
@OperatorTest
class BackupUpdatesIT {

  @Test
  void changedScheduleUpdatesUnchangedJobWritesNothingAndOptOutRemoves(TestNomad nomad, OperatorRun run) {
    String id = Jobs.uniqueId("app");
    String backupId = "backup-" + id;
    nomad.run(Jobs.service(id, Jobs.optIn("@daily")));
    JsonNode first = awaitPresent(() -> nomad.job(backupId));

    nomad.run(Jobs.service(id, Jobs.optIn("0 2 * * *")));
    JsonNode updated =
        awaitPresent(() -> nomad.job(backupId).filter(b -> Jobs.cronOf(b).equals("0 2 * * *")));
    assertTrue(updated.path("JobModifyIndex").asLong() > first.path("JobModifyIndex").asLong());
    eventually(() -> assertTrue(run.log.contains("Backup updated: " + backupId)));

    // Same settings, new version of the source (another image): the backup stays as it is.
    long doneBefore = run.log.count("--> Done: " + id + " (unchanged)");
    nomad.run(Jobs.service(id, Jobs.optIn("0 2 * * *")).replace("redis:7", "redis:7.2"));
    eventually(() -> assertTrue(run.log.count("--> Done: " + id + " (unchanged)") > doneBefore));
    assertEquals(
        updated.path("JobModifyIndex").asLong(),
        nomad.job(backupId).orElseThrow().path("JobModifyIndex").asLong(),
        "an unchanged backup must not be written again");

    Map<String, String> optOut = Jobs.optIn("0 2 * * *");
    optOut.put("auto-backup", "false");
    nomad.run(Jobs.service(id, optOut));
    eventually(() -> assertTrue(nomad.job(backupId).isEmpty(), "backup still there after opting out"));
  }

  @Test
  void anInvalidCronIsReportedWithTheJobAndTheOperatorCarriesOn(TestNomad nomad, OperatorRun run) {
    String bad = Jobs.uniqueId("badcron");
    String good = Jobs.uniqueId("goodcron");
    nomad.run(Jobs.service(bad, Jobs.optIn("every day at noon")));
    eventually(() -> assertTrue(run.log.lines().stream().anyMatch(
        l -> l.startsWith("ERROR") && l.contains(bad) && l.toLowerCase().contains("cron"))));
    assertTrue(nomad.job("backup-" + bad).isEmpty());

    nomad.run(Jobs.service(good, Jobs.optIn("@hourly")));
    awaitPresent(() -> nomad.job("backup-" + good));
  }

  @Test
  void settingsDeclaredOnceInATaskCountLikeJobMeta(TestNomad nomad, OperatorRun run) {
    String id = Jobs.uniqueId("taskmeta");
    nomad.run("""
        job "%s" {
          datacenters = ["dc1"]
          group "db" {
            task "server" {
              driver = "docker"
              config {
                image = "postgres:17"
              }
              meta {
                auto-backup      = true
                backup-schedule  = "@weekly"
                backup-target-db = "orders"
              }
            }
          }
        }
        """.formatted(id));
    JsonNode backup = awaitPresent(() -> nomad.job("backup-" + id));
    assertEquals("@weekly", Jobs.cronOf(backup));
    assertTrue(backup.toString().contains("orders"), "the target database reaches the backup job");
  }
}

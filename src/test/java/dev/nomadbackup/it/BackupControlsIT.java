package dev.nomadbackup.it;

import static dev.nomadbackup.testing.Waits.awaitPresent;
import static dev.nomadbackup.testing.Waits.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nomadbackup.testing.Jobs;
import dev.nomadbackup.testing.NomadAgent;
import dev.nomadbackup.testing.NomadAgentExtension;
import dev.nomadbackup.testing.OperatorRun;
import dev.nomadbackup.testing.TestNomad;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * What a job's meta controls beyond the schedule, each asserted on Nomad's state: the template
 * kind, the restore job beside the backup, suspending, a first run at once, and the runs the
 * operator removes with the jobs it owns.
 */
@ExtendWith(NomadAgentExtension.class)
class BackupControlsIT {

  @Test
  void aRestoreJobIsKeptBesideTheBackupAndRemovedWithIt(NomadAgent agent) throws Exception {
    TestNomad nomad = agent.api();
    String id = Jobs.uniqueId("db");
    try (OperatorRun run = OperatorRun.start(agent)) {
      nomad.run(Jobs.service(id, Jobs.optIn("@daily")));
      JsonNode restore = awaitPresent(() -> nomad.job("restore-" + id));
      assertEquals("batch", restore.path("Type").asText());
      assertTrue(restore.path("ParameterizedJob").path("MetaRequired").toString().contains("backup"),
          "dispatched with -meta backup=<file>: " + restore.path("ParameterizedJob"));
      assertEquals("true", restore.path("Meta").path("backup-operator-managed").asText());
      assertEquals(id, restore.path("Meta").path("backup-operator-source").asText());
      eventually(() -> assertTrue(run.log.contains("Restore job created: restore-" + id)));

      nomad.stop("default", id);
      eventually(() -> assertTrue(nomad.job("restore-" + id).isEmpty() && nomad.job("backup-" + id).isEmpty()));
      assertTrue(run.log.contains("Restore job removed: restore-" + id + " (job is stopped)"));
    } finally {
      nomad.purgeWithBackup("default", id);
    }
  }

  @Test
  void restoreJobsCanBeTurnedOff(NomadAgent agent) throws Exception {
    TestNomad nomad = agent.api();
    String id = Jobs.uniqueId("db");
    try {
      try (OperatorRun run = OperatorRun.start(agent)) {
        nomad.run(Jobs.service(id, Jobs.optIn("@daily")));
        awaitPresent(() -> nomad.job("restore-" + id));
      }
      try (OperatorRun run = OperatorRun.start(agent, Map.of("OPERATOR_RESTORE_JOBS", "false"))) {
        eventually(() -> assertTrue(nomad.job("restore-" + id).isEmpty(), "the operator's restore job is removed"));
        assertTrue(nomad.job("backup-" + id).isPresent());
      }
    } finally {
      nomad.purgeWithBackup("default", id);
    }
  }

  @Test
  void theTemplateIsChosenByMetaAndAnUnknownOneIsAClearError(NomadAgent agent) throws Exception {
    TestNomad nomad = agent.api();
    String maria = Jobs.uniqueId("shop");
    String unknown = Jobs.uniqueId("legacy");
    try (OperatorRun run = OperatorRun.start(agent)) {
      Map<String, String> meta = Jobs.optIn("@daily");
      meta.put("backup-template", "mariadb");
      nomad.run(Jobs.service(maria, meta));
      JsonNode backup = awaitPresent(() -> nomad.job("backup-" + maria));
      assertTrue(backup.toString().contains("mariadb"), "the mariadb kind's job: " + backup);
      JsonNode restore = awaitPresent(() -> nomad.job("restore-" + maria));
      assertTrue(restore.toString().contains("mariadb"), "and its restore job: " + restore);

      Map<String, String> other = Jobs.optIn("@daily");
      other.put("backup-template", "oracle");
      nomad.run(Jobs.service(unknown, other));
      eventually(() -> assertTrue(run.log.contains(
          "Backup left as it is for " + unknown + ": backup-template = \"oracle\" is not a known template"
              + " (known: mariadb, postgres)")));
      assertTrue(nomad.job("backup-" + unknown).isEmpty());
      assertTrue(run.operator.status().ready(), "one job's bad meta does not stop the operator");
    } finally {
      nomad.purgeWithBackup("default", maria);
      nomad.purgeWithBackup("default", unknown);
    }
  }

  @Test
  void aSuspendedBackupKeepsItsJobWithTheScheduleOff(NomadAgent agent) throws Exception {
    TestNomad nomad = agent.api();
    String id = Jobs.uniqueId("db");
    try (OperatorRun run = OperatorRun.start(agent)) {
      Map<String, String> meta = Jobs.optIn("@daily");
      meta.put("backup-suspend", "true");
      nomad.run(Jobs.service(id, meta));
      JsonNode suspended = awaitPresent(() -> nomad.job("backup-" + id));
      assertFalse(suspended.path("Periodic").path("Enabled").asBoolean(true), suspended.path("Periodic").toString());
      eventually(() -> assertTrue(run.log.contains("Backup created: backup-" + id + " (suspended)")));

      meta.put("backup-suspend", "false");
      nomad.run(Jobs.service(id, meta));
      eventually(() -> assertTrue(
          nomad.job("backup-" + id).orElseThrow().path("Periodic").path("Enabled").asBoolean(false)));
      // the line is logged once Nomad has answered the write, which the job may show first
      eventually(() -> assertTrue(run.log.contains("Backup updated: backup-" + id)));
    } finally {
      nomad.purgeWithBackup("default", id);
    }
  }

  @Test
  void anImmediateBackupRunsOnceWhenItsJobIsFirstCreated(NomadAgent agent) throws Exception {
    TestNomad nomad = agent.api();
    String id = Jobs.uniqueId("db");
    try {
      try (OperatorRun run = OperatorRun.start(agent)) {
        Map<String, String> meta = Jobs.optIn("@daily");
        meta.put("backup-immediate", "true");
        nomad.run(Jobs.service(id, meta));
        eventually(() -> assertEquals(1, children(nomad, "backup-" + id).size()));
        assertTrue(run.log.contains("Backup run started: backup-" + id + " (backup-immediate)"));

        meta.put("backup-schedule", "@weekly");
        nomad.run(Jobs.service(id, meta));
        eventually(() -> assertEquals("@weekly", Jobs.cronOf(nomad.job("backup-" + id).orElseThrow())));
        assertTrue(run.idle(Duration.ofSeconds(10)));
        // (the first run, still pending on this client-less agent, went with the change)
        assertEquals(1, run.log.count("Backup run started: backup-" + id), "not again on an update");
      }
      List<String> before = children(nomad, "backup-" + id);
      try (OperatorRun again = OperatorRun.start(agent)) {
        assertTrue(again.idle(Duration.ofSeconds(10)));
        assertEquals(0, again.log.count("Backup run started: backup-" + id), "not again on a restart");
      }
      assertEquals(before, children(nomad, "backup-" + id));
    } finally {
      purgeRuns(nomad, "backup-" + id);
      nomad.purgeWithBackup("default", id);
    }
  }

  @Test
  void runsThatNeverStartedGoWithTheBackupJob(NomadAgent agent) throws Exception {
    TestNomad nomad = agent.api();
    String id = Jobs.uniqueId("db");
    try (OperatorRun run = OperatorRun.start(agent)) {
      nomad.run(Jobs.service(id, Jobs.optIn("@daily")));
      awaitPresent(() -> nomad.job("backup-" + id));
      force(nomad, "backup-" + id); // no client here: the run stays pending, as an unplaceable one does
      eventually(() -> assertEquals(1, children(nomad, "backup-" + id).size()));

      nomad.stop("default", id);
      eventually(() -> assertTrue(nomad.job("backup-" + id).isEmpty()));
      eventually(() -> assertEquals(List.of(), children(nomad, "backup-" + id)));
      assertTrue(run.log.contains("Removed leftover run: backup-" + id + "/periodic-"));
    } finally {
      purgeRuns(nomad, "backup-" + id);
      nomad.purgeWithBackup("default", id);
    }
  }

  @Test
  void aRunThatNeverStartedGoesWhenTheBackupJobChangesSoItBlocksNoLaterRun(NomadAgent agent) throws Exception {
    TestNomad nomad = agent.api();
    String id = Jobs.uniqueId("db");
    try (OperatorRun run = OperatorRun.start(agent)) {
      Map<String, String> meta = Jobs.optIn("@daily");
      nomad.run(Jobs.service(id, meta));
      awaitPresent(() -> nomad.job("backup-" + id));
      force(nomad, "backup-" + id); // stays pending: with prohibit_overlap it would block every later run
      eventually(() -> assertEquals(1, children(nomad, "backup-" + id).size()));

      meta.put("backup-schedule", "@weekly");
      nomad.run(Jobs.service(id, meta));
      eventually(() -> assertEquals(List.of(), children(nomad, "backup-" + id)));
      assertEquals("@weekly", Jobs.cronOf(nomad.job("backup-" + id).orElseThrow()));
      assertTrue(run.log.contains("Removed a run that never started: backup-" + id + "/periodic-"));
    } finally {
      purgeRuns(nomad, "backup-" + id);
      nomad.purgeWithBackup("default", id);
    }
  }

  @Test
  void aLeftoverRunOfABackupJobPurgedBehindTheOperatorsBackIsRemovedAtStart(NomadAgent agent) throws Exception {
    TestNomad nomad = agent.api();
    String id = Jobs.uniqueId("db");
    String stranger = Jobs.uniqueId("cron");
    try {
      try (OperatorRun run = OperatorRun.start(agent)) {
        nomad.run(Jobs.service(id, Jobs.optIn("@daily")));
        awaitPresent(() -> nomad.job("backup-" + id));
      }
      force(nomad, "backup-" + id);
      eventually(() -> assertEquals(1, children(nomad, "backup-" + id).size()));
      nomad.purge("default", id); // the source and its backup go while no operator runs
      nomad.purge("default", "backup-" + id);
      nomad.run(Jobs.periodic(stranger, Map.of()));
      force(nomad, stranger); // somebody else's run, which the operator must leave alone
      eventually(() -> assertEquals(1, children(nomad, stranger).size()));

      try (OperatorRun run = OperatorRun.start(agent)) {
        eventually(() -> assertEquals(List.of(), children(nomad, "backup-" + id)));
        assertTrue(run.log.contains("Removed leftover run: backup-" + id + "/periodic-"));
        assertTrue(run.idle(Duration.ofSeconds(10)));
        assertEquals(1, children(nomad, stranger).size(), "a run of a job the operator does not own stays");
      }
    } finally {
      purgeRuns(nomad, "backup-" + id);
      purgeRuns(nomad, stranger);
      nomad.purgeWithBackup("default", id);
      nomad.purge("default", stranger);
    }
  }

  private static void force(TestNomad nomad, String id) {
    nomad.send("PUT", "/v1/job/" + enc(id) + "/periodic/force?namespace=default", null);
  }

  /** The IDs of the periodic children of {@code parent} in the default namespace. */
  static List<String> children(TestNomad nomad, String parent) {
    List<String> ids = new ArrayList<>();
    for (JsonNode stub : nomad.send("GET", "/v1/jobs?namespace=default&prefix=" + enc(parent + "/"), null)) {
      if (parent.equals(stub.path("ParentID").asText())) {
        ids.add(stub.path("ID").asText());
      }
    }
    return ids;
  }

  private static void purgeRuns(TestNomad nomad, String parent) {
    children(nomad, parent).forEach(child -> nomad.purge("default", child));
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }
}

package dev.nomadbackup.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nomadbackup.backup.template.TemplateValues;
import dev.nomadbackup.testing.BatchRuns;
import dev.nomadbackup.testing.BatchRuns.Run;
import dev.nomadbackup.testing.DumpDir;
import dev.nomadbackup.testing.Jobs;
import dev.nomadbackup.testing.NomadAgent;
import dev.nomadbackup.testing.NomadAgentExtension;
import dev.nomadbackup.testing.PostgresServer;
import dev.nomadbackup.testing.RawExecCopy;
import dev.nomadbackup.testing.ShippedJobs;
import dev.nomadbackup.testing.TestNomad;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Who may read the credentials, on a cluster with ACLs: the backup job's periodic children read
 * {@code nomad/jobs/backup-<id>} with their workload identity and no policy, and the restore job
 * reads it only once a policy bound to {@code restore-<id>} allows it, as the README says. The
 * jobs keep their own IDs here (the raw_exec copy replaces the job in place), since the identity
 * is what is tested.
 */
@ExtendWith(NomadAgentExtension.class)
class BackupCredentialsAclIT {
  private static final String NS = "default";
  private static final Path ROOT = Path.of("target", "it-backups").toAbsolutePath();
  private static final ObjectMapper JSON = new ObjectMapper();

  private final PostgresServer pg = PostgresServer.shared();

  @Test
  void theBackupReadsItsVariableByItselfAndTheRestoreOnlyWithAPolicy(@NomadAgent.Client @NomadAgent.Acl NomadAgent agent) {
    String id = Jobs.uniqueId("acl-shop");
    String db = pg.createDatabase("acl");
    pg.sql(db, "CREATE TABLE orders (id int PRIMARY KEY, item text NOT NULL); INSERT INTO orders VALUES (1, 'tea');");
    ShippedJobs.putJobVariable(agent, NS, "backup-" + id, Map.of("username", pg.user(), "password", pg.password()));
    Path root = ROOT.resolve(id);
    Map<String, String> meta = Jobs.optIn("@daily");
    meta.put("backup-target-db", db);
    meta.put("backup-pg-host", pg.host());
    meta.put("backup-pg-port", String.valueOf(pg.port()));
    meta.put("backup-pg-user", "nobody-by-that-name"); // only the Variable's username gets in
    TemplateValues values = new TemplateValues("backup-" + id, id, NS, List.of("dc1"), "global", "@daily", db, meta);
    String policy = "restore-" + id;
    TestNomad nomad = agent.api();
    try {
      inPlaceRawExec(agent, ShippedJobs.template("postgres", "backup"), values, root);
      Run backup = BatchRuns.force(agent, NS, "backup-" + id);
      assertTrue(backup.complete(), "a periodic child reads its parent's Variable: " + backup.describe());
      assertEquals(1, DumpDir.of(root, NS, id, ".dump").dumps().size());

      pg.sql(db, "INSERT INTO orders VALUES (2, 'cake');");
      inPlaceRawExec(agent, ShippedJobs.template("postgres", "restore"), values.forJob("restore-" + id), root);
      Run refused = BatchRuns.dispatch(agent, NS, "restore-" + id, Map.of("backup", "latest"));
      assertTrue(refused.failed() && refused.events().contains("Permission denied"),
          "without a policy the restore cannot read the backup's Variable: " + refused.describe());
      assertEquals(List.of("1|tea", "2|cake"), pg.rows(db, "SELECT id, item FROM orders ORDER BY id"),
          "a refused restore leaves the database alone");

      ObjectNode body = JSON.createObjectNode().put("Name", policy).put("Description", "test")
          .put("Rules", """
              namespace "%s" {
                variables {
                  path "nomad/jobs/backup-%s" {
                    capabilities = ["read"]
                  }
                }
              }
              """.formatted(NS, id));
      body.putObject("JobACL").put("Namespace", NS).put("JobID", "restore-" + id);
      nomad.send("POST", "/v1/acl/policy/" + policy, body);

      Run restored = BatchRuns.dispatch(agent, NS, "restore-" + id, Map.of("backup", "latest"));
      assertTrue(restored.complete(), "with the policy the restore reads it: " + restored.describe());
      assertEquals(List.of("1|tea"), pg.rows(db, "SELECT id, item FROM orders ORDER BY id"));
    } finally {
      for (JsonNode stub : nomad.jobs(NS)) {
        String job = stub.path("ID").asText();
        if (job.startsWith("backup-" + id + "/") || job.startsWith("restore-" + id + "/")) {
          nomad.purge(NS, job);
        }
      }
      nomad.purge(NS, "backup-" + id);
      nomad.purge(NS, "restore-" + id);
      ShippedJobs.deleteJobVariable(agent, NS, "backup-" + id);
      try {
        nomad.send("DELETE", "/v1/acl/policy/" + policy, null);
      } catch (TestNomad.NomadError e) {
        if (e.status != 404) {
          throw e;
        }
      }
    }
  }

  /** Registers the template's job under its own ID, then replaces it with its raw_exec copy. */
  private static void inPlaceRawExec(NomadAgent agent, Path template, TemplateValues values, Path root) {
    JsonNode job = ShippedJobs.register(agent, template, values);
    agent.api().register(NS, RawExecCopy.of(job, values.jobId(), root));
  }
}

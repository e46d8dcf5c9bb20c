package dev.nomadbackup.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nomadbackup.testing.BatchRuns;
import dev.nomadbackup.testing.BatchRuns.Run;
import dev.nomadbackup.testing.DumpDir;
import dev.nomadbackup.testing.Jobs;
import dev.nomadbackup.testing.LocalDatabaseServer;
import dev.nomadbackup.testing.NomadAgent;
import dev.nomadbackup.testing.NomadAgentExtension;
import dev.nomadbackup.testing.OperatorMade;
import dev.nomadbackup.testing.RawExecCopy;
import dev.nomadbackup.testing.ShippedJobs;
import dev.nomadbackup.testing.TestNomad;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The backup and restore scenarios every template kind must pass, run for real: the operator
 * registers {@code backup-<id>} and {@code restore-<id>} from the kind's template, raw_exec copies
 * of them (only the driver and the volume differ, see {@link RawExecCopy}) run on the test agent's
 * client against a real server of the kind, and the dumps land in a host directory under {@code
 * target/}. What the copies cannot show: the Docker image and the volume mount.
 *
 * <p>A kind's IT gives its server, the meta that selects the kind, and what tells its jobs and
 * dumps apart.
 */
@ExtendWith(NomadAgentExtension.class)
abstract class DatabaseBackupScenarios {
  static final String NS = "default";
  private static final Path ROOT = Path.of("target", "it-backups").toAbsolutePath();

  /** The kind's server, shared by the JVM. */
  abstract LocalDatabaseServer server();

  /** Starts the test jobs' IDs ("pg"). */
  abstract String idPrefix();

  /** How the kind's dump files end (".dump"). */
  abstract String dumpExtension();

  /** The dump tool, as a failed dump names it on stderr ("pg_dump"). */
  abstract String dumpTool();

  /** The column type for short text ("text"). */
  abstract String textType();

  /** A source job's meta asking for this kind's backups of {@code database} as {@code user}. */
  abstract Map<String, String> meta(String database, String user, String keep);

  /** Fails unless {@code job}, backup or restore, is of this kind and for {@code database}. */
  abstract void assertOfThisKind(JsonNode job, String database);

  @Test
  void aForcedRunKeepsADumpThatARestoreBringsBackExactly(@NomadAgent.Client NomadAgent agent) throws Exception {
    LocalDatabaseServer server = server();
    String id = Jobs.uniqueId(idPrefix() + "-shop");
    String db = server.createDatabase("shop");
    server.sql(db, "CREATE TABLE orders (id int PRIMARY KEY, item " + textType() + " NOT NULL);"
        + "INSERT INTO orders VALUES (1, 'tea'), (2, 'cake');");
    // the meta names a user that does not exist: the Variable's username is what counts
    ShippedJobs.putJobVariable(agent, NS, "backup-" + id,
        Map.of("username", server.user(), "password", server.password()));
    Path root = ROOT.resolve(id);
    DumpDir dumps = DumpDir.of(root, NS, id, dumpExtension());
    Map<String, String> meta = meta(db, "nobody-by-that-name", "7");
    try {
      String backup = rawBackup(agent, id, meta, root);

      Run first = BatchRuns.force(agent, NS, backup);
      assertTrue(first.complete(), first.describe());
      assertEquals(1, dumps.dumps().size(), dumps.files().toString());
      String dump = dumps.dumps().get(0);
      dumps.assertChecksumMatches(dump);
      dumps.assertOnlyDumpsWithChecksums();

      server.sql(db, "INSERT INTO orders VALUES (3, 'scones'); UPDATE orders SET item = 'coffee' WHERE id = 1;"
          + "DELETE FROM orders WHERE id = 2;");
      String restore = rawRestore(agent, id, db, root);
      Run byName = BatchRuns.dispatch(agent, NS, restore, Map.of("backup", dump));
      assertTrue(byName.complete(), byName.describe());
      assertEquals(List.of(row(1, "tea"), row(2, "cake")), orders(db), "the rows of the dump's moment, and only those");

      server.sql(db, "INSERT INTO orders VALUES (4, 'pie');");
      Run second = BatchRuns.force(agent, NS, backup);
      assertTrue(second.complete(), second.describe());
      assertEquals(2, dumps.dumps().size(), dumps.files().toString());
      server.sql(db, "DELETE FROM orders; INSERT INTO orders VALUES (9, 'nothing');");

      Run latest = BatchRuns.dispatch(agent, NS, restore, Map.of("backup", "latest"));
      assertTrue(latest.complete(), latest.describe());
      assertEquals(List.of(row(1, "tea"), row(2, "cake"), row(4, "pie")), orders(db), "latest is the newest dump");
      dumps.assertOnlyDumpsWithChecksums();
    } finally {
      cleanUp(agent, id);
    }
  }

  @Test
  void aFailedDumpFailsTheRunAndLeavesTheOlderDumpsAlone(@NomadAgent.Client NomadAgent agent) throws Exception {
    LocalDatabaseServer server = server();
    String id = Jobs.uniqueId(idPrefix() + "-fail");
    String db = server.createDatabase("fail");
    server.sql(db, "CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1);");
    Path root = ROOT.resolve(id);
    DumpDir dumps = DumpDir.of(root, NS, id, dumpExtension());
    try {
      // no Variable at all: the run must neither wait for one nor need it (a login without password)
      String backup = rawBackup(agent, id, meta(db, server.trustedUser(), "7"), root);
      Run good = BatchRuns.force(agent, NS, backup);
      assertTrue(good.complete(), good.describe());
      List<String> before = dumps.files();
      String kept = dumps.dumps().get(0);
      String keptSum = DumpDir.sha256(dumps.dir().resolve(kept));

      // the job's author names a database that does not exist
      rawBackup(agent, id, meta("no_such_database", server.trustedUser(), "7"), root);
      Run bad = BatchRuns.force(agent, NS, backup);
      assertTrue(bad.failed(), "the run must fail: " + bad.describe());
      assertTrue(bad.stderr().contains(dumpTool() + " failed"), bad.describe());
      assertEquals(before, dumps.files(), "no new file, no partial file, nothing removed");
      assertEquals(keptSum, DumpDir.sha256(dumps.dir().resolve(kept)), "the older dump is untouched");
    } finally {
      cleanUp(agent, id);
    }
  }

  @Test
  void afterMoreRunsThanBackupKeepOnlyTheNewestDumpsRemain(@NomadAgent.Client NomadAgent agent) throws Exception {
    LocalDatabaseServer server = server();
    String id = Jobs.uniqueId(idPrefix() + "-keep");
    String db = server.createDatabase("keep");
    server.sql(db, "CREATE TABLE t (id int PRIMARY KEY);");
    Path root = ROOT.resolve(id);
    DumpDir dumps = DumpDir.of(root, NS, id, dumpExtension());
    int keep = 2;
    try {
      String backup = rawBackup(agent, id, meta(db, server.trustedUser(), String.valueOf(keep)), root);
      List<String> made = new ArrayList<>();
      for (int i = 1; i <= keep + 2; i++) {
        server.sql(db, "INSERT INTO t VALUES (" + i + ");");
        List<String> before = dumps.dumps();
        Run run = BatchRuns.force(agent, NS, backup);
        assertTrue(run.complete(), run.describe());
        List<String> added = new ArrayList<>(dumps.dumps());
        added.removeAll(before);
        assertEquals(1, added.size(), "one new dump per run: " + dumps.files());
        made.add(added.get(0));
        assertTrue(dumps.dumps().size() <= keep, "never more than backup-keep: " + dumps.files());
      }
      assertEquals(made.subList(made.size() - keep, made.size()), dumps.dumps(), "the newest " + keep + " remain");
      dumps.assertOnlyDumpsWithChecksums();
      for (String dump : dumps.dumps()) {
        dumps.assertChecksumMatches(dump);
      }
    } finally {
      cleanUp(agent, id);
    }
  }

  /**
   * Has the operator make (or update) {@code backup-<id>} and {@code restore-<id>} for a source job
   * with {@code meta}, registers the raw_exec copy of the backup job as {@code raw-backup-<id>},
   * and returns that ID.
   */
  private String rawBackup(NomadAgent agent, String id, Map<String, String> meta, Path root) throws Exception {
    JsonNode backup = OperatorMade.forSource(agent, NS, id, meta).backup();
    assertOfThisKind(backup, meta.get("backup-target-db"));
    return agent.api().register(NS, RawExecCopy.of(backup, "raw-backup-" + id, root));
  }

  /** The restore job the operator keeps beside the backup, as a raw_exec copy {@code raw-restore-<id>}. */
  private String rawRestore(NomadAgent agent, String id, String database, Path root) {
    JsonNode restore = agent.api().job(NS, "restore-" + id).orElseThrow();
    assertEquals("true", restore.path("Meta").path("backup-operator-managed").asText(), restore.toString());
    assertOfThisKind(restore, database);
    return agent.api().register(NS, RawExecCopy.of(restore, "raw-restore-" + id, root));
  }

  private List<String> orders(String db) {
    return server().rows(db, "SELECT id, item FROM orders ORDER BY id");
  }

  /** A row of {@code orders} as {@link #orders} reads it. */
  private String row(int id, String item) {
    return id + server().columnSeparator() + item;
  }

  static JsonNode task(JsonNode job) {
    return job.path("TaskGroups").get(0).path("Tasks").get(0);
  }

  private static void cleanUp(NomadAgent agent, String id) {
    TestNomad nomad = agent.api();
    // children first: purging a periodic or parameterized job leaves its children behind
    for (JsonNode stub : nomad.jobs(NS)) {
      String job = stub.path("ID").asText();
      if (job.startsWith("raw-backup-" + id + "/") || job.startsWith("raw-restore-" + id + "/")) {
        nomad.purge(NS, job);
      }
    }
    for (String job : List.of(id, "backup-" + id, "restore-" + id, "raw-backup-" + id, "raw-restore-" + id)) {
      nomad.purge(NS, job);
    }
    ShippedJobs.deleteJobVariable(agent, NS, "backup-" + id);
  }
}

package dev.nomadbackup.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nomadbackup.testing.BatchRuns;
import dev.nomadbackup.testing.BatchRuns.Run;
import dev.nomadbackup.testing.DumpDir;
import dev.nomadbackup.testing.Jobs;
import dev.nomadbackup.testing.MariaDbServer;
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
 * The MariaDB backup and restore templates ({@code templates/mariadb/}), run for real: raw_exec
 * copies of the jobs they make (only the driver and the volume differ, see {@link RawExecCopy})
 * run on the test agent's client against a real MariaDB, with the dumps in a host directory under
 * {@code target/}. What the copies cannot show: the Docker image and the volume mount.
 */
@ExtendWith(NomadAgentExtension.class)
class MariaDbBackupIT {
  private static final String NS = "default";
  private static final Path ROOT = Path.of("target", "it-backups").toAbsolutePath();

  private final MariaDbServer db = MariaDbServer.shared();

  @Test
  void aForcedRunKeepsADumpThatARestoreBringsBackExactly(@NomadAgent.Client NomadAgent agent) throws Exception {
    String id = Jobs.uniqueId("maria-shop");
    String database = db.createDatabase("shop");
    db.sql(database, "CREATE TABLE orders (id int PRIMARY KEY, item varchar(40) NOT NULL);"
        + "INSERT INTO orders VALUES (1, 'tea'), (2, 'cake');");
    // the meta names a user that does not exist: the Variable's username is what counts
    ShippedJobs.putJobVariable(agent, NS, "backup-" + id, Map.of("username", db.user(), "password", db.password()));
    Path root = ROOT.resolve(id);
    DumpDir dumps = DumpDir.of(root, NS, id, ".sql");
    Map<String, String> meta = meta("nobody-by-that-name", "7");
    try {
      String backup = raw(agent, "backup", id, database, meta, root);

      Run first = BatchRuns.force(agent, NS, backup);
      assertTrue(first.complete(), first.describe());
      assertEquals(1, dumps.dumps().size(), dumps.files().toString());
      String dump = dumps.dumps().get(0);
      dumps.assertChecksumMatches(dump);
      dumps.assertOnlyDumpsWithChecksums();

      db.sql(database, "INSERT INTO orders VALUES (3, 'scones'); UPDATE orders SET item = 'coffee' WHERE id = 1;"
          + "DELETE FROM orders WHERE id = 2;");
      String restore = raw(agent, "restore", id, database, meta, root);
      Run byName = BatchRuns.dispatch(agent, NS, restore, Map.of("backup", dump));
      assertTrue(byName.complete(), byName.describe());
      assertEquals(List.of("1\ttea", "2\tcake"), orders(database), "the rows of the dump's moment, and only those");

      db.sql(database, "INSERT INTO orders VALUES (4, 'pie');");
      Run second = BatchRuns.force(agent, NS, backup);
      assertTrue(second.complete(), second.describe());
      assertEquals(2, dumps.dumps().size(), dumps.files().toString());
      db.sql(database, "DELETE FROM orders; INSERT INTO orders VALUES (9, 'nothing');");

      Run latest = BatchRuns.dispatch(agent, NS, restore, Map.of("backup", "latest"));
      assertTrue(latest.complete(), latest.describe());
      assertEquals(List.of("1\ttea", "2\tcake", "4\tpie"), orders(database), "latest is the newest dump");
      dumps.assertOnlyDumpsWithChecksums();
    } finally {
      cleanUp(agent, id);
    }
  }

  @Test
  void aFailedDumpFailsTheRunAndLeavesTheOlderDumpsAlone(@NomadAgent.Client NomadAgent agent) throws Exception {
    String id = Jobs.uniqueId("maria-fail");
    String database = db.createDatabase("fail");
    db.sql(database, "CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1);");
    Path root = ROOT.resolve(id);
    DumpDir dumps = DumpDir.of(root, NS, id, ".sql");
    Map<String, String> meta = meta(db.trustedUser(), "7");
    try {
      // no Variable at all: the run must neither wait for one nor need it (a login without password)
      String backup = raw(agent, "backup", id, database, meta, root);
      Run good = BatchRuns.force(agent, NS, backup);
      assertTrue(good.complete(), good.describe());
      List<String> before = dumps.files();
      String kept = dumps.dumps().get(0);
      String keptSum = DumpDir.sha256(dumps.dir().resolve(kept));

      // the job's author names a database that does not exist
      raw(agent, "backup", id, "no_such_database", meta, root);
      Run bad = BatchRuns.force(agent, NS, backup);
      assertTrue(bad.failed(), "the run must fail: " + bad.describe());
      assertTrue(bad.stderr().contains("mariadb-dump failed"), bad.describe());
      assertEquals(before, dumps.files(), "no new file, no partial file, nothing removed");
      assertEquals(keptSum, DumpDir.sha256(dumps.dir().resolve(kept)), "the older dump is untouched");
    } finally {
      cleanUp(agent, id);
    }
  }

  @Test
  void afterMoreRunsThanBackupKeepOnlyTheNewestDumpsRemain(@NomadAgent.Client NomadAgent agent) throws Exception {
    String id = Jobs.uniqueId("maria-keep");
    String database = db.createDatabase("keep");
    db.sql(database, "CREATE TABLE t (id int PRIMARY KEY);");
    Path root = ROOT.resolve(id);
    DumpDir dumps = DumpDir.of(root, NS, id, ".sql");
    int keep = 2;
    try {
      String backup = raw(agent, "backup", id, database, meta(db.trustedUser(), String.valueOf(keep)), root);
      List<String> made = new ArrayList<>();
      for (int i = 1; i <= keep + 2; i++) {
        db.sql(database, "INSERT INTO t VALUES (" + i + ");");
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

  private Map<String, String> meta(String user, String keep) {
    Map<String, String> meta = Jobs.optIn("@daily");
    meta.remove("backup-target-db");
    meta.put("backup-template", "mariadb");
    meta.put("backup-mariadb-host", db.host());
    meta.put("backup-mariadb-port", String.valueOf(db.port()));
    meta.put("backup-mariadb-user", user);
    meta.put("backup-keep", keep);
    return meta;
  }

  /**
   * Has the operator make {@code backup-<id>} and {@code restore-<id>} of the MariaDB kind for a
   * source job with {@code meta} and {@code database}, registers the raw_exec copy of the one
   * {@code kind} names (backup or restore) as {@code raw-<kind>-<id>}, and returns the copy's ID.
   */
  private static String raw(NomadAgent agent, String kind, String id, String database, Map<String, String> meta,
      Path root) throws Exception {
    Map<String, String> source = new java.util.LinkedHashMap<>(meta);
    source.put("backup-target-db", database);
    OperatorMade made = OperatorMade.forSource(agent, NS, id, source);
    JsonNode job = "backup".equals(kind) ? made.backup() : made.restore();
    assertTrue(job.toString().contains("mariadb"), "the MariaDB kind's job: " + job);
    return agent.api().register(NS, RawExecCopy.of(job, "raw-" + kind + "-" + id, root));
  }

  private List<String> orders(String database) {
    return db.rows(database, "SELECT id, item FROM orders ORDER BY id");
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
    for (String job : List.of("backup-" + id, "restore-" + id, "raw-backup-" + id, "raw-restore-" + id)) {
      nomad.purge(NS, job);
    }
    ShippedJobs.deleteJobVariable(agent, NS, "backup-" + id);
  }
}

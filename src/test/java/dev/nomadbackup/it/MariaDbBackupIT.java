package dev.nomadbackup.it;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nomadbackup.testing.Jobs;
import dev.nomadbackup.testing.LocalDatabaseServer;
import dev.nomadbackup.testing.MariaDbServer;
import java.util.Map;

/**
 * The MariaDB backup and restore templates ({@code templates/mariadb/}), run for real through
 * {@link DatabaseBackupScenarios}: raw_exec copies of the jobs they make run against a real
 * MariaDB.
 */
class MariaDbBackupIT extends DatabaseBackupScenarios {
  private final MariaDbServer db = MariaDbServer.shared();

  @Override
  LocalDatabaseServer server() {
    return db;
  }

  @Override
  String idPrefix() {
    return "maria";
  }

  @Override
  String dumpExtension() {
    return ".sql";
  }

  @Override
  String dumpTool() {
    return "mariadb-dump";
  }

  @Override
  String textType() {
    return "varchar(40)";
  }

  @Override
  Map<String, String> meta(String database, String user, String keep) {
    Map<String, String> meta = Jobs.optIn("@daily");
    meta.put("backup-target-db", database);
    meta.put("backup-template", "mariadb");
    meta.put("backup-mariadb-host", db.host());
    meta.put("backup-mariadb-port", String.valueOf(db.port()));
    meta.put("backup-mariadb-user", user);
    meta.put("backup-keep", keep);
    return meta;
  }

  @Override
  void assertOfThisKind(JsonNode job, String database) {
    assertTrue(job.toString().contains("mariadb"), "the MariaDB kind's job: " + job);
  }
}

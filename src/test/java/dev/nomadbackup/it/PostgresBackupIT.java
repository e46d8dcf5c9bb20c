package dev.nomadbackup.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nomadbackup.testing.Jobs;
import dev.nomadbackup.testing.LocalDatabaseServer;
import dev.nomadbackup.testing.PostgresServer;
import java.util.Map;

/**
 * The default (PostgreSQL) backup and restore jobs, run for real through {@link
 * DatabaseBackupScenarios}: the operator registers {@code backup-<id>} from the built-in template
 * and a raw_exec copy of it runs against a real PostgreSQL.
 */
class PostgresBackupIT extends DatabaseBackupScenarios {
  private final PostgresServer pg = PostgresServer.shared();

  @Override
  LocalDatabaseServer server() {
    return pg;
  }

  @Override
  String idPrefix() {
    return "pg";
  }

  @Override
  String dumpExtension() {
    return ".dump";
  }

  @Override
  String dumpTool() {
    return "pg_dump";
  }

  @Override
  String textType() {
    return "text";
  }

  @Override
  Map<String, String> meta(String database, String user, String keep) {
    Map<String, String> meta = Jobs.optIn("@daily");
    meta.put("backup-target-db", database);
    meta.put("backup-pg-host", pg.host());
    meta.put("backup-pg-port", String.valueOf(pg.port()));
    meta.put("backup-pg-user", user);
    meta.put("backup-keep", keep);
    return meta;
  }

  @Override
  void assertOfThisKind(JsonNode job, String database) {
    assertEquals(database, task(job).path("Env").path("PGDATABASE").asText(), "the current one");
  }
}

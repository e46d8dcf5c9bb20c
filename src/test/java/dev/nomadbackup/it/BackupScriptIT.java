package dev.nomadbackup.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nomadbackup.backup.template.TemplateSource;
import dev.nomadbackup.backup.template.TemplateValues;
import dev.nomadbackup.testing.DumpDir;
import dev.nomadbackup.testing.NomadAgent;
import dev.nomadbackup.testing.NomadAgentExtension;
import dev.nomadbackup.testing.ShippedJobs;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The shipped scripts, as Nomad hands them to a task (the {@code EmbeddedTmpl} of a parsed job),
 * run by {@code /bin/sh} against stand-ins for the dump tools and {@code date}: for what a real
 * database cannot be made to do on demand, such as two runs in the same second, an empty or
 * truncated dump, or a dump that no longer matches its checksum.
 */
@ExtendWith(NomadAgentExtension.class)
class BackupScriptIT {
  private static final Path WORK = Path.of("target", "it-scripts").toAbsolutePath();
  private static final String STAMP = "20261201T074500Z";

  @Test
  void runsInTheSameSecondGetTheirOwnNamesAndRetentionKeepsTheNewest(NomadAgent agent) throws Exception {
    Sandbox box = new Sandbox(agent, "postgres", "backup", Map.of("backup-keep", "2"));
    List<String> names = List.of(STAMP + ".dump", STAMP + "_01.dump", STAMP + "_02.dump");
    for (int i = 0; i < names.size(); i++) {
      Sandbox.Result r = box.run(Map.of("FAKE_CONTENT", "run " + i));
      assertEquals(0, r.exit(), r.output());
      assertEquals(names.subList(Math.max(0, i - 1), i + 1), box.dumps.dumps(), box.dumps.files().toString());
      box.dumps.assertOnlyDumpsWithChecksums();
    }
    for (String dump : box.dumps.dumps()) {
      box.dumps.assertChecksumMatches(dump);
    }
    assertEquals("run 2\n", Files.readString(box.dumps.dir().resolve(STAMP + "_02.dump")));
  }

  @Test
  void anEmptyOrFailedDumpFailsTheRunAndLeavesNoFile(NomadAgent agent) throws Exception {
    Sandbox box = new Sandbox(agent, "postgres", "backup", Map.of());
    assertEquals(0, box.run(Map.of("FAKE_CONTENT", "old")).exit());
    List<String> before = box.dumps.files();

    Sandbox.Result empty = box.run(Map.of("FAKE_MODE", "empty"));
    assertNotEquals(0, empty.exit(), empty.output());
    assertTrue(empty.output().contains("empty"), empty.output());
    Sandbox.Result failed = box.run(Map.of("FAKE_MODE", "fail"));
    assertNotEquals(0, failed.exit(), failed.output());
    assertEquals(before, box.dumps.files(), "only the older dump and its checksum, no partial file");
  }

  @Test
  void aMariaDbDumpCutShortFailsTheRun(NomadAgent agent) throws Exception {
    Sandbox box = new Sandbox(agent, "mariadb", "backup", Map.of());
    Sandbox.Result cut = box.run(Map.of("FAKE_MODE", "truncated"));
    assertNotEquals(0, cut.exit(), cut.output());
    assertEquals(List.of(), box.dumps.files());
    Sandbox.Result whole = box.run(Map.of());
    assertEquals(0, whole.exit(), whole.output());
    assertEquals(List.of(STAMP + ".sql"), box.dumps.dumps());
  }

  @Test
  void aBackupKeepThatIsNoPositiveIntegerFailsBeforeAnyDump(NomadAgent agent) throws Exception {
    // (an empty backup-keep is no error: the template's default applies)
    for (String keep : List.of("0", "-1", "two", "2 3", "1e3")) {
      Sandbox box = new Sandbox(agent, "postgres", "backup", Map.of("backup-keep", keep));
      Sandbox.Result r = box.run(Map.of());
      assertNotEquals(0, r.exit(), keep + ": " + r.output());
      assertTrue(r.output().contains("backup-keep must be a positive integer"), r.output());
      assertFalse(Files.exists(box.calls), "no dump tool ran for backup-keep = '" + keep + "'");
    }
    Sandbox padded = new Sandbox(agent, "postgres", "backup", Map.of("backup-keep", "007"));
    assertEquals(0, padded.run(Map.of()).exit());
  }

  @Test
  void aRestoreTakesOnlyAFileNameAndOnlyADumpThatMatchesItsChecksum(NomadAgent agent) throws Exception {
    Sandbox backup = new Sandbox(agent, "postgres", "backup", Map.of());
    assertEquals(0, backup.run(Map.of("FAKE_CONTENT", "good")).exit());
    Sandbox restore = backup.sibling("restore");
    for (String name : List.of("../" + STAMP + ".dump", "x/" + STAMP + ".dump", "." + STAMP + ".dump", "missing.dump")) {
      Sandbox.Result r = restore.run(Map.of("NOMAD_META_backup", name));
      assertNotEquals(0, r.exit(), name + ": " + r.output());
      assertFalse(Files.exists(restore.calls), "pg_restore must not run for " + name);
    }

    Sandbox.Result latest = restore.run(Map.of("NOMAD_META_backup", "latest"));
    assertEquals(0, latest.exit(), latest.output());
    assertTrue(Files.readString(restore.calls).contains("pg_restore " + STAMP + ".dump"), latest.output());
    Files.delete(restore.calls);

    Files.writeString(backup.dumps.dir().resolve(STAMP + ".dump"), "tampered\n");
    Sandbox.Result tampered = restore.run(Map.of("NOMAD_META_backup", STAMP + ".dump"));
    assertNotEquals(0, tampered.exit(), tampered.output());
    assertTrue(tampered.output().contains("does not match its checksum"), tampered.output());
    assertFalse(Files.exists(restore.calls), "pg_restore must not run for a tampered dump");
  }

  /**
   * One script of one template in a directory of its own: the volume, stand-ins for the tools on
   * {@code PATH}, and the task's environment as the parsed job defines it.
   */
  private static final class Sandbox {
    record Result(int exit, String output) {}

    final Path dir;
    final Path script;
    final Path calls;
    final DumpDir dumps;
    final Map<String, String> env;
    private final NomadAgent agent;
    private final String kind;
    private final Map<String, String> meta;

    Sandbox(NomadAgent agent, String kind, String name, Map<String, String> meta) throws IOException {
      this(agent, kind, name, meta, WORK.resolve(UUID.randomUUID().toString().substring(0, 8)));
    }

    private Sandbox(NomadAgent agent, String kind, String name, Map<String, String> meta, Path dir)
        throws IOException {
      this.agent = agent;
      this.kind = kind;
      this.meta = meta;
      this.dir = dir;
      Path bin = dir.resolve("bin-" + name);
      Files.createDirectories(bin);
      calls = dir.resolve("calls-" + name);
      fakeTools(bin);
      TemplateValues values = new TemplateValues("backup-shop", "shop", "default", List.of("dc1"), "global",
          "@daily", "shopdb", meta);
      if (name.equals("restore")) {
        values = values.forJob("restore-shop");
      }
      JsonNode task = parsed(ShippedJobs.template(kind, name), values).path("TaskGroups").get(0).path("Tasks").get(0);
      script = dir.resolve(name + ".sh");
      for (JsonNode t : task.path("Templates")) {
        if (t.path("DestPath").asText().equals("local/" + name + ".sh")) {
          Files.writeString(script, t.path("EmbeddedTmpl").asText());
        }
      }
      env = new HashMap<>();
      task.path("Env").fields().forEachRemaining(e -> env.put(e.getKey(), e.getValue().asText()));
      env.put("BACKUP_DIR", dir.resolve("volume").toString());
      env.put("PATH", bin + ":/usr/bin:/bin");
      env.put("FAKE_CALLS", calls.toString());
      env.put("NOMAD_ALLOC_ID", UUID.randomUUID().toString());
      dumps = DumpDir.of(dir.resolve("volume"), "default", "shop", kind.equals("mariadb") ? ".sql" : ".dump");
    }

    /** The other template of the same kind, on the same volume. */
    Sandbox sibling(String name) throws IOException {
      return new Sandbox(agent, kind, name, meta, dir);
    }

    private JsonNode parsed(Path template, TemplateValues values) {
      try {
        return agent.api().parse("default", TemplateSource.load(Optional.of(template)).render(values));
      } catch (Exception e) {
        throw new IllegalStateException(template + ": " + e.getMessage(), e);
      }
    }

    Result run(Map<String, String> extra) throws IOException, InterruptedException {
      ProcessBuilder pb = new ProcessBuilder("/bin/sh", script.toString()).redirectErrorStream(true);
      pb.environment().clear();
      pb.environment().putAll(env);
      pb.environment().putAll(extra);
      Process p = pb.start();
      String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new AssertionError(script + " did not finish: " + output);
      }
      return new Result(p.exitValue(), output);
    }

    /** date always says STAMP; the dump tools write FAKE_CONTENT or misbehave as FAKE_MODE says. */
    private void fakeTools(Path bin) throws IOException {
      tool(bin, "date", "echo " + STAMP);
      tool(bin, "pg_dump", """
          echo "pg_dump $*" >>"$FAKE_CALLS"
          for a in "$@"; do case "$a" in --file=*) out=${a#--file=} ;; esac; done
          case "${FAKE_MODE:-}" in
            empty) : >"$out" ;;
            fail) echo partial >"$out"; echo "pg_dump: error: connection failed" >&2; exit 1 ;;
            *) echo "${FAKE_CONTENT:-dump}" >"$out" ;;
          esac
          """);
      tool(bin, "mariadb-dump", """
          echo "mariadb-dump $*" >>"$FAKE_CALLS"
          echo "-- MariaDB dump"
          echo "${FAKE_CONTENT:-INSERT INTO t VALUES (1);}"
          if [ "${FAKE_MODE:-}" != truncated ]; then echo "-- Dump completed on 2026-12-01  7:45:00"; fi
          """);
      tool(bin, "pg_restore", """
          for last in "$@"; do :; done
          echo "pg_restore ${last##*/}" >>"$FAKE_CALLS"
          """);
    }

    private static void tool(Path bin, String name, String body) throws IOException {
      Path file = bin.resolve(name);
      Files.writeString(file, "#!/bin/sh\n" + body);
      Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
  }
}

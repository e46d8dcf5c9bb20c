package dev.nomadbackup.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nomadbackup.backup.Ownership;
import dev.nomadbackup.backup.template.BackupTemplate;
import dev.nomadbackup.backup.template.TemplateException;
import dev.nomadbackup.backup.template.TemplateSource;
import dev.nomadbackup.backup.template.TemplateValues;
import dev.nomadbackup.nomad.NomadJob;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The benchmark's floor: the backup job the operator would write for a source job, rendered with
 * the operator's public template code, so that the floor sends Nomad the same parse and register
 * requests as the operator.
 *
 * <p>The floor is a client of its own, so it reads the settings and marks the spec itself, through
 * the operator's public API only. It handles what the benchmark's sources carry (settings in the
 * job's own meta); the ownership meta keys and the spec hash must stay what the operator writes
 * ({@code BackupReconciler.stamp} and {@code hash}), or the operator would rewrite every backup
 * the floor made, which the cold-start figure would show as writes.
 */
final class FloorSpecs {
  private static final String MANAGED = "backup-operator-managed";
  private static final String SOURCE = "backup-operator-source";
  private static final String SPEC_HASH = "backup-operator-spec-hash";
  private static final String STAMP_VERSION = "1";

  private final BackupTemplate template;

  private FloorSpecs(BackupTemplate template) {
    this.template = template;
  }

  /** The template in {@code file}, or the built-in one. */
  static FloorSpecs load(Optional<Path> file) throws IOException {
    try {
      return new FloorSpecs(TemplateSource.load(file));
    } catch (TemplateException e) {
      throw new IOException(e.getMessage(), e);
    }
  }

  /** The rendered HCL of {@code source}'s backup job. */
  String render(NomadJob source) throws IOException {
    Map<String, String> keys = new TreeMap<>();
    source.meta().forEach((k, v) -> {
      if (k.equals("auto-backup") || k.startsWith(Ownership.PREFIX) && !k.startsWith("backup-operator-")) {
        keys.put(k, v);
      }
    });
    String schedule = keys.getOrDefault("backup-schedule", "").trim();
    if (!"true".equals(keys.get("auto-backup")) || schedule.isEmpty()) {
      throw new IllegalArgumentException(source.id() + " does not opt in with a schedule in its job meta");
    }
    try {
      return template.render(new TemplateValues(Ownership.backupIdFor(source.id()), source.id(),
          source.namespace(), source.datacenters(), source.region().orElse("global"), schedule,
          keys.getOrDefault("backup-target-db", ""), keys));
    } catch (TemplateException e) {
      throw new IOException(e.getMessage(), e);
    }
  }

  /** Marks a parsed spec the way the operator does, so the operator takes it for its own. */
  static void stamp(ObjectNode spec, NomadJob source, String hcl) {
    String id = Ownership.backupIdFor(source.id());
    spec.put("ID", id);
    spec.put("Name", id);
    spec.put("Namespace", source.namespace());
    ObjectNode meta = spec.path("Meta").isObject() ? (ObjectNode) spec.get("Meta") : spec.putObject("Meta");
    meta.put(MANAGED, "true");
    meta.put(SOURCE, source.id());
    meta.put(SPEC_HASH, hash(hcl));
  }

  private static String hash(String hcl) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update((STAMP_VERSION + "\n").getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(sha.digest(hcl.getBytes(StandardCharsets.UTF_8)), 0, 16);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }
}

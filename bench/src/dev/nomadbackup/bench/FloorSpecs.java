package dev.nomadbackup.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nomadbackup.backup.Ownership;
import dev.nomadbackup.backup.template.BackupTemplate;
import dev.nomadbackup.backup.template.TemplateException;
import dev.nomadbackup.backup.template.TemplateSource;
import dev.nomadbackup.backup.template.TemplateValues;
import dev.nomadbackup.nomad.JobKey;
import dev.nomadbackup.nomad.NomadJob;
import java.io.IOException;
import java.nio.file.Path;
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
 * job's own meta); it stamps the spec with the operator's own {@code Ownership.stamp} and {@code
 * specHash}, so the operator takes every backup the floor made for its own.
 */
final class FloorSpecs {
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

  /**
   * Marks a parsed spec the way the operator does, so the operator takes it for its own: as a new
   * job, which Nomad gives version 0.
   */
  static void stamp(ObjectNode spec, NomadJob source, String hcl) {
    JobKey key = new JobKey(source.namespace(), source.id());
    Ownership.stamp(spec, new JobKey(source.namespace(), Ownership.backupIdFor(source.id())), key,
        Ownership.specHash(hcl, false), 0);
  }
}

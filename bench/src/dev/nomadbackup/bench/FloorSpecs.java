package dev.nomadbackup.backup;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nomadbackup.backup.template.BackupTemplate;
import dev.nomadbackup.backup.template.TemplateException;
import dev.nomadbackup.backup.template.TemplateSource;
import dev.nomadbackup.backup.template.TemplateValues;
import dev.nomadbackup.nomad.NomadJob;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The benchmark's floor: the backup job the operator would write for a source job, rendered with
 * the operator's own template code, so the floor sends Nomad exactly the same parse and register
 * requests. Lives in the operator's package only to reach its package-private renderer.
 */
public final class FloorSpecs {
  private final BackupTemplate template;

  private FloorSpecs(BackupTemplate template) {
    this.template = template;
  }

  /** The template in {@code file}, or the built-in one. */
  public static FloorSpecs load(Optional<Path> file) throws IOException {
    try {
      return new FloorSpecs(TemplateSource.load(file));
    } catch (TemplateException e) {
      throw new IOException(e.getMessage(), e);
    }
  }

  /** The rendered HCL of {@code source}'s backup job. */
  public String render(NomadJob source) throws IOException {
    if (!(MetaSettings.read(source) instanceof Settings.OptedIn settings)) {
      throw new IllegalArgumentException(source.id() + " does not opt in");
    }
    try {
      return template.render(
          new TemplateValues(
              Ownership.backupIdFor(source.id()),
              source.id(),
              source.namespace(),
              source.datacenters(),
              source.region().orElse("global"),
              settings.schedule(),
              settings.targetDb(),
              settings.meta()));
    } catch (TemplateException e) {
      throw new IOException(e.getMessage(), e);
    }
  }

  /** Marks a parsed spec the way the operator does, so the operator takes it for its own. */
  public static void stamp(ObjectNode spec, NomadJob source, String hcl) {
    String id = Ownership.backupIdFor(source.id());
    spec.put("ID", id);
    spec.put("Name", id);
    spec.put("Namespace", source.namespace());
    ObjectNode meta = spec.path("Meta").isObject() ? (ObjectNode) spec.get("Meta") : spec.putObject("Meta");
    meta.put(Ownership.MANAGED, "true");
    meta.put(Ownership.SOURCE, source.id());
    meta.put(Ownership.SPEC_HASH, BackupReconciler.hash(hcl));
  }
}

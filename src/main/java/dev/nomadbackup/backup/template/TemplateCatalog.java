package dev.nomadbackup.backup.template;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The kinds of backup the operator can make, by the name a job gives in {@code backup-template}.
 * A kind is data: a backup template, a restore template beside it, and its documentation. The
 * built-in kinds live in the jar: the default kind's backup template is {@code backup.nomad.tmpl}
 * at the repository's root, every other template is {@code templates/<kind>/<backup|restore>.nomad.tmpl}.
 */
public final class TemplateCatalog {
  /** The kind used when a job names none. */
  public static final String DEFAULT_KIND = "postgres";
  private static final Set<String> BUILT_IN = Set.of(DEFAULT_KIND, "mariadb");

  /** One kind of backup: how its backup job and its restore job are written. */
  public record Kind(String name, BackupTemplate backup, BackupTemplate restore) {}

  private final Map<String, Kind> kinds;

  private TemplateCatalog(Map<String, Kind> kinds) {
    this.kinds = Map.copyOf(kinds);
  }

  /** The kinds of {@code kinds}, for tests and tools that bring their own templates. */
  public static TemplateCatalog of(Collection<Kind> kinds) {
    Map<String, Kind> byName = new LinkedHashMap<>();
    kinds.forEach(k -> byName.put(k.name(), k));
    return new TemplateCatalog(byName);
  }

  /**
   * The built-in kinds; {@code backupOverride} ({@code OPERATOR_TEMPLATE}) replaces the default
   * kind's backup template.
   */
  public static TemplateCatalog load(Optional<Path> backupOverride) throws IOException, TemplateException {
    Map<String, Kind> kinds = new LinkedHashMap<>();
    for (String name : BUILT_IN.stream().sorted().toList()) {
      BackupTemplate backup = name.equals(DEFAULT_KIND)
          ? TemplateSource.load(backupOverride)
          : TemplateSource.builtIn("templates/" + name + "/backup.nomad.tmpl");
      BackupTemplate restore = TemplateSource.builtIn("templates/" + name + "/restore.nomad.tmpl");
      kinds.put(name, new Kind(name, backup, restore));
    }
    return new TemplateCatalog(kinds);
  }

  public Optional<Kind> kind(String name) {
    return Optional.ofNullable(kinds.get(name));
  }

  /** Every kind, by name. */
  public Collection<Kind> kinds() {
    return kinds.values();
  }

  /** The names a job may give, for error messages: {@code mariadb, postgres}. */
  public String names() {
    return String.join(", ", kinds.keySet().stream().sorted().toList());
  }

  /** Has Nomad parse and validate a rendering. */
  @FunctionalInterface
  public interface Parser {
    /** Why Nomad refuses {@code hcl}; empty when it parses and validates. */
    Optional<String> problem(String namespace, String hcl) throws IOException;
  }

  /**
   * Renders every template with sample values and has Nomad parse and validate the result, so a
   * broken template stops the operator at start instead of failing for every job.
   */
  public void check(Parser nomad, String namespace) throws IOException, TemplateException {
    TemplateValues sample = TemplateValues.sample();
    for (Kind kind : kinds.values()) {
      check(nomad, namespace, kind.backup(), sample);
      check(nomad, namespace, kind.restore(), sample.forJob("restore-sample"));
    }
  }

  private static void check(Parser nomad, String namespace, BackupTemplate template, TemplateValues values)
      throws IOException, TemplateException {
    Optional<String> problem = nomad.problem(namespace, template.render(values));
    if (problem.isPresent()) {
      throw new TemplateException(
          template.source() + ", rendered with sample values, is refused by Nomad: " + problem.get());
    }
  }
}

package dev.nomadbackup.backup.template;

import dev.nomadbackup.nomad.NomadApiException;
import dev.nomadbackup.nomad.NomadClient;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/** Where the backup template comes from, and the check it must pass before the operator starts. */
public final class TemplateSource {
  static final String BUILT_IN = "backup.nomad.tmpl";

  private TemplateSource() {}

  /** The file named by {@code OPERATOR_TEMPLATE}, or the template built into the jar. */
  public static BackupTemplate load(Optional<Path> override) throws IOException, TemplateException {
    if (override.isPresent()) {
      Path file = override.get();
      return BackupTemplate.parse(file.toString(), Files.readString(file, StandardCharsets.UTF_8));
    }
    try (InputStream in = TemplateSource.class.getResourceAsStream("/" + BUILT_IN)) {
      if (in == null) {
        throw new IOException(BUILT_IN + " is missing from the jar");
      }
      return BackupTemplate.parse(BUILT_IN, new String(in.readAllBytes(), StandardCharsets.UTF_8));
    }
  }

  /**
   * Renders the template with sample values and has Nomad parse the result, so a broken template
   * stops the operator at start instead of failing for every job.
   */
  public static void check(BackupTemplate template, NomadClient nomad, String namespace)
      throws IOException, TemplateException {
    String hcl = template.render(TemplateValues.sample());
    try {
      nomad.parseJob(namespace, hcl);
    } catch (NomadApiException e) {
      if (e.status() == 400) {
        throw new TemplateException(
            template.source() + ", rendered with sample values, does not parse: "
                + NomadApiException.oneLine(e.body()));
      }
      throw e;
    }
  }
}

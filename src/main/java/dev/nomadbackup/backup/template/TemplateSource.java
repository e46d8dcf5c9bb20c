package dev.nomadbackup.backup.template;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;

/** Where a template's text comes from: a file, or a template built into the jar. */
public final class TemplateSource {
  static final String BUILT_IN = "backup.nomad.tmpl";

  private TemplateSource() {}

  /** The file named by {@code OPERATOR_TEMPLATE}, or the default backup template built into the jar. */
  public static BackupTemplate load(Optional<Path> override) throws IOException, TemplateException {
    return override.isPresent() ? file(override.get()) : builtIn(BUILT_IN);
  }

  /** The template in {@code file}. */
  public static BackupTemplate file(Path file) throws IOException, TemplateException {
    if (Files.isDirectory(file)) {
      throw new IOException(file + " is a directory, not a template file");
    }
    try {
      return BackupTemplate.parse(file.toString(), Files.readString(file, StandardCharsets.UTF_8));
    } catch (NoSuchFileException e) {
      throw new IOException(file + " does not exist", e);
    }
  }

  /** The template built into the jar at {@code resource} (a path from the jar's root). */
  static BackupTemplate builtIn(String resource) throws IOException, TemplateException {
    try (InputStream in = TemplateSource.class.getResourceAsStream("/" + resource)) {
      if (in == null) {
        throw new IOException(resource + " is missing from the jar");
      }
      return BackupTemplate.parse(resource, new String(in.readAllBytes(), StandardCharsets.UTF_8));
    }
  }
}

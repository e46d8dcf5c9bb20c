package dev.nomadbackup.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The shipped default template with only its driver stanza and its volume changed, for tests in
 * which the operator itself must own a backup job that this machine's client can run (the runs of
 * a job it owns are what its status follows). The same changes as {@link RawExecCopy}, made to the
 * template's text: {@code docker} becomes {@code raw_exec}, the image line, the {@code volume}
 * and {@code volume_mount} blocks go, and {@code BACKUP_DIR} names a host directory. Each change
 * must find what it changes, so a reshaped template fails here, loudly, instead of testing less.
 */
public final class RawExecTemplate {
  private RawExecTemplate() {}

  /** Writes the derived template under {@code target/} and returns its path. */
  public static Path of(Path shipped, Path backupRoot) throws IOException {
    String t = Files.readString(shipped, StandardCharsets.UTF_8);
    t = once(t, "driver\\s*=\\s*\"docker\"", "driver = \"raw_exec\"");
    t = once(t, "\\n\\s*image\\s*=\\s*\"[^\"]*\"", "");
    t = once(t, "\\n\\s*volume_mount\\s*\\{[^}]*\\}", "");
    t = once(t, "\\n\\s*volume\\s+\"[^\"]*\"\\s*\\{[^}]*\\}", "");
    t = once(t, "BACKUP_DIR(\\s*)=\\s*\"[^\"]*\"",
        Matcher.quoteReplacement("BACKUP_DIR = \"" + backupRoot.toAbsolutePath() + "\""));
    Files.createDirectories(Path.of("target"));
    Path derived = Files.createTempFile(Path.of("target"), "raw-exec-", ".nomad.tmpl");
    Files.writeString(derived, t, StandardCharsets.UTF_8);
    return derived.toAbsolutePath();
  }

  private static String once(String text, String regex, String replacement) {
    Matcher m = Pattern.compile(regex).matcher(text);
    if (!m.find()) {
      throw new IllegalStateException("the shipped template no longer has " + regex + ": update RawExecTemplate");
    }
    String out = m.replaceFirst(replacement);
    if (Pattern.compile(regex).matcher(out).find() && !regex.startsWith("BACKUP_DIR")) {
      throw new IllegalStateException("the shipped template has " + regex + " more than once");
    }
    return out;
  }
}

package dev.nomadbackup.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nomadbackup.backup.template.TemplateSource;
import dev.nomadbackup.backup.template.TemplateValues;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The shipped templates keep every value out of the scripts and consul-template expressions:
 * rendered with a marker in each value, the markers turn up only in {@code env}, the volume's
 * {@code source} and the job's name, never inside a heredoc.
 */
class ShippedTemplatesTest {
  private static final Pattern HEREDOC = Pattern.compile("<<-?(\\w+)\\n(.*?)\\n\\s*\\1\\n", Pattern.DOTALL);
  private static final Map<String, String> META = Map.of(
      "backup-keep", "MARK-keep", "backup-volume", "MARK-volume",
      "backup-pg-host", "MARK-pg-host", "backup-pg-port", "MARK-pg-port", "backup-pg-user", "MARK-pg-user",
      "backup-mariadb-host", "MARK-maria-host", "backup-mariadb-port", "MARK-maria-port",
      "backup-mariadb-user", "MARK-maria-user");

  @ParameterizedTest
  @ValueSource(strings = {"backup.nomad.tmpl", "templates/postgres/restore.nomad.tmpl",
      "templates/mariadb/backup.nomad.tmpl", "templates/mariadb/restore.nomad.tmpl"})
  void valuesReachTheScriptsOnlyThroughTheEnvironment(String file) throws Exception {
    TemplateValues values = new TemplateValues("backup-MARK-src", "MARK-src", "MARK-ns", List.of("MARK-dc"),
        "MARK-region", "MARK-schedule", "MARK-db", META);
    if (file.contains("restore")) {
      values = values.forJob("restore-MARK-src");
    }
    String hcl = TemplateSource.load(Optional.of(Path.of(file))).render(values);

    Matcher heredoc = HEREDOC.matcher(hcl);
    int heredocs = 0;
    while (heredoc.find()) {
      heredocs++;
      assertFalse(heredoc.group(2).contains("MARK"), file + ": a value inside a heredoc:\n" + heredoc.group(2));
    }
    assertEquals(2, heredocs, file + ": the credentials template and the script");
    for (String line : hcl.lines().toList()) {
      if (line.contains("MARK") && !line.strip().startsWith("#")) {
        assertTrue(line.matches("\\s*([A-Z_]+|source|job|datacenters|crons)\\s*=?\\s*.*MARK.*"),
            file + ": a value outside env, source or the job's header: " + line);
      }
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"backup.nomad.tmpl", "templates/postgres/restore.nomad.tmpl",
      "templates/mariadb/backup.nomad.tmpl", "templates/mariadb/restore.nomad.tmpl"})
  void everyMetaKeyHasADefault(String file) throws Exception {
    TemplateValues values = TemplateValues.sample();
    if (file.contains("restore")) {
      values = values.forJob("restore-sample");
    }
    String hcl = TemplateSource.load(Optional.of(Path.of(file))).render(values);
    assertTrue(hcl.contains("source    = \"backups\""), file);
    assertFalse(hcl.contains("[["), file);
  }
}

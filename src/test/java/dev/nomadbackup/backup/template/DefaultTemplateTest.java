package dev.nomadbackup.backup.template;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DefaultTemplateTest {

  private static String defaultTemplate() throws IOException {
    try (InputStream in = DefaultTemplateTest.class.getResourceAsStream("/backup/default-template.nomad.tmpl")) {
      assertNotNull(in, "backup/default-template.nomad.tmpl is missing");
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  @Test
  void defaultTemplateRendersWithSampleValues() throws Exception {
    String out = BackupTemplate.parse("default-template.nomad.tmpl", defaultTemplate()).render(TemplateValues.sample());
    assertTrue(out.contains("job \"backup-sample\" {"), out);
    assertTrue(out.contains("datacenters = [\"dc1\"]"), out);
    assertTrue(out.contains("type        = \"batch\""), out);
    assertTrue(out.contains("crons            = [\"@daily\"]"), out);
    assertTrue(out.contains("prohibit_overlap = true"), out);
    assertTrue(out.contains("image   = \"postgres:17-alpine\""), out);
    assertTrue(out.contains("\"--file=/alloc/data/sample.dump\""), out);
    assertTrue(out.contains("PGHOST     = \"postgres.service.consul\""), out);
    assertTrue(out.contains("PGDATABASE = \"postgres\""), out);
    assertFalse(out.contains("[["), out);
  }

  @Test
  void defaultTemplateTakesThePostgresHostFromTheJobsMeta() throws Exception {
    TemplateValues values = new TemplateValues("backup-shop", "shop", "team-a", List.of("eu-1", "eu-2"), "eu",
        "0 2 * * *", "shop", Map.of("backup-pg-host", "shop-db.service.consul"));
    String out = BackupTemplate.parse("default-template.nomad.tmpl", defaultTemplate()).render(values);
    assertTrue(out.contains("PGHOST     = \"shop-db.service.consul\""), out);
    assertTrue(out.contains("datacenters = [\"eu-1\", \"eu-2\"]"), out);
    assertTrue(out.contains("namespace   = \"team-a\""), out);
    assertEquals(defaultTemplate().lines().count(), out.lines().count());
  }
}

package dev.nomadbackup.it;

import static dev.nomadbackup.testing.Waits.awaitPresent;
import static dev.nomadbackup.testing.Waits.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nomadbackup.testing.Jobs;
import dev.nomadbackup.testing.NomadAgent;
import dev.nomadbackup.testing.OperatorRun;
import dev.nomadbackup.testing.OperatorTest;
import dev.nomadbackup.testing.TestNomad;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A template of the user's own (OPERATOR_TEMPLATE), and what happens when it changes. */
@OperatorTest
class TemplateIT {

  private static String template(String image) {
    return """
        job "[[ .JobID ]]" {
          datacenters = [[ .Datacenters ]]
          type        = "batch"
          periodic {
            crons            = ["[[ .Schedule ]]"]
            prohibit_overlap = true
          }
          group "backup" {
            task "dump" {
              driver = "docker"
              config {
                image = "%s"
              }
              env {
                SOURCE    = "[[ .SourceJobID ]] in [[ .Namespace ]]/[[ .Region ]]"
                RETENTION = "[[ .Meta.backup-retention | default "7" ]]"
              }
              template {
                destination = "local/creds.env"
                env         = true
                data        = <<EOT
        PGPASSWORD={{ with nomadVar "nomad/jobs/[[ .SourceJobID ]]" }}{{ .password }}{{ end }}
        EOT
              }
            }
          }
        }
        """.formatted(image);
  }

  @Test
  void ownTemplateIsRenderedAndATemplateChangeUpdatesTheBackup(NomadAgent agent, TestNomad nomad) throws Exception {
    String id = Jobs.uniqueId("tmpl");
    Path file = Files.createTempFile(Path.of("target"), "template", ".nomad.tmpl");
    Map<String, String> meta = Jobs.optIn("@daily");
    meta.put("backup-retention", "30");
    Files.writeString(file, template("alpine:3.20"));
    long firstIndex;
    try (OperatorRun run = OperatorRun.start(agent, Map.of("OPERATOR_TEMPLATE", file.toString()))) {
      nomad.run(Jobs.service(id, meta));
      JsonNode backup = awaitPresent(() -> nomad.job("backup-" + id));
      JsonNode task = backup.path("TaskGroups").get(0).path("Tasks").get(0);
      assertEquals("alpine:3.20", task.path("Config").path("image").asText());
      assertEquals(id + " in default/global", task.path("Env").path("SOURCE").asText());
      assertEquals("30", task.path("Env").path("RETENTION").asText());
      assertTrue(task.path("Templates").get(0).path("EmbeddedTmpl").asText()
          .contains("{{ with nomadVar \"nomad/jobs/" + id + "\" }}"), "Nomad's {{ }} passes through");
      firstIndex = backup.path("JobModifyIndex").asLong();
    }
    Files.writeString(file, template("alpine:3.21"));
    try (OperatorRun run = OperatorRun.start(agent, Map.of("OPERATOR_TEMPLATE", file.toString()))) {
      JsonNode updated = awaitPresent(() -> nomad.job("backup-" + id).filter(b -> b.path("JobModifyIndex").asLong() > firstIndex));
      assertEquals("alpine:3.21",
          updated.path("TaskGroups").get(0).path("Tasks").get(0).path("Config").path("image").asText());
      eventually(() -> assertTrue(run.log.contains("Backup updated: backup-" + id)));
    }
  }
}

package dev.nomadbackup.backup.template;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class SkeletonTest {
  private static final String TEMPLATE = """
      job "[[ .JobID ]]" {
        datacenters = [[ .Datacenters ]]
        env {
          A = "[[ .Meta.backup-a | default "x" ]]"
          B = "pre-[[ .TargetDB ]]"
        }
        data = <<EOT
      line [[ .SourceJobID ]]
      EOT
      }
      """;

  private static final TemplateValues VALUES = new TemplateValues("backup-s", "s", "default", List.of("dc1", "dc2"),
      "global", "@daily", "db\"", Map.of("backup-a", "$"));

  @Test
  void everyQuotedValueAndListElementCanBeAStandInButNotAHeredocsText() throws TemplateException {
    Skeleton skeleton = BackupTemplate.parse("t", TEMPLATE).skeleton(VALUES, (i, v) -> Optional.of("S" + i));
    assertEquals(List.of("S0", "S1", "S2", "S3", "S4"), skeleton.sentinels());
    assertEquals(List.of("backup-s", "dc1", "dc2", "$", "db\""), skeleton.values());
    assertEquals(TEMPLATE.replace("[[ .JobID ]]", "S0").replace("[[ .Datacenters ]]", "[\"S1\", \"S2\"]")
        .replace("[[ .Meta.backup-a | default \"x\" ]]", "S3").replace("[[ .TargetDB ]]", "S4")
        .replace("[[ .SourceJobID ]]", "s"), skeleton.hcl());
  }

  @Test
  void withNoStandInItIsTheRendering() throws TemplateException {
    BackupTemplate template = BackupTemplate.parse("t", TEMPLATE);
    Skeleton skeleton = template.skeleton(VALUES, (i, v) -> Optional.empty());
    assertEquals(template.render(VALUES), skeleton.hcl());
    assertEquals(List.of(), skeleton.sentinels());
  }

  @Test
  void aStandInIsEscapedLikeAValue() throws TemplateException {
    Skeleton skeleton = BackupTemplate.parse("t", "a = \"[[ .TargetDB ]]\"\n")
        .skeleton(VALUES, (i, v) -> Optional.of(" \"${x}\" "));
    assertEquals("a = \" \\\"$${x}\\\" \"\n", skeleton.hcl());
  }
}

package dev.nomadbackup.backup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nomadbackup.backup.template.BackupTemplate;
import dev.nomadbackup.backup.template.TemplateSource;
import dev.nomadbackup.backup.template.TemplateValues;
import dev.nomadbackup.nomad.ApiErrors;
import dev.nomadbackup.nomad.NomadApiException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Against a toy parser that knows a few of Nomad's habits: it upper-cases {@code signal}, trims
 * {@code trimmed}, fills in an empty {@code zone}, and wants a number for {@code cpu}. It answers
 * attributes as the job's {@code Meta}, a list as its {@code Datacenters}, {@code type} as its {@code Type}.
 */
class SpecCacheTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern LINE = Pattern.compile("^\\s*(\\w+)\\s*=\\s*\"(.*)\"\\s*$");

  @TempDir
  Path dir;

  private final ToyNomad nomad = new ToyNomad();

  @Test
  void aSecondJobOfTheSameShapeIsPlacedWithoutAParse() throws Exception {
    BackupTemplate template = template("job \"[[ .JobID ]]\" {\n  db = \"[[ .TargetDB ]]\"\n  dcs = [[ .Datacenters ]]\n}\n");
    SpecCache specs = new SpecCache();
    assertPlaced(specs, template, values("a", "shop\"db", List.of("dc1", "dc2")));
    assertPlaced(specs, template, values("b", "${x} \\ %{y}", List.of("eu", "us")));
    assertEquals(1, nomad.parsed.size(), "only the shape was parsed: " + nomad.parsed);
  }

  @Test
  void aValueNomadChangesIsParsedJobByJob() throws Exception {
    for (String field : List.of("signal", "trimmed")) {
      nomad.parsed.clear();
      BackupTemplate template = template("job \"[[ .JobID ]]\" {\n  " + field + " = \"[[ .TargetDB ]]\"\n}\n");
      SpecCache specs = new SpecCache();
      assertPlaced(specs, template, values("a", " hup ", List.of()));
      assertPlaced(specs, template, values("b", "term", List.of()));
      assertEquals(3, nomad.parsed.size(), field + ": the shape once, then each job: " + nomad.parsed);
    }
  }

  @Test
  void aValueInAFieldNomadMayReadIsParsedJobByJob() throws Exception {
    BackupTemplate template = template("job \"[[ .JobID ]]\" {\n  type = \"[[ .TargetDB ]]\"\n}\n");
    SpecCache specs = new SpecCache();
    assertPlaced(specs, template, values("a", "batch", List.of()));
    assertPlaced(specs, template, values("b", "service", List.of()));
    assertEquals(3, nomad.parsed.size(), nomad.parsed.toString());
  }

  @Test
  void aShapeThatDoesNotParseWithStandInsIsParsedJobByJob() throws Exception {
    BackupTemplate template = template("job \"[[ .JobID ]]\" {\n  cpu = \"[[ .TargetDB ]]\"\n}\n");
    SpecCache specs = new SpecCache();
    assertPlaced(specs, template, values("a", "200", List.of()));
    assertPlaced(specs, template, values("b", "300", List.of()));
    assertEquals(3, nomad.parsed.size(), nomad.parsed.toString());
  }

  @Test
  void hclThatDoesNotParseFailsAsNomadsParseDoes() throws Exception {
    BackupTemplate template = template("job \"[[ .JobID ]]\" {\n  cpu = \"[[ .TargetDB ]]\"\n}\n");
    SpecCache specs = new SpecCache();
    TemplateValues values = values("a", "lots", List.of());
    NomadApiException e = assertThrows(NomadApiException.class,
        () -> specs.spec(nomad, "default", template, values, template.render(values)));
    assertEquals(400, e.status());
  }

  @Test
  void emptyAndNonLatinValuesAreWrittenIntoTheShapeAsTheyAre() throws Exception {
    BackupTemplate template = template("job \"[[ .JobID ]]\" {\n  zone = \"[[ .TargetDB ]]\"\n}\n");
    SpecCache specs = new SpecCache();
    assertPlaced(specs, template, values("a", "", List.of()));
    assertPlaced(specs, template, values("b", "", List.of()));
    assertEquals(1, nomad.parsed.size(), "one shape for the empty value: " + nomad.parsed);
    assertPlaced(specs, template, values("c", "e\u0301", List.of()));
    assertPlaced(specs, template, values("d", "漢字", List.of()));
    assertEquals(3, nomad.parsed.size(), "a shape for each: " + nomad.parsed);
    assertEquals(3, specs.size());
  }

  @Test
  void aValueInsideALongerStringIsNeverPlaced() throws Exception {
    BackupTemplate template = template("job \"[[ .JobID ]]\" {\n  file = \"/data/[[ .TargetDB ]].dump\"\n}\n");
    SpecCache specs = new SpecCache();
    assertPlaced(specs, template, values("a", "x", List.of()));
    assertPlaced(specs, template, values("b", "y", List.of()));
    assertEquals(3, nomad.parsed.size(), nomad.parsed.toString());
  }

  @Test
  void heredocValuesAreWrittenIntoTheShapeAsTheyAre() throws Exception {
    BackupTemplate template = template("job \"[[ .JobID ]]\" {\n  data = <<EOT\n[[ .TargetDB ]]\nEOT\n}\n");
    SpecCache specs = new SpecCache();
    assertPlaced(specs, template, values("a", "x", List.of()));
    assertPlaced(specs, template, values("b", "x", List.of()));
    assertEquals(1, nomad.parsed.size(), nomad.parsed.toString());
  }

  @Test
  void theLeastRecentlyUsedShapeGoesFirst() throws Exception {
    BackupTemplate template = template("job \"[[ .JobID ]]\" {\n  dcs = [[ .Datacenters ]]\n}\n");
    SpecCache specs = new SpecCache(2);
    assertPlaced(specs, template, values("a", "db", List.of("1")));
    assertPlaced(specs, template, values("b", "db", List.of("1", "2")));
    assertPlaced(specs, template, values("c", "db", List.of("1")));
    assertPlaced(specs, template, values("d", "db", List.of("1", "2", "3")));
    assertEquals(2, specs.size());
    assertPlaced(specs, template, values("e", "db", List.of("1")));
    assertEquals(3, nomad.parsed.size(), "the shape of one datacenter stayed: " + nomad.parsed);
  }

  @Test
  void offParsesEveryJob() throws Exception {
    BackupTemplate template = template("job \"[[ .JobID ]]\" {\n  db = \"[[ .TargetDB ]]\"\n}\n");
    SpecCache specs = SpecCache.off();
    assertPlaced(specs, template, values("a", "x", List.of()));
    assertPlaced(specs, template, values("b", "y", List.of()));
    assertEquals(2, nomad.parsed.size());
  }

  private void assertPlaced(SpecCache specs, BackupTemplate template, TemplateValues values) throws Exception {
    String hcl = template.render(values);
    ObjectNode expected = new ToyNomad().parseJob("default", hcl);
    assertEquals(JSON.writeValueAsString(expected),
        JSON.writeValueAsString(specs.spec(nomad, "default", template, values, hcl)));
  }

  private BackupTemplate template(String text) throws Exception {
    Path file = Files.createTempFile(dir, "spec", ".tmpl");
    Files.writeString(file, text);
    return TemplateSource.file(file);
  }

  private static TemplateValues values(String id, String db, List<String> datacenters) {
    return new TemplateValues("backup-" + id, id, "default", datacenters, "global", "@daily", db, Map.of());
  }

  /** Reads {@code job "id"}, {@code key = "value"} lines, {@code key = [..]} and one heredoc line. */
  private static final class ToyNomad implements SpecCache.Parser {
    final List<String> parsed = new ArrayList<>();

    @Override
    public ObjectNode parseJob(String namespace, String hcl) throws IOException {
      parsed.add(hcl);
      ObjectNode job = JSON.createObjectNode();
      ObjectNode meta = job.putObject("Meta");
      List<String> lines = hcl.lines().toList();
      for (int i = 0; i < lines.size(); i++) {
        String line = lines.get(i);
        Matcher m = LINE.matcher(line);
        if (line.startsWith("job \"")) {
          String id = unquote(line.substring(5, line.lastIndexOf('"')));
          job.put("ID", id).put("Name", id);
        } else if (line.contains("<<EOT")) {
          meta.put(line.strip().split(" ")[0], unquote(lines.get(++i)) + "\n");
          i++;
        } else if (line.contains("= [")) {
          var list = job.putArray("Datacenters");
          String items = line.substring(line.indexOf('[') + 1, line.lastIndexOf(']'));
          for (String item : items.isEmpty() ? new String[0] : items.split(", ")) {
            list.add(unquote(item.substring(1, item.length() - 1)));
          }
        } else if (m.matches()) {
          String value = unquote(m.group(2));
          switch (m.group(1)) {
            case "signal" -> meta.put("signal", value.toUpperCase(Locale.ROOT));
            case "trimmed" -> meta.put("trimmed", value.strip());
            case "zone" -> meta.put("zone", value.isEmpty() ? "UTC" : value);
            case "type" -> job.put("Type", value);
            case "cpu" -> {
              if (!value.matches("\\d+")) {
                throw ApiErrors.of(400, "POST /v1/jobs/parse", "Failed to parse job: cpu: a number is required");
              }
              meta.put("cpu", Integer.parseInt(value));
            }
            default -> meta.put(m.group(1), value);
          }
        }
      }
      return job;
    }

    /** HCL's escapes as the template engine writes them. */
    private static String unquote(String text) {
      StringBuilder out = new StringBuilder();
      for (int i = 0; i < text.length(); i++) {
        char c = text.charAt(i);
        if (c == '\\') {
          char e = text.charAt(++i);
          switch (e) {
            case 'n' -> out.append('\n');
            case 'r' -> out.append('\r');
            case 't' -> out.append('\t');
            case 'u' -> {
              out.append((char) Integer.parseInt(text.substring(i + 1, i + 5), 16));
              i += 4;
            }
            default -> out.append(e);
          }
        } else if ((c == '$' || c == '%') && text.startsWith(c + "" + c + "{", i)) {
          out.append(c);
          i++;
        } else {
          out.append(c);
        }
      }
      return out.toString();
    }

  }
}

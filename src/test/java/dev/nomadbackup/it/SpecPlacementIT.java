package dev.nomadbackup.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nomadbackup.backup.SpecCache;
import dev.nomadbackup.backup.template.BackupTemplate;
import dev.nomadbackup.backup.template.BackupTemplatePropertyTest;
import dev.nomadbackup.backup.template.TemplateCatalog;
import dev.nomadbackup.backup.template.TemplateException;
import dev.nomadbackup.backup.template.TemplateSource;
import dev.nomadbackup.backup.template.TemplateValues;
import dev.nomadbackup.config.NomadConfig;
import dev.nomadbackup.nomad.NomadApiException;
import dev.nomadbackup.nomad.NomadClient;
import dev.nomadbackup.testing.NomadAgent;
import dev.nomadbackup.testing.OperatorTest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * A spec with its values placed into the parse of its shape is byte for byte the spec Nomad parses
 * from the job's own HCL: for every shipped template (backup and restore, both kinds), the hostile
 * template of {@link HostileInputIT}, and every value of the hostile-input corpus (its crafted and
 * random values, schedules and datacenters, and the template property test's random values) in
 * every slot a value can take. Both trees are compared as Jackson writes them, members sorted.
 */
@OperatorTest
class SpecPlacementIT {
  /**
   * Writes every object's members sorted by name: Nomad writes a Go map's entries in random order
   * (two parses of the same HCL differ there), everything else in a fixed order.
   */
  private static final ObjectMapper JSON = JsonMapper.builder()
      .enable(JsonNodeFeature.WRITE_PROPERTIES_SORTED).build();
  private static final String NS = "default";
  private static final List<String> META_KEYS = List.of("backup-x", "backup-y", "backup-keep", "backup-volume",
      "backup-pg-host", "backup-pg-port", "backup-pg-user", "backup-mariadb-host", "backup-mariadb-port",
      "backup-mariadb-user");

  /** A store whose only call is Nomad's parse, counted by text. */
  private static final class Parses implements SpecCache.Parser {
    private final NomadClient nomad;
    final Map<String, Integer> texts = new HashMap<>();

    Parses(NomadClient nomad) {
      this.nomad = nomad;
    }

    @Override
    public ObjectNode parseJob(String namespace, String hcl) throws IOException {
      texts.merge(hcl, 1, Integer::sum);
      return nomad.parseJob(namespace, hcl);
    }

  }

  static List<String> corpus() {
    List<String> values = new ArrayList<>(HostileInputIT.CRAFTED);
    Random hostile = new Random(20260601L);
    for (int i = 0; i < HostileInputIT.RANDOM_VALUES; i++) {
      values.add(HostileInputIT.randomValue(hostile));
    }
    Random property = new Random(20240601L);
    for (int i = 0; i < 200; i++) {
      values.add(BackupTemplatePropertyTest.randomValue(property));
    }
    values.addAll(HostileInputIT.SCHEDULES);
    values.addAll(HostileInputIT.DATACENTERS);
    values.addAll(List.of("@daily", "0 3 * * *", "*/5 * * * *", " padded ", "UPPER", "lower", "MiXeD", "0", "true",
        "30s", "1h", "a//b/./c/../d", "UTC", "global", "default", "*", "\u00e9", "e\u0301", "\u00a0x\u00a0"));
    return values;
  }

  /** The values a case renders with: {@code v} in one slot, or in every meta key. */
  static List<TemplateValues> cases(String v) {
    Map<String, String> allMeta = new LinkedHashMap<>();
    META_KEYS.forEach(k -> allMeta.put(k, k.equals("backup-y") ? v.replaceAll("[\r\n]", " ") : v));
    List<TemplateValues> cases = new ArrayList<>();
    cases.add(new TemplateValues("backup-src", "src", NS, List.of("dc1"), "global", "@daily", v, allMeta));
    cases.add(new TemplateValues("backup-" + v, v, NS, List.of("dc1"), "global", "@daily", "db", Map.of()));
    cases.add(new TemplateValues("backup-src", "src", v, List.of("dc1"), v, v, "db", Map.of()));
    cases.add(new TemplateValues("backup-src", "src", NS, List.of("dc1", v), "global", "@daily", "db", Map.of()));
    cases.add(new TemplateValues("backup-src", "src", NS, List.of(v), "global", "@daily", "db", Map.of()));
    return cases;
  }

  /** Settings shapes that change the rendering: meta absent, set, empty; datacenters of every length. */
  static List<TemplateValues> shapes() {
    Map<String, String> empty = new HashMap<>();
    META_KEYS.forEach(k -> empty.put(k, ""));
    Map<String, String> set = Map.of("backup-keep", "3", "backup-volume", "dumps", "backup-pg-host", "db.internal",
        "backup-mariadb-port", "3307", "backup-x", "x", "backup-y", "y");
    List<TemplateValues> shapes = new ArrayList<>();
    for (Map<String, String> meta : List.of(Map.<String, String>of(), empty, set)) {
      for (List<String> dcs : List.of(List.<String>of(), List.of("dc1"), List.of("b", "a"), List.of("a", "a"),
          List.of("dc1", "dc2", "dc3", "dc4", "dc5"))) {
        shapes.add(new TemplateValues("backup-src", "src", NS, dcs, "global", "@weekly", "db", meta));
        shapes.add(new TemplateValues("backup-other", "other", NS, dcs, "europe", "0 4 * * *", "shop", meta));
      }
    }
    return shapes;
  }

  @Test
  void placedSpecsAreNomadsOwnParseByteForByte(NomadAgent agent) throws Exception {
    Map<String, BackupTemplate> templates = new LinkedHashMap<>();
    for (TemplateCatalog.Kind kind : TemplateCatalog.load(Optional.empty()).kinds()) {
      templates.put(kind.name() + " backup", kind.backup());
      templates.put(kind.name() + " restore", kind.restore());
    }
    Path hostile = Files.createTempFile(Path.of("target"), "placement", ".nomad.tmpl");
    Files.writeString(hostile, HostileInputIT.TEMPLATE);
    templates.put("hostile", TemplateSource.file(hostile));
    templates.put("test default", TemplateSource.file(Path.of("src/test/resources/backup/default-template.nomad.tmpl")));

    List<TemplateValues> all = new ArrayList<>(shapes());
    corpus().forEach(v -> all.addAll(cases(v)));
    Map<String, Integer> outcomes = new TreeMap<>();
    try (NomadClient nomad = NomadClient.create(NomadConfig.fromEnvironment(agent.operatorEnv()), 2)) {
      for (Map.Entry<String, BackupTemplate> named : templates.entrySet()) {
        BackupTemplate template = named.getValue();
        boolean restore = named.getKey().contains("restore");
        Parses parses = new Parses(nomad);
        SpecCache specs = new SpecCache();
        for (TemplateValues base : all) {
          TemplateValues values = restore ? base.forJob("restore-" + base.sourceJobId()) : base;
          String hcl;
          try {
            hcl = template.render(values);
          } catch (TemplateException e) {
            outcomes.merge(named.getKey() + ": refused by the template", 1, Integer::sum);
            continue;
          }
          ObjectNode parsed;
          try {
            parsed = nomad.parseJob(NS, hcl);
          } catch (NomadApiException e) {
            assertEquals(400, e.status(), e.getMessage());
            NomadApiException placed = assertThrows(NomadApiException.class,
                () -> specs.spec(parses, NS, template, values, hcl));
            assertEquals(400, placed.status());
            assertEquals(e.body(), placed.body());
            outcomes.merge(named.getKey() + ": does not parse, either way", 1, Integer::sum);
            continue;
          }
          int before = parses.texts.getOrDefault(hcl, 0);
          ObjectNode placed = specs.spec(parses, NS, template, values, hcl);
          assertArrayEquals(JSON.writeValueAsBytes(parsed), JSON.writeValueAsBytes(placed),
              () -> named.getKey() + ": placed differs from parsed for " + values + "\nparsed " + parsed
                  + "\nplaced " + placed);
          boolean wasPlaced = parses.texts.getOrDefault(hcl, 0) == before;
          outcomes.merge(named.getKey() + (wasPlaced ? ": placed" : ": parsed"), 1, Integer::sum);
        }
      }
    }
    System.out.println("Placement outcomes: " + outcomes);
    for (String template : templates.keySet().stream().filter(t -> t.contains("backup") || t.contains("restore")).toList()) {
      int placed = outcomes.getOrDefault(template + ": placed", 0);
      int parsed = outcomes.getOrDefault(template + ": parsed", 0);
      assertTrue(placed > 4 * parsed, template + ": too few specs placed: " + outcomes);
    }
    // its .SourceJobID stands inside a longer string in every case: each job is parsed by Nomad
    assertEquals(0, outcomes.getOrDefault("test default: placed", 0), outcomes.toString());
  }
}

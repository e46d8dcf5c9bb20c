package dev.nomadbackup.backup.template;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TemplateValuesTest {

  @Test
  void copiesTheCollectionsItIsGiven() {
    List<String> dcs = new ArrayList<>(List.of("dc1"));
    Map<String, String> meta = new HashMap<>(Map.of("k", "v"));
    TemplateValues values = new TemplateValues("j", "s", "n", dcs, "r", "@daily", "db", meta);
    dcs.add("dc2");
    meta.put("k2", "v2");
    assertEquals(List.of("dc1"), values.datacenters());
    assertEquals(Map.of("k", "v"), values.meta());
    assertThrows(UnsupportedOperationException.class, () -> values.datacenters().add("x"));
  }

  @Test
  void rejectsNullComponents() {
    assertThrows(NullPointerException.class, () -> new TemplateValues(null, "s", "n", List.of(), "r", "c", "d", Map.of()));
    assertThrows(NullPointerException.class, () -> new TemplateValues("j", "s", "n", null, "r", "c", "d", Map.of()));
    assertThrows(NullPointerException.class, () -> new TemplateValues("j", "s", "n", List.of(), "r", "c", null, Map.of()));
    assertThrows(NullPointerException.class, () -> new TemplateValues("j", "s", "n", List.of(), "r", "c", "d", null));
    Map<String, String> withNull = new HashMap<>();
    withNull.put("k", null);
    assertThrows(NullPointerException.class, () -> new TemplateValues("j", "s", "n", List.of(), "r", "c", "d", withNull));
  }

  @Test
  void sampleHoldsPlausibleValues() {
    TemplateValues sample = TemplateValues.sample();
    assertEquals("backup-sample", sample.jobId());
    assertEquals(List.of("dc1"), sample.datacenters());
    assertEquals("@daily", sample.schedule());
    assertEquals("postgres", sample.targetDb());
    assertEquals(Map.of(), sample.meta());
  }
}

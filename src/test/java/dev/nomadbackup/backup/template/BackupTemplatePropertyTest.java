package dev.nomadbackup.backup.template;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Renders thousands of random hostile values and checks with an independent HCL reader that
 * each one stays inside its string and decodes back to exactly itself.
 */
public class BackupTemplatePropertyTest {

  private static final int RUNS = 4000;

  private static final String[] TOKENS = {
    "\"", "\\", "$", "%", "{", "}", "[", "]", "\n", "\r", "\t", "<<EOF", "<<-EOF", "EOF", "#", "//", "/*", "*/",
    "é", "漢", "🙂", "\u0000", "\u0001", "\u001b", "\u001f", "\u007f", "\u2028", "${", "%{", "$${", "%%{",
    "[[", "]]", "\\\"", "\\n", "a", " ", "x = 1", "}\"\n", "\uD83D",
  };

  /** Prefix, then the quoted-string body as literal/placeholder pieces, then suffix. */
  private static final String PREFIX = "job \"x\" {\n  meta {\n    v = ";
  private static final String SUFFIX = "\n  }\n  w = \"done\"\n}\n";

  public static String randomValue(Random random) {
    StringBuilder value = new StringBuilder();
    int tokens = random.nextInt(12);
    for (int t = 0; t < tokens; t++) {
      String token = TOKENS[random.nextInt(TOKENS.length)];
      int repeat = random.nextInt(10) == 0 ? 1 + random.nextInt(200) : 1;
      value.append(token.repeat(repeat));
    }
    return value.toString();
  }

  private static boolean hasDoubleBrace(String text) {
    return text.contains("{{") || text.contains("}}");
  }

  @ParameterizedTest
  @ValueSource(strings = {"pre [[ .Meta.v ]] post", "$[[ .Meta.v ]]{", "%[[ .Meta.v ]][[ .Meta.v ]]$", "[[ .Meta.v ]]"})
  void aValueNeverLeavesItsQuotedString(String body) throws TemplateException {
    BackupTemplate template = BackupTemplate.parse("prop.tmpl", PREFIX + "\"" + body + "\"" + SUFFIX);
    Random random = new Random(20240601L + body.hashCode());
    int rendered = 0;
    for (int run = 0; run < RUNS; run++) {
      String value = randomValue(random);
      String expected = body.replace("[[ .Meta.v ]]", value);
      TemplateValues values = BackupTemplateTest.meta("v", value);
      if (hasDoubleBrace(expected)) {
        TemplateException e = assertThrows(TemplateException.class, () -> template.render(values));
        assertTrue(e.getMessage().startsWith("prop.tmpl:3:"), e.getMessage());
        continue;
      }
      String out = template.render(values);
      assertTrue(out.startsWith(PREFIX), out);
      HclDecoder.Decoded literal = HclDecoder.quoted(out, PREFIX.length());
      assertEquals(expected, literal.value(), () -> "value " + Placeholder.preview(value));
      assertEquals(SUFFIX, out.substring(literal.end()));
      rendered++;
    }
    assertTrue(rendered > RUNS / 2, "too few values rendered: " + rendered);
  }

  @ParameterizedTest
  @ValueSource(strings = {"pre [[ .Meta.v ]] post", "$[[ .Meta.v ]]{", "[[ .Meta.v ]]"})
  void aValueNeverLeavesItsHeredocLine(String body) throws TemplateException {
    String prefix = "a = <<EOF\n";
    String suffix = "\nEOF\nb = \"done\"\n";
    BackupTemplate template = BackupTemplate.parse("prop.tmpl", prefix + body + suffix);
    Random random = new Random(77L + body.hashCode());
    int rendered = 0;
    for (int run = 0; run < RUNS; run++) {
      String value = randomValue(random);
      String expected = body.replace("[[ .Meta.v ]]", value);
      TemplateValues values = BackupTemplateTest.meta("v", value);
      if (hasDoubleBrace(expected) || value.contains("\n") || value.contains("\r") || expected.strip().equals("EOF")) {
        assertThrows(TemplateException.class, () -> template.render(values));
        continue;
      }
      String out = template.render(values);
      HclDecoder.Decoded line = HclDecoder.heredocLine(out, prefix.length());
      assertEquals(expected, line.value(), () -> "value " + Placeholder.preview(value));
      assertEquals(suffix, out.substring(line.end()));
      rendered++;
    }
    assertTrue(rendered > RUNS / 4, "too few values rendered: " + rendered);
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 2, 5})
  void datacentersNeverLeaveTheirListElements(int size) throws TemplateException {
    BackupTemplate template = BackupTemplate.parse("prop.tmpl", "datacenters = [[ .Datacenters ]]\n");
    Random random = new Random(size);
    for (int run = 0; run < RUNS / 4; run++) {
      String[] dcs = new String[size];
      for (int i = 0; i < size; i++) {
        dcs[i] = randomValue(random);
      }
      TemplateValues values = new TemplateValues("j", "s", "n", List.of(dcs), "r", "s", "d", Map.of());
      if (List.of(dcs).stream().anyMatch(BackupTemplatePropertyTest::hasDoubleBrace)) {
        assertThrows(TemplateException.class, () -> template.render(values));
        continue;
      }
      String out = template.render(values);
      int at = "datacenters = [".length();
      for (int i = 0; i < size; i++) {
        HclDecoder.Decoded element = HclDecoder.quoted(out, at);
        assertEquals(dcs[i], element.value());
        at = element.end() + (i < size - 1 ? 2 : 0);
      }
      assertEquals("]\n", out.substring(at));
    }
  }
}

package dev.nomadbackup.backup.template;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class BackupTemplateTest {

  private static final String SOURCE = "backup.nomad.tmpl";

  static TemplateValues values(Map<String, String> meta) {
    return new TemplateValues("backup-web", "web", "prod", List.of("dc1", "dc2"), "eu",
        "0 3 * * *", "appdb", meta);
  }

  static TemplateValues meta(String key, String value) {
    return values(Map.of(key, value));
  }

  static String render(String template, TemplateValues values) throws TemplateException {
    return BackupTemplate.parse(SOURCE, template).render(values);
  }

  static String renderValue(String template, String value) throws TemplateException {
    return render(template, meta("v", value));
  }

  static TemplateException parseError(String template) {
    return assertThrows(TemplateException.class, () -> BackupTemplate.parse(SOURCE, template));
  }

  static TemplateException renderError(String template, TemplateValues values) throws TemplateException {
    BackupTemplate parsed = BackupTemplate.parse(SOURCE, template);
    return assertThrows(TemplateException.class, () -> parsed.render(values));
  }

  static void assertMessage(TemplateException e, String... parts) {
    for (String part : parts) {
      assertTrue(e.getMessage().contains(part), () -> "'" + part + "' not in: " + e.getMessage());
    }
  }

  @Nested
  class QuotedStrings {

    @Test
    void rendersEveryStringVariable() throws TemplateException {
      String template = "a = \"[[ .JobID ]]|[[ .SourceJobID ]]|[[ .Namespace ]]|[[ .Region ]]"
          + "|[[ .Schedule ]]|[[ .TargetDB ]]|[[ .Meta.backup-retention ]]\"\n";
      assertEquals("a = \"backup-web|web|prod|eu|0 3 * * *|appdb|7d\"\n",
          render(template, meta("backup-retention", "7d")));
    }

    @Test
    void acceptsPlaceholdersWithoutOrWithTabsAroundTheExpression() throws TemplateException {
      assertEquals("a = \"web-web-web\"",
          render("a = \"[[.SourceJobID]]-[[\t.SourceJobID\t]]-[[  .SourceJobID | default \"x\"  ]]\"",
              values(Map.of())));
    }

    @Test
    void escapesQuotesAndBackslashesInsideQuotedStrings() throws TemplateException {
      assertEquals("a = \"x\\\"y\\\\z\\\\\"", renderValue("a = \"x[[ .Meta.v ]]\"", "\"y\\z\\"));
    }

    @Test
    void escapesLineBreaksTabsAndControlCharsInsideQuotedStrings() throws TemplateException {
      assertEquals("a = \"\\n\\r\\t\\u0000\\u001B\\u001F\\u007F\"",
          renderValue("a = \"[[ .Meta.v ]]\"", "\n\r\t\u0000\u001b\u001f\u007f"));
    }

    @Test
    void escapesInterpolationAndDirectiveStartsInsideQuotedStrings() throws TemplateException {
      assertEquals("a = \"$${file(\\\"/etc/passwd\\\")} %%{ if true } $$${x}\"",
          renderValue("a = \"[[ .Meta.v ]]\"", "${file(\"/etc/passwd\")} %{ if true } $${x}"));
    }

    @Test
    void keepsDollarAndPercentNotFollowedByABrace() throws TemplateException {
      assertEquals("a = \"$HOME 100% $ %\"", renderValue("a = \"[[ .Meta.v ]]\"", "$HOME 100% $ %"));
    }

    @Test
    void keepsNonAsciiAsItIsInsideQuotedStrings() throws TemplateException {
      assertEquals("a = \"é漢🙂\"", renderValue("a = \"[[ .Meta.v ]]\"", "é漢🙂"));
    }

    @Test
    void escapesABraceThatWouldFollowADollarOrPercentOfTheTemplate() throws TemplateException {
      assertEquals("a = \"$${x}\"", renderValue("a = \"$[[ .Meta.v ]]\"", "{x}"));
      assertEquals("a = \"%%{x}\"", renderValue("a = \"%[[ .Meta.v ]]\"", "{x}"));
      assertEquals("a = \"$$${x}\"", renderValue("a = \"$$[[ .Meta.v ]]\"", "{x}"));
    }

    @Test
    void escapesATemplateBraceThatWouldFollowADollarOrPercentOfTheValue() throws TemplateException {
      assertEquals("a = \"x$${y}\"", renderValue("a = \"[[ .Meta.v ]]{y}\"", "x$"));
      assertEquals("a = \"x%%{y}\"", renderValue("a = \"[[ .Meta.v ]]{y}\"", "x%"));
      assertEquals("a = \"$${y}\"", renderValue("a = \"$[[ .Meta.v ]]{y}\"", ""));
    }

    @Test
    void escapesABraceBetweenTwoAdjacentPlaceholders() throws TemplateException {
      assertEquals("a = \"$${\"", render("a = \"[[ .Meta.a ]][[ .Meta.b ]]\"",
          values(Map.of("a", "$", "b", "{"))));
    }

    @Test
    void anEscapedQuoteDoesNotEndTheString() throws TemplateException {
      assertEquals("a = \"say \\\"web\\\"\"", render("a = \"say \\\"[[ .SourceJobID ]]\\\"\"", values(Map.of())));
    }

    @Test
    void anEscapedBackslashBeforeAQuoteEndsTheString() {
      assertMessage(parseError("a = \"x\\\\\" [[ .JobID ]]"), "must be inside a quoted string");
    }

    @Test
    void literalInterpolationEscapesDoNotOpenAnInterpolation() throws TemplateException {
      assertEquals("a = \"$${ web } %%{ web }\"",
          render("a = \"$${ [[ .SourceJobID ]] } %%{ [[ .SourceJobID ]] }\"", values(Map.of())));
    }

    @Test
    void rejectsAPlaceholderRightAfterABackslash() {
      TemplateException e = parseError("a = \"x\\[[ .JobID ]]\"");
      assertMessage(e, SOURCE + ":1:8:", "must not follow a backslash");
    }

    @Test
    void rejectsAPlaceholderInsideAUnicodeEscape() {
      assertMessage(parseError("a = \"\\u00[[ .JobID ]]\""), SOURCE + ":1:10:", "\\u escape");
      assertMessage(parseError("a = \"\\U0001F6[[ .JobID ]]\""), "\\U escape");
    }

    @Test
    void placeholderAfterACompleteUnicodeEscapeIsFine() throws TemplateException {
      assertEquals("a = \"\\u00e9web\"", render("a = \"\\u00e9[[ .SourceJobID ]]\"", values(Map.of())));
    }

    @Test
    void rejectsALineBreakInsideAQuotedString() {
      assertMessage(parseError("a = \"x\ny = \"[[ .JobID ]]\"\n"), SOURCE + ":1:5:", "not closed before the end of its line");
    }

    @Test
    void rejectsAnUnterminatedQuotedString() {
      assertMessage(parseError("a = 1\nb = \"[[ .JobID ]]"), SOURCE + ":2:5:", "unterminated quoted string");
    }
  }

  @Nested
  class Interpolations {

    @Test
    void rejectsAPlaceholderInsideAnInterpolation() {
      TemplateException e = parseError("a = \"${lower([[ .JobID ]])}\"");
      assertEquals(SOURCE + ":1:14: [[ .JobID ]] must not be inside a ${ } interpolation or %{ } directive:"
          + " a value there would be code", e.getMessage());
    }

    @Test
    void rejectsAPlaceholderInsideADirective() {
      assertMessage(parseError("a = \"%{ if [[ .JobID ]] == \"x\" }y%{ endif }\""), ":1:12:", "directive");
    }

    @Test
    void rejectsAPlaceholderInsideAnInterpolationInAHeredoc() {
      assertMessage(parseError("a = <<EOF\n${ [[ .JobID ]] }\nEOF\n"), ":2:4:", "interpolation");
    }

    @Test
    void followsNestedQuotesInsideAnInterpolation() throws TemplateException {
      assertEquals("a = \"${upper(\"x\")}-web\"", render("a = \"${upper(\"x\")}-[[ .SourceJobID ]]\"", values(Map.of())));
      assertEquals("a = \"${upper(\"}\")}-web\"", render("a = \"${upper(\"}\")}-[[ .SourceJobID ]]\"", values(Map.of())));
    }

    @Test
    void aQuotedStringNestedInAnInterpolationIsAQuotedContext() throws TemplateException {
      assertEquals("a = \"${upper(\"w\\\"eb\")}\"",
          renderValue("a = \"${upper(\"[[ .Meta.v ]]\")}\"", "w\"eb"));
    }

    @Test
    void countsBracesInsideAnInterpolation() throws TemplateException {
      assertEquals("a = \"${ {k = 1}[\"k\"] } web\"",
          render("a = \"${ {k = 1}[\"k\"] } [[ .SourceJobID ]]\"", values(Map.of())));
      assertMessage(parseError("a = \"${ {k = 1}[\"k\"] [[ .SourceJobID ]] }\""), "interpolation");
    }

    @Test
    void knowsAStringHasEndedAfterAnInterpolationWithNestedQuotes() {
      assertMessage(parseError("a = \"${upper(\"x\")}\" [[ .JobID ]]"), ":1:21:", "must be inside a quoted string");
    }

    @Test
    void rejectsAnUnterminatedInterpolation() {
      assertMessage(parseError("a = \"${x\n"), SOURCE + ":1:6:", "unterminated ${");
    }
  }

  @Nested
  class Heredocs {

    @Test
    void escapesOnlyInterpolationStartsInsideAHeredoc() throws TemplateException {
      assertEquals("a = <<EOF\n\"q\" \\ $${x} %%{y} 漢\nEOF\n",
          renderValue("a = <<EOF\n[[ .Meta.v ]]\nEOF\n", "\"q\" \\ ${x} %{y} 漢"));
    }

    @Test
    void rendersInsideAnIndentedHeredoc() throws TemplateException {
      String template = "task {\n  a = <<-EOT\n    db=[[ .TargetDB ]]\n    EOT\n  b = \"[[ .SourceJobID ]]\"\n}\n";
      assertEquals("task {\n  a = <<-EOT\n    db=appdb\n    EOT\n  b = \"web\"\n}\n", render(template, values(Map.of())));
    }

    @Test
    void knowsWhereAHeredocEnds() {
      assertMessage(parseError("a = <<EOF\nx\n  EOF\nb = [[ .JobID ]]\n"), ":4:5:", "must be inside a quoted string");
    }

    @Test
    void aMarkerWithinALongerLineDoesNotEndTheHeredoc() throws TemplateException {
      assertEquals("a = <<EOF\nEOF x\nweb\nEOF\n", render("a = <<EOF\nEOF x\n[[ .SourceJobID ]]\nEOF\n", values(Map.of())));
    }

    @Test
    void handlesHeredocsWithWindowsLineBreaks() throws TemplateException {
      assertEquals("a = <<EOF\r\nweb\r\nEOF\r\n", render("a = <<EOF\r\n[[ .SourceJobID ]]\r\nEOF\r\n", values(Map.of())));
    }

    @Test
    void anOperatorWithoutLineBreakIsNotAHeredoc() {
      assertMessage(parseError("a = <<EOF [[ .JobID ]]\n"), "must be inside a quoted string");
    }

    @Test
    void quotesInsideAHeredocDoNotOpenStrings() throws TemplateException {
      assertEquals("a = <<EOF\nsay \"web\n# web\nEOF\n",
          render("a = <<EOF\nsay \"[[ .SourceJobID ]]\n# [[ .SourceJobID ]]\nEOF\n", values(Map.of())));
    }

    @ParameterizedTest
    @ValueSource(strings = {"a\nb", "a\rb", "\n", "EOF\r\n"})
    void rejectsALineBreakInAHeredocValue(String value) throws TemplateException {
      TemplateException e = renderError("a = <<EOF\n[[ .Meta.v ]]\nEOF\n", meta("v", value));
      assertMessage(e, SOURCE + ":2:1:", "[[ .Meta.v ]]", "line break");
    }

    @ParameterizedTest
    @ValueSource(strings = {"EOF", "  EOF", "EOF\t", "\u00a0EOF"})
    void rejectsAValueThatWouldCloseTheHeredoc(String value) throws TemplateException {
      TemplateException e = renderError("a = <<EOF\n[[ .Meta.v ]]\nEOF\nb = 1\n", meta("v", value));
      assertMessage(e, SOURCE + ":2:1:", "would close the heredoc <<EOF");
    }

    @Test
    void rejectsAValueThatCompletesTheMarkerWithTheTemplateText() throws TemplateException {
      assertMessage(renderError("a = <<-EOT\n  E[[ .Meta.v ]]\n  EOT\n", meta("v", "OT")), ":2:4:", "<<EOT");
      assertMessage(renderError("a = <<EOT\n[[ .Meta.a ]][[ .Meta.b ]]\nEOT\n",
          values(Map.of("a", "E", "b", "OT"))), ":2:1:", "<<EOT");
    }

    @Test
    void allowsTheMarkerTextNextToOtherText() throws TemplateException {
      assertEquals("a = <<EOF\necho EOF\nEOF\n", renderValue("a = <<EOF\necho [[ .Meta.v ]]\nEOF\n", "EOF"));
    }

    @Test
    void checksEveryHeredocLineThatHoldsAPlaceholder() throws TemplateException {
      String template = "a = <<EOF\n[[ .Meta.a ]] [[ .Meta.a ]]\nplain\n[[ .Meta.b ]]\nEOF\nb = \"[[ .Meta.a ]]\"\n";
      assertEquals("a = <<EOF\nx x\nplain\ny\nEOF\nb = \"x\"\n", render(template, values(Map.of("a", "x", "b", "y"))));
      assertMessage(renderError(template, values(Map.of("a", "x", "b", "EOF"))), SOURCE + ":4:1:", "<<EOF");
    }

    @Test
    void rejectsAnUnterminatedHeredoc() {
      assertMessage(parseError("a = <<EOF\n[[ .JobID ]]\n"), SOURCE + ":2:1:", "unterminated heredoc <<EOF");
    }
  }

  @Nested
  class Comments {

    @ParameterizedTest
    @ValueSource(strings = {"# see [[ .JobID ]]\n", "// see [[ .JobID ]]\n", "/* see\n [[ .JobID ]] */\n",
        "a = 1 # [[ .JobID ]]"})
    void rejectsAPlaceholderInAComment(String template) {
      assertMessage(parseError(template), "[[ .JobID ]] must not be inside a comment");
    }

    @Test
    void reportsWhereInTheCommentThePlaceholderIs() {
      assertMessage(parseError("a = 1\n/* x\n   y [[ .JobID ]] */"), SOURCE + ":3:6:");
    }

    @Test
    void quotesInsideCommentsDoNotOpenStrings() throws TemplateException {
      assertEquals("# it's \"odd\na = \"web\" /* \" */ b = 1 // \"\n",
          render("# it's \"odd\na = \"[[ .SourceJobID ]]\" /* \" */ b = 1 // \"\n", values(Map.of())));
      assertMessage(parseError("# \"\na = [[ .JobID ]]\n"), ":2:5:", "must be inside a quoted string");
    }

    @Test
    void commentMarkersInsideStringsAreText() throws TemplateException {
      assertEquals("a = \"# // /* web\"", render("a = \"# // /* [[ .SourceJobID ]]\"", values(Map.of())));
    }

    @Test
    void rejectsAnUnterminatedBlockComment() {
      assertMessage(parseError("a = 1\n  /* x\n"), SOURCE + ":2:3:", "unterminated /* comment");
    }
  }

  @Nested
  class BareCode {

    @Test
    void rendersDatacentersAsAListLiteral() throws TemplateException {
      assertEquals("datacenters = [\"dc1\", \"dc2\"]\n", render("datacenters = [[ .Datacenters ]]\n", values(Map.of())));
    }

    @Test
    void escapesEachDatacenterAsAQuotedString() throws TemplateException {
      TemplateValues values = new TemplateValues("j", "s", "n", List.of("a\"b", "${x}", "c\\\n"), "r", "s", "d", Map.of());
      assertEquals("d = [\"a\\\"b\", \"$${x}\", \"c\\\\\\n\"]", render("d = [[ .Datacenters ]]", values));
    }

    @Test
    void rendersNoDatacentersAsAnEmptyList() throws TemplateException {
      TemplateValues values = new TemplateValues("j", "s", "n", List.of(), "r", "s", "d", Map.of());
      assertEquals("d = []", render("d = [[ .Datacenters ]]", values));
    }

    @Test
    void rejectsAStringVariableInBareCode() {
      TemplateException e = parseError("job \"x\" {\n  crons = [[ .Schedule ]]\n}\n");
      assertEquals(SOURCE + ":2:11: [[ .Schedule ]] must be inside a quoted string", e.getMessage());
      assertEquals(Optional.of(new Location(SOURCE, 2, 11)), e.location());
    }

    @ParameterizedTest
    @ValueSource(strings = {"a = \"[[ .Datacenters ]]\"", "a = <<EOF\n[[ .Datacenters ]]\nEOF\n"})
    void rejectsDatacentersInsideAStringOrHeredoc(String template) {
      assertMessage(parseError(template), "[[ .Datacenters ]] is a list and must stand in bare code");
    }

    @Test
    void rejectsADefaultForDatacenters() {
      assertMessage(parseError("d = [[ .Datacenters | default \"dc1\" ]]"), ":1:5:", "default is only allowed for string values");
    }

    @Test
    void strayClosingBracketsAreOrdinaryHcl() throws TemplateException {
      assertEquals("a = [ [1, 2]]\nb = \"web\"\nc = \"]]\"\n",
          render("a = [ [1, 2]]\nb = \"[[ .SourceJobID ]]\"\nc = \"]]\"\n", values(Map.of())));
    }
  }

  @Nested
  class Defaults {

    @Test
    void usesTheDefaultWhenTheMetaKeyIsMissing() throws TemplateException {
      assertEquals("h = \"db.service.consul\"",
          render("h = \"[[ .Meta.backup-pg-host | default \"db.service.consul\" ]]\"", values(Map.of())));
    }

    @Test
    void usesTheDefaultWhenTheValueIsEmpty() throws TemplateException {
      assertEquals("h = \"x\" r = \"global\"", render("h = \"[[ .Meta.h | default \"x\" ]]\" r = \"[[ .Region | default \"global\" ]]\"",
          new TemplateValues("j", "s", "n", List.of(), "", "s", "d", Map.of("h", ""))));
    }

    @Test
    void prefersThePresentValueOverTheDefault() throws TemplateException {
      assertEquals("h = \"mine\"", render("h = \"[[ .Meta.h | default \"x\" ]]\"", meta("h", "mine")));
    }

    @Test
    void unescapesTheDefaultLiteralAndEscapesItForItsContext() throws TemplateException {
      assertEquals("h = \"a\\\"b\\\\c]] $${x}\"", render("h = \"[[ .Meta.h | default \"a\\\"b\\\\c]] ${x}\" ]]\"", values(Map.of())));
    }

    @Test
    void allowsBracketsInsideTheDefaultLiteral() throws TemplateException {
      assertEquals("h = \"a[[b]]c\"", render("h = \"[[ .Meta.h | default \"a[[b]]c\" ]]\"", values(Map.of())));
    }

    @Test
    void rendersAnEmptyMetaValueWithoutDefaultAsEmpty() throws TemplateException {
      assertEquals("h = \"\"", render("h = \"[[ .Meta.h ]]\"", meta("h", "")));
    }

    @Test
    void rejectsAMissingMetaKeyWithoutDefaultNamingTheKey() throws TemplateException {
      TemplateException e = renderError("a = 1\nh = \"[[ .Meta.backup-pg-host ]]\"", values(Map.of()));
      assertEquals(SOURCE + ":2:6: [[ .Meta.backup-pg-host ]]: meta key \"backup-pg-host\" is not set on job \"web\""
          + " and has no default", e.getMessage());
    }

    @Test
    void rejectsADefaultThatWouldBeEvaluatedByNomadsTemplateRunner() {
      assertMessage(parseError("h = \"[[ .Meta.h | default \"{{ env }}\" ]]\""), ":1:6:", "template runner");
    }
  }

  @Nested
  class PlaceholderSyntax {

    @ParameterizedTest
    @ValueSource(strings = {"[[ .Foo ]]", "[[ .jobId ]]", "[[ .JobId ]]", "[[ .JobIDs ]]"})
    void rejectsUnknownVariables(String placeholder) {
      assertMessage(parseError("a = \"" + placeholder + "\""), SOURCE + ":1:6:", "unknown variable", "known: .JobID");
    }

    @ParameterizedTest
    @ValueSource(strings = {"[[ ]]", "[[ JobID ]]", "[[ .Meta ]]", "[[ .Meta. ]]", "[[ .Meta.a.b ]]", "[[ .Meta.a b ]]",
        "[[ .Meta.é ]]", "[[ .JobID | ]]", "[[ .JobID | defalt \"x\" ]]", "[[ .JobID | default x ]]",
        "[[ .JobID | default \"x ]]", "[[ .JobID | default \"\\n\" ]]", "[[ .JobID default \"x\" ]]",
        "[[ .JobID | default \"x\" | default \"y\" ]]", "[[ .JobID ]", "[[ .JobID ] ]"})
    void rejectsMalformedPlaceholders(String placeholder) {
      TemplateException e = parseError("a = 1\nb = \"x" + placeholder + "\"\n");
      assertMessage(e, SOURCE + ":2:7:");
    }

    @Test
    void describesWhatWasExpected() {
      assertEquals(SOURCE + ":1:6: invalid placeholder [[ .JobID | defalt \"x\" ]]: expected default after | at column 18",
          parseError("a = \"[[ .JobID | defalt \"x\" ]]\"").getMessage());
    }

    @Test
    void rejectsAnUnterminatedPlaceholder() {
      assertMessage(parseError("a = 1\nb = \"[[ .JobID\"\nc = \"]]\"\n"), SOURCE + ":2:6:", "unterminated [[");
      assertMessage(parseError("a = \"[[ .JobID"), SOURCE + ":1:6:", "unterminated [[");
    }

    @Test
    void rejectsDoubleOpeningBracketsEvenAsNestedLists() {
      assertMessage(parseError("a = [[1, 2], [3]]"), SOURCE + ":1:5:", "invalid placeholder");
    }
  }

  @Nested
  class NomadTemplateSyntax {

    @Test
    void passesNomadTemplateSyntaxThroughUntouched() throws TemplateException {
      String template = "template {\n  data = \"{{ env \\\"NOMAD_ALLOC_ID\\\" }} [[ .SourceJobID ]]\"\n}\n"
          + "template {\n  data = <<EOF\n{{ range service \"db\" }}{{ .Address }}{{ end }} [[ .TargetDB ]]\n{{- /* c */ -}}\nEOF\n}\n";
      String expected = template.replace("[[ .SourceJobID ]]", "web").replace("[[ .TargetDB ]]", "appdb");
      assertEquals(expected, render(template, values(Map.of())));
    }

    @ParameterizedTest
    @ValueSource(strings = {"{{ env \"X\" }}", "a}}", "{{", "x{{y"})
    void rejectsValuesWithDoubleBracesInEveryContext(String value) throws TemplateException {
      String reason = "would be evaluated by Nomad's template runner";
      assertMessage(renderError("a = \"[[ .Meta.v ]]\"", meta("v", value)), SOURCE + ":1:6:", "[[ .Meta.v ]]", reason);
      assertMessage(renderError("a = <<EOF\n[[ .Meta.v ]]\nEOF\n", meta("v", value)), SOURCE + ":2:1:", reason);
      TemplateValues dcs = new TemplateValues("j", "s", "n", List.of("dc1", value), "r", "s", "d", Map.of());
      assertMessage(renderError("d = [[ .Datacenters ]]", dcs), SOURCE + ":1:5:", reason);
    }

    @Test
    void rejectsValuesThatFormDoubleBracesWithTheTemplateText() throws TemplateException {
      assertMessage(renderError("a = \"{[[ .Meta.v ]]\"", meta("v", "{x")), "template runner");
      assertMessage(renderError("a = \"[[ .Meta.v ]]}\"", meta("v", "x}")), "template runner");
      assertMessage(renderError("a = \"{[[ .Meta.v ]]{\"", meta("v", "")), "template runner");
      assertMessage(renderError("a = \"[[ .Meta.a ]][[ .Meta.b ]]\"", values(Map.of("a", "}", "b", "}"))),
          ":1:19:", "template runner");
    }

    @Test
    void allowsSingleBracesNextToTemplateBraces() throws TemplateException {
      assertEquals("a = \"{x}\"", renderValue("a = \"{[[ .Meta.v ]]}\"", "x"));
      assertEquals("a = \"}{}{\"", renderValue("a = \"}[[ .Meta.v ]]{\"", "{}"));
    }
  }

  @Nested
  class Messages {

    @Test
    void countsLinesAndColumnsInCodePoints() {
      TemplateException e = parseError("# 漢🙂\na = \"🙂🙂\" [[ .JobID ]]\n");
      assertEquals(Optional.of(new Location(SOURCE, 2, 10)), e.location());
      assertMessage(e, SOURCE + ":2:10:");
    }

    @Test
    void namesTheSourceGivenToParse() {
      TemplateException e = assertThrows(TemplateException.class,
          () -> BackupTemplate.parse("/etc/operator/custom.tmpl", "a = [[ .JobID ]]"));
      assertTrue(e.getMessage().startsWith("/etc/operator/custom.tmpl:1:5: "), e.getMessage());
    }

    @Test
    void errorsAboutTheWholeTemplateHaveNoLocation() {
      TemplateException e = new TemplateException("backup.nomad.tmpl: Nomad does not parse the rendered sample");
      assertEquals("backup.nomad.tmpl: Nomad does not parse the rendered sample", e.getMessage());
      assertEquals(Optional.empty(), e.location());
    }

    @Test
    void truncatesLongValuesInRenderErrors() throws TemplateException {
      String value = "x".repeat(5000) + "{{";
      TemplateException e = renderError("a = \"[[ .Meta.v ]]\"", meta("v", value));
      assertMessage(e, SOURCE + ":1:6:", "[[ .Meta.v ]]", "\"" + "x".repeat(60) + "\"... (5002 chars)", "template runner");
      assertTrue(e.getMessage().length() < 250, e.getMessage());
    }

    @Test
    void showsControlCharsOfAValueEscapedOnOneLine() throws TemplateException {
      TemplateException e = renderError("a = <<EOF\n[[ .Meta.v ]]\nEOF\n", meta("v", "a\nb\u0000"));
      assertMessage(e, "value \"a\\nb\\u0000\" holds a line break");
      assertFalse(e.getMessage().contains("\n"));
    }

    @Test
    void truncatesWithoutSplittingASurrogatePair() {
      String preview = Placeholder.preview("a".repeat(59) + "🙂🙂");
      assertEquals("\"" + "a".repeat(59) + "🙂\"... (63 chars)", preview);
    }
  }

  @Test
  void aParsedTemplateRendersManyJobsIndependently() throws TemplateException {
    BackupTemplate template = BackupTemplate.parse(SOURCE, "job \"[[ .JobID ]]\" { r = \"[[ .Meta.r | default \"7d\" ]]\" }");
    Map<String, String> meta = new HashMap<>();
    for (int i = 0; i < 1000; i++) {
      if (i % 2 == 0) {
        meta.put("r", i + "d");
      } else {
        meta.remove("r");
      }
      TemplateValues values = new TemplateValues("backup-" + i, "j" + i, "default", List.of("dc1"), "global",
          "@daily", "db", meta);
      assertEquals("job \"backup-" + i + "\" { r = \"" + (i % 2 == 0 ? i + "d" : "7d") + "\" }", template.render(values));
    }
  }

  @Test
  void aTemplateWithoutPlaceholdersRendersAsItIs() throws TemplateException {
    String text = "job \"x\" {\n  type = \"batch\" # [ ] ]]\n}\n";
    assertEquals(text, render(text, values(Map.of())));
    assertEquals("", render("", values(Map.of())));
  }
}

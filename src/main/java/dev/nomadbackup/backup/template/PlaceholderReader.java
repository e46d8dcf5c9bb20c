package dev.nomadbackup.backup.template;

/**
 * Reads one {@code [[ expr ]]} or {@code [[ expr | default "literal" ]]}, starting at its
 * {@code [[}. Whitespace inside is spaces and tabs only, so a placeholder never spans lines.
 */
final class PlaceholderReader {

  /** The expression read and the offset just past the closing {@code ]]}. */
  record Result(Expression expression, int end) {
  }

  private final String source;
  private final String text;
  private final int start;
  private int pos;

  private PlaceholderReader(String source, String text, int start) {
    this.source = source;
    this.text = text;
    this.start = start;
    this.pos = start + 2;
  }

  static Result read(String source, String text, int start) throws TemplateException {
    return new PlaceholderReader(source, text, start).read();
  }

  private Result read() throws TemplateException {
    int lineEnd = text.indexOf('\n', start);
    if (lineEnd < 0) {
      lineEnd = text.length();
    }
    int close = text.indexOf("]]", start + 2);
    if (close < 0 || close + 2 > lineEnd) {
      throw error("unterminated [[ (no ]] on the same line): "
          + shorten(text.substring(start, lineEnd)));
    }
    skipSpaces();
    expect(".", "a variable such as .JobID");
    String name = word(false);
    Variable variable = Variable.named(name).orElseThrow(() -> error(
        "unknown variable ." + name + " in " + shorten(text.substring(start, close + 2))
            + " (known: " + Variable.known() + ")"));
    String metaKey = null;
    if (variable == Variable.META) {
      expect(".", "a meta key as in .Meta.backup-retention");
      metaKey = word(true);
      if (metaKey.isEmpty()) {
        throw invalid("a meta key of letters, digits, '_' or '-' after .Meta.");
      }
    }
    skipSpaces();
    String defaultValue = null;
    if (at('|')) {
      pos++;
      skipSpaces();
      expect("default", "default after |");
      skipSpaces();
      defaultValue = literal();
      skipSpaces();
      if (variable == Variable.DATACENTERS) {
        throw error("default is only allowed for string values, not for .Datacenters");
      }
      if (defaultValue.contains("{{") || defaultValue.contains("}}")) {
        throw error("default \"" + defaultValue
            + "\" would be evaluated by Nomad's template runner ({{ or }})");
      }
    }
    expect("]]", "]]");
    return new Result(new Expression(variable, metaKey, defaultValue), pos);
  }

  private String word(boolean metaKey) {
    int from = pos;
    while (pos < text.length()) {
      char c = text.charAt(pos);
      boolean ok = c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z'
          || metaKey && (c >= '0' && c <= '9' || c == '_' || c == '-');
      if (!ok) {
        break;
      }
      pos++;
    }
    return text.substring(from, pos);
  }

  /** A double-quoted literal in which only {@code \"} and {@code \\} are escapes. */
  private String literal() throws TemplateException {
    expect("\"", "a double-quoted literal after default");
    StringBuilder value = new StringBuilder();
    while (pos < text.length()) {
      char c = text.charAt(pos++);
      if (c == '"') {
        return value.toString();
      }
      if (c == '\\' && pos < text.length() && (at('"') || at('\\'))) {
        value.append(text.charAt(pos++));
      } else if (c == '\\') {
        throw invalid("only \\\" and \\\\ are escapes in a default literal");
      } else if (c < 0x20 || c == 0x7f) {
        throw invalid("a closing \" for the default literal");
      } else {
        value.append(c);
      }
    }
    throw invalid("a closing \" for the default literal");
  }

  private void skipSpaces() {
    while (at(' ') || at('\t')) {
      pos++;
    }
  }

  private boolean at(char c) {
    return pos < text.length() && text.charAt(pos) == c;
  }

  private void expect(String token, String what) throws TemplateException {
    if (!text.startsWith(token, pos)) {
      throw invalid(what);
    }
    pos += token.length();
  }

  private TemplateException invalid(String expected) {
    int close = text.indexOf("]]", pos);
    int lineEnd = text.indexOf('\n', start);
    int end = close < 0 ? text.length() : close + 2;
    if (lineEnd >= 0 && lineEnd < end) {
      end = lineEnd;
    }
    return error("invalid placeholder " + shorten(text.substring(start, end))
        + ": expected " + expected + " at column " + Location.of(source, text, pos).column());
  }

  private TemplateException error(String reason) {
    return new TemplateException(Location.of(source, text, start), reason);
  }

  static String shorten(String written) {
    return written.length() <= 80 ? written : written.substring(0, 77) + "...";
  }
}

package dev.nomadbackup.backup.template;

import java.util.List;

/**
 * Writes values into HCL2 template text so that they stay literal text.
 *
 * <p>Common to both template contexts: a <code>{</code> that would follow a {@code $} or {@code %}
 * already written (by the value or by the template just before it) gets that sign doubled,
 * so <code>${</code> becomes <code>$${</code> and <code>%{</code> becomes <code>%%{</code>,
 * HCL's escapes.
 */
final class HclEscaper {

  private static final char[] HEX = "0123456789ABCDEF".toCharArray();

  private HclEscaper() {
  }

  /** Appends {@code value} escaped for the inside of an HCL2 double-quoted string. */
  static void appendQuoted(StringBuilder out, String value) {
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      switch (c) {
        case '\\' -> out.append("\\\\");
        case '"' -> out.append("\\\"");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        case '{' -> appendBrace(out);
        default -> {
          if (c < 0x20 || c == 0x7f) {
            out.append("\\u00").append(HEX[c >> 4]).append(HEX[c & 0xf]);
          } else {
            out.append(c);
          }
        }
      }
    }
  }

  /** Appends {@code value}, which must hold no line break, for the inside of a heredoc. */
  static void appendHeredoc(StringBuilder out, String value) {
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c == '{') {
        appendBrace(out);
      } else {
        out.append(c);
      }
    }
  }

  /** Appends an HCL list literal of quoted strings, e.g. {@code ["dc1", "dc2"]}. */
  static void appendList(StringBuilder out, List<String> items) {
    out.append('[');
    for (int i = 0; i < items.size(); i++) {
      out.append(i == 0 ? "\"" : ", \"");
      appendQuoted(out, items.get(i));
      out.append('"');
    }
    out.append(']');
  }

  /** Doubles a trailing {@code $} or {@code %} of {@code out}; call before a <code>{</code>. */
  static void escapeSignBeforeBrace(StringBuilder out) {
    int last = out.length() - 1;
    if (last >= 0 && (out.charAt(last) == '$' || out.charAt(last) == '%')) {
      out.append(out.charAt(last));
    }
  }

  private static void appendBrace(StringBuilder out) {
    escapeSignBeforeBrace(out);
    out.append('{');
  }
}

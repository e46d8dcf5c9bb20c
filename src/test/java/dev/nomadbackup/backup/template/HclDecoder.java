package dev.nomadbackup.backup.template;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * An independent reader of HCL2 template text, for tests: decodes a quoted string or one
 * heredoc line as HCL would, and fails on anything that would not be plain literal text
 * (an interpolation, a directive, a bad escape, a raw line break in a quoted string).
 */
final class HclDecoder {

  /** The decoded literal text and the offset just after what was read. */
  record Decoded(String value, int end) {
  }

  private HclDecoder() {
  }

  /** Decodes the quoted string whose opening quote is at {@code open}. */
  static Decoded quoted(String s, int open) {
    if (s.charAt(open) != '"') {
      fail("no opening quote at " + open);
    }
    StringBuilder out = new StringBuilder();
    int i = open + 1;
    while (true) {
      if (i >= s.length()) {
        fail("unterminated quoted string");
      }
      char c = s.charAt(i);
      if (c == '"') {
        return new Decoded(out.toString(), i + 1);
      } else if (c == '\n' || c == '\r') {
        fail("raw line break inside a quoted string at " + i);
      } else if (c == '\\') {
        i = escape(s, i + 1, out);
      } else if (c == '$' || c == '%') {
        i = sign(s, i, out);
      } else {
        out.append(c);
        i++;
      }
    }
  }

  /** Decodes heredoc text from {@code start} up to the end of its line. */
  static Decoded heredocLine(String s, int start) {
    StringBuilder out = new StringBuilder();
    int i = start;
    while (i < s.length() && s.charAt(i) != '\n') {
      char c = s.charAt(i);
      if (c == '$' || c == '%') {
        i = sign(s, i, out);
      } else {
        out.append(c);
        i++;
      }
    }
    return new Decoded(out.toString(), i);
  }

  private static int sign(String s, int i, StringBuilder out) {
    char c = s.charAt(i);
    if (charAt(s, i + 1) == '{') {
      fail("unescaped " + c + "{ at " + i + " would start an interpolation or directive");
    }
    if (charAt(s, i + 1) == c && charAt(s, i + 2) == '{') {
      out.append(c).append('{');
      return i + 3;
    }
    out.append(c);
    return i + 1;
  }

  private static int escape(String s, int i, StringBuilder out) {
    char e = (char) charAt(s, i);
    switch (e) {
      case 'n' -> out.append('\n');
      case 'r' -> out.append('\r');
      case 't' -> out.append('\t');
      case '"' -> out.append('"');
      case '\\' -> out.append('\\');
      case 'u' -> {
        out.appendCodePoint(Integer.parseInt(s.substring(i + 1, i + 5), 16));
        return i + 5;
      }
      case 'U' -> {
        out.appendCodePoint(Integer.parseInt(s.substring(i + 1, i + 9), 16));
        return i + 9;
      }
      default -> fail("invalid escape \\" + e + " at " + i);
    }
    return i + 1;
  }

  private static int charAt(String s, int i) {
    return i < s.length() ? s.charAt(i) : -1;
  }
}

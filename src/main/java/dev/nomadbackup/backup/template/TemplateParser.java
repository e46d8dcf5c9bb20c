package dev.nomadbackup.backup.template;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * Lexes the HCL of a template just enough to know, for every {@code [[ ]]} placeholder,
 * whether it stands in a quoted string, a heredoc, an interpolation, a comment or bare code,
 * and cuts the text into {@link Segment}s. A placeholder is opaque text to the lexer.
 *
 * <p>It is strict where a wrong guess about the HCL could let a value change the structure:
 * an unterminated string, heredoc, interpolation or block comment, a line break in a quoted
 * string and a placeholder right after a backslash are errors.
 */
final class TemplateParser {

  private enum Kind { CODE, INTERPOLATION, QUOTED, HEREDOC }

  /** An open construct; {@code depth} counts braces opened inside an interpolation. */
  private static final class Frame {
    final Kind kind;
    final int start;
    final String marker;
    int depth;

    Frame(Kind kind, int start, String marker) {
      this.kind = kind;
      this.start = start;
      this.marker = marker;
    }
  }

  private final String source;
  private final String text;
  private final Deque<Frame> stack = new ArrayDeque<>();
  private final List<Segment> segments = new ArrayList<>();
  private int pos;
  private int literalStart;
  private HeredocLineGuard pendingGuard;
  private int pendingGuardAt;

  private TemplateParser(String source, String text) {
    this.source = source;
    this.text = text;
  }

  static List<Segment> parse(String source, String text) throws TemplateException {
    return new TemplateParser(source, text).parse();
  }

  private List<Segment> parse() throws TemplateException {
    stack.push(new Frame(Kind.CODE, 0, null));
    while (pos < text.length()) {
      Frame top = stack.peek();
      if (top.kind == Kind.HEREDOC && atHeredocLineStart(top) && closesHeredoc(top)) {
        continue;
      }
      if (text.startsWith("[[", pos)) {
        placeholder(top);
        continue;
      }
      switch (top.kind) {
        case CODE, INTERPOLATION -> code(top);
        case QUOTED -> quoted();
        case HEREDOC -> template();
      }
    }
    if (stack.size() > 1) {
      Frame open = stack.peek();
      throw new TemplateException(location(open.start), switch (open.kind) {
        case QUOTED -> "unterminated quoted string";
        case HEREDOC -> "unterminated heredoc <<" + open.marker;
        default -> "unterminated " + text.substring(open.start, open.start + 2) + " ... }";
      });
    }
    flushGuard(text.length());
    addLiteral(text.length());
    return List.copyOf(segments);
  }

  private void code(Frame top) throws TemplateException {
    char c = text.charAt(pos);
    if (c == '"') {
      stack.push(new Frame(Kind.QUOTED, pos++, null));
    } else if (c == '#' || text.startsWith("//", pos)) {
      int end = text.indexOf('\n', pos);
      skipComment(end < 0 ? text.length() : end);
    } else if (text.startsWith("/*", pos)) {
      int end = text.indexOf("*/", pos + 2);
      if (end < 0) {
        throw new TemplateException(location(pos), "unterminated /* comment");
      }
      skipComment(end + 2);
    } else if (text.startsWith("<<", pos)) {
      heredocOpener();
    } else if (c == '{' && top.kind == Kind.INTERPOLATION) {
      top.depth++;
      pos++;
    } else if (c == '}' && top.kind == Kind.INTERPOLATION) {
      if (top.depth == 0) {
        stack.pop();
      } else {
        top.depth--;
      }
      pos++;
    } else {
      pos++;
    }
  }

  private void quoted() throws TemplateException {
    char c = text.charAt(pos);
    if (c == '"') {
      stack.pop();
      pos++;
    } else if (c == '\\') {
      backslashEscape();
    } else if (c == '\n' || c == '\r') {
      throw new TemplateException(location(stack.peek().start),
          "quoted string not closed before the end of its line");
    } else {
      template();
    }
  }

  /** The part common to quoted strings and heredocs: interpolations and their escapes. */
  private void template() {
    if (text.startsWith("$${", pos) || text.startsWith("%%{", pos)) {
      pos += 3;
    } else if (text.startsWith("${", pos) || text.startsWith("%{", pos)) {
      stack.push(new Frame(Kind.INTERPOLATION, pos, null));
      pos += 2;
    } else {
      pos++;
    }
  }

  private void backslashEscape() throws TemplateException {
    if (text.startsWith("[[", pos + 1)) {
      throw new TemplateException(location(pos + 1), "a placeholder must not follow a backslash");
    }
    if (pos + 1 >= text.length() || text.charAt(pos + 1) == '\n' || text.charAt(pos + 1) == '\r') {
      pos++;
      return;
    }
    char kind = text.charAt(pos + 1);
    pos += 2;
    int digits = kind == 'u' ? 4 : kind == 'U' ? 8 : 0;
    int bracket = text.indexOf("[[", pos);
    if (bracket >= 0 && bracket < pos + digits && isHex(pos, bracket)) {
      throw new TemplateException(location(bracket),
          "a placeholder must not stand inside a \\" + kind + " escape");
    }
  }

  private boolean isHex(int from, int to) {
    for (int i = from; i < to; i++) {
      if (Character.digit(text.charAt(i), 16) < 0) {
        return false;
      }
    }
    return true;
  }

  /** {@code <<EOF} or {@code <<-EOF} directly followed by a line break opens a heredoc. */
  private void heredocOpener() {
    int i = pos + 2;
    if (i < text.length() && text.charAt(i) == '-') {
      i++;
    }
    int markerStart = i;
    if (i < text.length() && Character.isUnicodeIdentifierStart(text.charAt(i))) {
      i++;
      while (i < text.length() && isMarkerPart(text.charAt(i))) {
        i++;
      }
    }
    int bodyStart = text.startsWith("\r\n", i) ? i + 2 : text.startsWith("\n", i) ? i + 1 : -1;
    if (i == markerStart || bodyStart < 0) {
      pos += 2;
      return;
    }
    stack.push(new Frame(Kind.HEREDOC, bodyStart, text.substring(markerStart, i)));
    pos = bodyStart;
  }

  private static boolean isMarkerPart(char c) {
    return Character.isUnicodeIdentifierPart(c) || c == '-';
  }

  private boolean atHeredocLineStart(Frame heredoc) {
    return pos == heredoc.start || text.charAt(pos - 1) == '\n';
  }

  /** Closes the heredoc when the line at {@code pos}, trimmed, is its marker. */
  private boolean closesHeredoc(Frame heredoc) {
    int end = text.indexOf('\n', pos);
    end = end < 0 ? text.length() : end;
    int from = pos;
    int to = end;
    while (from < to && HeredocLineGuard.isSpace(text.charAt(from))) {
      from++;
    }
    while (to > from && HeredocLineGuard.isSpace(text.charAt(to - 1))) {
      to--;
    }
    if (!text.substring(from, to).equals(heredoc.marker)) {
      return false;
    }
    stack.pop();
    pos = end;
    return true;
  }

  private void skipComment(int end) throws TemplateException {
    int bracket = text.indexOf("[[", pos);
    if (bracket >= 0 && bracket < end) {
      PlaceholderReader.Result read = PlaceholderReader.read(source, text, bracket);
      throw new TemplateException(location(bracket),
          text.substring(bracket, read.end()) + " must not be inside a comment");
    }
    pos = end;
  }

  private void placeholder(Frame top) throws TemplateException {
    int start = pos;
    PlaceholderReader.Result read = PlaceholderReader.read(source, text, start);
    String written = text.substring(start, read.end());
    Location at = location(start);
    boolean list = read.expression().variable() == Variable.DATACENTERS;
    Context context = switch (top.kind) {
      case INTERPOLATION -> throw new TemplateException(at, written
          + " must not be inside a ${ } interpolation or %{ } directive:"
          + " a value there would be code");
      case CODE -> {
        if (!list) {
          throw new TemplateException(at, written + " must be inside a quoted string");
        }
        yield Context.CODE;
      }
      case QUOTED, HEREDOC -> {
        if (list) {
          throw new TemplateException(at, written
              + " is a list and must stand in bare code, as in datacenters = [[ .Datacenters ]]");
        }
        yield top.kind == Kind.QUOTED ? Context.QUOTED : Context.HEREDOC;
      }
    };
    pos = read.end();
    int next = pos < text.length() ? text.charAt(pos) : -1;
    Placeholder placeholder = new Placeholder(read.expression(), context, written, at, next);
    flushGuard(start);
    addLiteral(start);
    segments.add(placeholder);
    literalStart = pos;
    if (context == Context.HEREDOC && pendingGuard == null) {
      int lineEnd = text.indexOf('\n', pos);
      pendingGuardAt = lineEnd < 0 ? text.length() : lineEnd;
      pendingGuard = new HeredocLineGuard(top.marker, placeholder);
    }
  }

  /** Emits the pending heredoc line guard if its line ends at or before {@code offset}. */
  private void flushGuard(int offset) {
    if (pendingGuard != null && pendingGuardAt <= offset) {
      addLiteral(pendingGuardAt);
      segments.add(pendingGuard);
      literalStart = pendingGuardAt;
      pendingGuard = null;
    }
  }

  private void addLiteral(int end) {
    if (end > literalStart) {
      segments.add(new Literal(text.substring(literalStart, end)));
    }
    literalStart = end;
  }

  private Location location(int offset) {
    return Location.of(source, text, offset);
  }
}

package dev.nomadbackup.backup.template;

/**
 * Stands at the end of a heredoc line that holds a placeholder and fails the render when the
 * rendered line would read as the heredoc's closing marker (e.g. a value {@code EOF}).
 */
record HeredocLineGuard(String marker, Placeholder placeholder) implements Segment {

  @Override
  public void appendTo(StringBuilder out, TemplateValues values) throws TemplateException {
    int start = out.lastIndexOf("\n") + 1;
    int end = out.length();
    while (end > start && isSpace(out.charAt(end - 1))) {
      end--;
    }
    while (start < end && isSpace(out.charAt(start))) {
      start++;
    }
    if (end - start == marker.length() && out.indexOf(marker, start) == start) {
      throw new TemplateException(placeholder.location(), placeholder.written()
          + ": the rendered line would close the heredoc <<" + marker);
    }
  }

  /** A superset of what HCL trims off a line before comparing it with a heredoc marker. */
  static boolean isSpace(char c) {
    return Character.isWhitespace(c) || Character.isSpaceChar(c) || c == '\u0085';
  }
}

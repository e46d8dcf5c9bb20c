package dev.nomadbackup.backup.template;

/** A 1-based line and column in a named template source; prints as {@code source:line:column}. */
record Location(String source, int line, int column) {

  /** The location of the char at {@code offset} in {@code text}; columns count code points. */
  static Location of(String source, String text, int offset) {
    int line = 1;
    int lineStart = 0;
    for (int i = 0; i < offset; i++) {
      if (text.charAt(i) == '\n') {
        line++;
        lineStart = i + 1;
      }
    }
    return new Location(source, line, text.codePointCount(lineStart, offset) + 1);
  }

  @Override
  public String toString() {
    return source + ":" + line + ":" + column;
  }
}

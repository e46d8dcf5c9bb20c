package dev.nomadbackup.backup.template;

/** Template text that is copied as it is. */
record Literal(String text) implements Segment {

  @Override
  public void appendTo(StringBuilder out, TemplateValues values) {
    out.append(text);
  }
}

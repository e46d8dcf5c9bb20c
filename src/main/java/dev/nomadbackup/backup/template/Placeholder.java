package dev.nomadbackup.backup.template;

/**
 * A parsed {@code [[ ... ]]}: what it asks for, the context it stands in, the text as written
 * and where, and the template char right after it ({@code -1} at the end of the text).
 */
record Placeholder(Expression expression, Context context, String written, Location location,
    int nextChar) implements Segment {

  private static final int PREVIEW_LENGTH = 60;

  @Override
  public void appendTo(StringBuilder out, TemplateValues values) throws TemplateException {
    append(out, values, null);
  }

  /**
   * A quoted value or a list element goes through {@code skeleton}, which may write a sentinel
   * in its place; a heredoc's value is always written as it is (HCL reads a heredoc's text as a
   * whole: its indentation, say, depends on every line).
   */
  @Override
  public void appendSkeletonTo(StringBuilder out, TemplateValues values, Skeleton.Builder skeleton)
      throws TemplateException {
    append(out, values, skeleton);
  }

  private void append(StringBuilder out, TemplateValues values, Skeleton.Builder skeleton) throws TemplateException {
    int start = out.length();
    String value;
    if (context == Context.CODE) {
      value = String.join(", ", values.datacenters());
      HclEscaper.appendList(out, skeleton == null ? values.datacenters()
          : values.datacenters().stream().map(skeleton::stand).toList());
    } else {
      value = resolve(values);
      if (context == Context.QUOTED) {
        HclEscaper.appendQuoted(out, skeleton == null ? value : skeleton.stand(value));
      } else if (value.indexOf('\n') >= 0 || value.indexOf('\r') >= 0) {
        throw failure(value, "holds a line break, which could end the heredoc");
      } else {
        HclEscaper.appendHeredoc(out, value);
      }
    }
    if (makesDoubleBrace(out, start)) {
      throw failure(value, "would be evaluated by Nomad's template runner ({{ or }})");
    }
    if (nextChar == '{') {
      HclEscaper.escapeSignBeforeBrace(out);
    }
  }

  private String resolve(TemplateValues values) throws TemplateException {
    String value = expression.lookup(values);
    if ((value == null || value.isEmpty()) && expression.defaultValue() != null) {
      return expression.defaultValue();
    }
    if (value == null) {
      throw new TemplateException(location, written + ": meta key \"" + expression.metaKey()
          + "\" is not set on job \"" + values.sourceJobId() + "\" and has no default");
    }
    return value;
  }

  /** Whether the text written from {@code start}, with one char either side, holds {{ or }}. */
  private boolean makesDoubleBrace(StringBuilder out, int start) {
    for (int i = Math.max(start, 1); i < out.length(); i++) {
      if (isDoubleBrace(out.charAt(i - 1), out.charAt(i))) {
        return true;
      }
    }
    return !out.isEmpty() && isDoubleBrace(out.charAt(out.length() - 1), nextChar);
  }

  private static boolean isDoubleBrace(int a, int b) {
    return a == b && (a == '{' || a == '}');
  }

  private TemplateException failure(String value, String reason) {
    return new TemplateException(location, written + ": value " + preview(value) + " " + reason);
  }

  /** The value quoted and escaped onto one line, cut after {@value #PREVIEW_LENGTH} chars. */
  static String preview(String value) {
    int cut = value.length();
    if (value.codePointCount(0, cut) > PREVIEW_LENGTH) {
      cut = value.offsetByCodePoints(0, PREVIEW_LENGTH);
    }
    StringBuilder shown = new StringBuilder(cut + 40).append('"');
    HclEscaper.appendQuoted(shown, value.substring(0, cut));
    shown.append('"');
    if (cut < value.length()) {
      shown.append("... (").append(value.length()).append(" chars)");
    }
    return shown.toString();
  }
}

package dev.nomadbackup.backup.template;

import java.util.List;

/**
 * A parsed backup job template: HCL2 jobspec text with {@code [[ ]]} placeholders.
 *
 * <p>Parsing decides, from the HCL around each placeholder, how its value is written:
 * <ul>
 *   <li>in a quoted string: escaped as an HCL2 quoted-string literal;</li>
 *   <li>in a heredoc: <code>${</code> and <code>%{</code> escaped, line breaks refused;</li>
 *   <li>in bare code: only {@code .Datacenters}, written as a list of quoted strings.</li>
 * </ul>
 * Placeholders in comments or in {@code ${ }}/{@code %{ }} are refused, as is any value that
 * would put <code>{{</code> or <code>}}</code> (Nomad's template runner syntax) into the
 * output. So a value can never change the structure of the rendered jobspec. Instances are
 * immutable and may be shared between threads.
 */
public final class BackupTemplate {

  private final String source;
  private final List<Segment> segments;
  private final int sizeHint;

  private BackupTemplate(String source, List<Segment> segments, int sizeHint) {
    this.source = source;
    this.segments = segments;
    this.sizeHint = sizeHint;
  }

  /** Where the template came from: a file name, or the built-in template's name. */
  public String source() {
    return source;
  }

  /**
   * Parses {@code text}; {@code source} names it in error messages.
   *
   * @throws TemplateException for a bad or misplaced placeholder or HCL the lexer cannot follow
   */
  static BackupTemplate parse(String source, String text) throws TemplateException {
    return new BackupTemplate(source, TemplateParser.parse(source, text), text.length() + 256);
  }

  /**
   * Renders the template with {@code values}.
   *
   * @throws TemplateException when a meta key without default is missing or a value cannot be
   *         written safely where its placeholder stands
   */
  public String render(TemplateValues values) throws TemplateException {
    StringBuilder out = new StringBuilder(sizeHint);
    for (Segment segment : segments) {
      segment.appendTo(out, values);
    }
    return out.toString();
  }

  /**
   * Renders the template as {@link #render} does, except that every quoted value and list element
   * for which {@code sentinel} answers is written as that answer instead: the text Nomad parses once
   * for every job whose rendering differs only in those values. See {@link Skeleton}.
   *
   * @throws TemplateException where {@link #render} would
   */
  public Skeleton skeleton(TemplateValues values, Skeleton.Sentinels sentinel) throws TemplateException {
    StringBuilder out = new StringBuilder(sizeHint);
    Skeleton.Builder skeleton = new Skeleton.Builder(sentinel);
    for (Segment segment : segments) {
      segment.appendSkeletonTo(out, values, skeleton);
    }
    return skeleton.build(out.toString());
  }
}

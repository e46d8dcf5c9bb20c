package dev.nomadbackup.backup.template;

/** One piece of a parsed template; rendering appends the pieces in order. */
sealed interface Segment permits Literal, Placeholder, HeredocLineGuard {

  void appendTo(StringBuilder out, TemplateValues values) throws TemplateException;
}

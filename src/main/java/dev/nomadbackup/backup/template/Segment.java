package dev.nomadbackup.backup.template;

/** One piece of a parsed template; rendering appends the pieces in order. */
sealed interface Segment permits Literal, Placeholder, HeredocLineGuard {

  void appendTo(StringBuilder out, TemplateValues values) throws TemplateException;

  /** As {@link #appendTo}, with the values {@code skeleton} takes written as its sentinels. */
  default void appendSkeletonTo(StringBuilder out, TemplateValues values, Skeleton.Builder skeleton)
      throws TemplateException {
    appendTo(out, values);
  }
}

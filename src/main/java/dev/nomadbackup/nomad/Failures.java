package dev.nomadbackup.nomad;

/** How a failure reads in one log line. */
public final class Failures {
  private Failures() {}

  /** The exception's message, or its type's name when it has none. */
  public static String describe(Throwable e) {
    return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
  }
}

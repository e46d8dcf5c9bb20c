package dev.nomadbackup.nomad;

/** A line of the event stream that cannot be read at all. */
public final class MalformedEventException extends Exception {
  private final String line;

  MalformedEventException(String message, String line) {
    super(message);
    this.line = line;
  }

  /** The start of the offending line, for the log. */
  public String excerpt() {
    return line.length() > 200 ? line.substring(0, 200) + "..." : line;
  }
}

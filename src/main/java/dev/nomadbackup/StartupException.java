package dev.nomadbackup;

/** The operator cannot start; {@link #exitCode()} tells the process what to exit with. */
public final class StartupException extends Exception {
  static final int NOMAD_UNREACHABLE = 1;
  static final int BAD_CONFIG = 2;
  static final int BAD_TEMPLATE = 3;

  private final int exitCode;

  StartupException(int exitCode, String message) {
    super(message);
    this.exitCode = exitCode;
  }

  public int exitCode() {
    return exitCode;
  }
}

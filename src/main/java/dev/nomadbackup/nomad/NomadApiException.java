package dev.nomadbackup.nomad;

import java.io.IOException;

/** Nomad answered a request with an error status; carries the status, the request and Nomad's words. */
public final class NomadApiException extends IOException {
  private final int status;
  private final String request;
  private final String body;

  NomadApiException(int status, String request, String body) {
    super(status + " from " + request + ": " + abbreviate(body));
    this.status = status;
    this.request = request;
    this.body = body;
  }

  public int status() {
    return status;
  }

  /** Method and path, e.g. {@code POST /v1/jobs}. */
  public String request() {
    return request;
  }

  /** Nomad's message, as it sent it. */
  public String body() {
    return body;
  }

  public boolean notFound() {
    return status == 404;
  }

  public boolean forbidden() {
    return status == 403;
  }

  private static String abbreviate(String body) {
    String oneLine = oneLine(body);
    return oneLine.length() > 300 ? oneLine.substring(0, 300) + "..." : oneLine;
  }

  /**
   * Nomad's multi-line error text on one line: {@code "1 error occurred:\n\t* Invalid cron spec"}
   * becomes {@code "Invalid cron spec"}, several errors are joined with "; ".
   */
  public static String oneLine(String text) {
    String s = text.strip().replaceFirst("^\\d+ errors? occurred:\\s*", "");
    return s.replaceFirst("^\\*\\s*", "").replaceAll("\\s*\\n\\s*(\\*\\s*)?", "; ").strip();
  }
}

package dev.nomadbackup.nomad;

import java.io.IOException;
import java.util.Optional;

/** Nomad answered a request with an error status; carries the status, the request and Nomad's words. */
public final class NomadApiException extends IOException {
  private final int status;
  private final String request;
  private final String body;

  private final boolean tokenRejected;

  NomadApiException(int status, String request, String body) {
    this(status, request, body, false);
  }

  /**
   * @param tokenRejected Nomad does not accept the token at all: it says so ("ACL token not
   *     found"), or, as Nomad 1.11 does, it answers "Permission denied" and the token cannot even
   *     read itself ({@code /v1/acl/token/self}), which any token it knows may
   */
  NomadApiException(int status, String request, String body, boolean tokenRejected) {
    super(status + " from " + request + ": " + abbreviate(body)
        + (status == 403 ? hint(request, body, tokenRejected) : ""));
    this.status = status;
    this.request = request;
    this.body = body;
    this.tokenRejected = status == 403 && (tokenRejected || tokenNotValid(body));
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

  /** Why Nomad refused: a token it does not accept at all, or the capability the request needs. */
  private static String hint(String request, String body, boolean tokenRejected) {
    if (tokenRejected || tokenNotValid(body)) {
      return " (the token is not valid: Nomad does not know it, it was deleted or has expired;"
          + " set NOMAD_TOKEN to a valid token)";
    }
    return capabilityHint(request).map(c -> " (the token needs " + c + ")").orElse("");
  }

  /** Nomad's words for a token it does not accept: "ACL token not found", "ACL token expired", ... */
  static boolean tokenNotValid(String body) {
    String s = body.strip();
    return s.startsWith("ACL token") || s.equals("token not found") || s.equals("token expired");
  }

  /** True when Nomad refused the request's token itself, rather than one of its capabilities. */
  public boolean tokenRejected() {
    return tokenRejected;
  }

  /** The ACL capability a request of the operator's needs, as acl/operator-policy.hcl grants it. */
  static Optional<String> capabilityHint(String request) {
    String capability = null;
    if (request.startsWith("GET /v1/jobs")) {
      capability = "list-jobs";
    } else if (request.startsWith("GET /v1/job/") || request.startsWith("GET /v1/event/stream")) {
      capability = "read-job";
    } else if (request.startsWith("POST /v1/jobs/parse")) {
      capability = "parse-job";
    } else if (request.startsWith("POST /v1/jobs")) {
      // Nomad answers the same 403 for a host volume the job mounts without mount-readwrite
      capability = "submit-job, and mount-readwrite on the host volumes the job mounts";
    } else if (request.startsWith("DELETE /v1/job/") || request.startsWith("POST /v1/validate/job")
        || request.matches("(PUT|POST) /v1/job/.*/periodic/force")) {
      capability = "submit-job";
    } else if (request.startsWith("GET /v1/client/fs/logs/")) {
      capability = "read-logs";
    } else if (request.startsWith("PUT /v1/var/nomad-backup-operator/status/")) {
      capability = "write on the variables nomad-backup-operator/status/* in the job's namespace";
    } else if (request.startsWith("PUT /v1/var/")) {
      capability = "write on the lock's variable path";
    }
    return Optional.ofNullable(capability);
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

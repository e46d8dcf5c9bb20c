package dev.nomadbackup.nomad;

/** Nomad's error answers for fakes, which live outside this package. */
public final class ApiErrors {
  private ApiErrors() {}

  /** What the client throws when Nomad answers {@code request} with {@code status} and {@code body}. */
  public static NomadApiException of(int status, String request, String body) {
    return new NomadApiException(status, request, body);
  }
}

package dev.nomadbackup.config;

/** A listening address written as {@code :8080}, {@code 0.0.0.0:8080} or {@code 127.0.0.1:0}. */
public record HttpAddress(String host, int port) {
  public HttpAddress {
    if (port < 0 || port > 65535) {
      throw new ConfigException("port " + port + " is out of range");
    }
  }

  static HttpAddress parse(String name, String value) {
    int colon = value.lastIndexOf(':');
    if (colon < 0) {
      throw new ConfigException(name + "=" + value + " must look like :8080 or 127.0.0.1:8080");
    }
    String host = value.substring(0, colon);
    try {
      return new HttpAddress(host.isEmpty() ? "0.0.0.0" : host, Integer.parseInt(value.substring(colon + 1)));
    } catch (NumberFormatException e) {
      throw new ConfigException(name + "=" + value + " has no valid port");
    }
  }
}

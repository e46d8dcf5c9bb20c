package dev.nomadbackup.config;

import java.net.URI;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * How to reach Nomad, read from the same {@code NOMAD_*} variables the {@code nomad} CLI reads.
 *
 * @param address base URI of the HTTP API ({@code NOMAD_ADDR}, default {@code http://127.0.0.1:4646})
 * @param token ACL token sent as {@code X-Nomad-Token} ({@code NOMAD_TOKEN})
 * @param region region query parameter ({@code NOMAD_REGION})
 * @param httpAuth {@code user[:password]} for HTTP basic auth ({@code NOMAD_HTTP_AUTH})
 * @param namespace the operator's own namespace ({@code NOMAD_NAMESPACE}), where its lock lives
 * @param unixSocket the socket every request goes through, when {@code NOMAD_ADDR} is {@code
 *     unix:///path}; {@code address} is then a stand-in {@code http://localhost}
 */
public record NomadConfig(
    URI address,
    Optional<String> token,
    Optional<String> region,
    Optional<String> httpAuth,
    Tls tls,
    String namespace,
    Optional<Path> unixSocket) {

  public static final String DEFAULT_ADDRESS = "http://127.0.0.1:4646";

  /** TLS settings: {@code NOMAD_CACERT}, {@code NOMAD_CAPATH}, {@code NOMAD_CLIENT_CERT}, ... */
  public record Tls(
      Optional<Path> caCert,
      Optional<Path> caPath,
      Optional<Path> clientCert,
      Optional<Path> clientKey,
      Optional<String> serverName,
      boolean skipVerify) {

    public Tls {
      if (clientCert.isPresent() != clientKey.isPresent()) {
        throw new ConfigException("NOMAD_CLIENT_CERT and NOMAD_CLIENT_KEY must be set together");
      }
    }

    /** True when anything differs from the JVM's default TLS: trust, client identity, or name check. */
    public boolean customised() {
      return caCert.isPresent() || caPath.isPresent() || clientCert.isPresent() || skipVerify
          || serverName.isPresent();
    }
  }

  public NomadConfig {
    String scheme = address.getScheme();
    if (!"http".equals(scheme) && !"https".equals(scheme)) {
      throw new ConfigException(
          "NOMAD_ADDR=" + address + " is not supported; use an http://, https:// or unix:// address");
    }
    if (address.getHost() == null) {
      throw new ConfigException("NOMAD_ADDR=" + address + " has no host");
    }
  }

  /** Reads the configuration from an environment map such as {@link System#getenv()}. */
  public static NomadConfig fromEnvironment(Map<String, String> env) {
    Env e = new Env(env);
    String raw = e.get("NOMAD_ADDR").orElse(DEFAULT_ADDRESS).trim();
    Optional<Path> unixSocket = Optional.empty();
    if (raw.startsWith("unix://")) {
      String path = raw.substring("unix://".length());
      if (!path.startsWith("/")) {
        throw new ConfigException("NOMAD_ADDR=" + raw + " must name an absolute socket path: unix:///path/api.sock");
      }
      unixSocket = Optional.of(Path.of(path));
      raw = "http://localhost";
    }
    if (!raw.contains("://")) {
      raw = "http://" + raw; // the CLI accepts host:port as well
    }
    URI address;
    try {
      address = URI.create(raw.endsWith("/") ? raw.substring(0, raw.length() - 1) : raw);
    } catch (IllegalArgumentException ex) {
      throw new ConfigException("NOMAD_ADDR=" + raw + " is not a valid URL: " + ex.getMessage());
    }
    Tls tls =
        new Tls(
            e.get("NOMAD_CACERT").map(Path::of),
            e.get("NOMAD_CAPATH").map(Path::of),
            e.get("NOMAD_CLIENT_CERT").map(Path::of),
            e.get("NOMAD_CLIENT_KEY").map(Path::of),
            e.get("NOMAD_TLS_SERVER_NAME"),
            e.flag("NOMAD_SKIP_VERIFY", false));
    return new NomadConfig(
        address,
        e.get("NOMAD_TOKEN"),
        e.get("NOMAD_REGION"),
        e.get("NOMAD_HTTP_AUTH"),
        tls,
        e.get("NOMAD_NAMESPACE").orElse("default"),
        unixSocket);
  }

  /** Where requests go, as a user wrote it: the URL, or {@code unix:///path}. */
  public String location() {
    return unixSocket.map(p -> "unix://" + p).orElse(address.toString());
  }

  @Override
  public String toString() {
    // never print the token
    return "NomadConfig[address=" + location() + ", token=" + (token.isPresent() ? "set" : "unset")
        + ", region=" + region.orElse("-") + "]";
  }
}

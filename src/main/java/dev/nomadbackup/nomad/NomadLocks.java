package dev.nomadbackup.nomad;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nomadbackup.config.GoDuration;
import dev.nomadbackup.config.NomadConfig;
import java.io.Closeable;
import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * Locks on Nomad Variables ({@code PUT /v1/var/:path?lock-acquire|lock-renew|lock-release}), the
 * primitive Nomad 1.7+ offers for electing one leader among several copies of a task.
 */
public final class NomadLocks implements Closeable {
  private final NomadHttp http;
  private final ObjectMapper json = new ObjectMapper();

  NomadLocks(NomadHttp http) {
    this.http = http;
  }

  /** Locks over a small connection pool of their own, so a busy operator never delays a renewal. */
  public static NomadLocks create(NomadConfig config) {
    ObjectMapper json = new ObjectMapper();
    return new NomadLocks(new NomadHttp(config, NomadHttp.newClient(config, 2), json));
  }

  /**
   * Takes the lock if nobody holds it. Returns the lock's ID, or empty when someone else holds it
   * (or held it within the lock delay).
   */
  public Optional<String> acquire(String namespace, String path, Duration ttl, Duration delay) throws IOException {
    ObjectNode body = variable(namespace, path);
    body.putObject("Lock").put("TTL", GoDuration.format(ttl)).put("LockDelay", GoDuration.format(delay));
    try {
      JsonNode answer = http.put(uri(path), Map.of("lock-acquire", "", "namespace", namespace), body).body();
      String id = answer.path("Lock").path("ID").asText("");
      if (id.isEmpty()) {
        throw new IOException("Nomad answered lock-acquire on " + path + " without a lock ID");
      }
      return Optional.of(id);
    } catch (NomadApiException e) {
      if (e.status() == 409) {
        return Optional.empty();
      }
      throw e;
    }
  }

  /** Extends the lease; a {@link NomadApiException} (409) means the lock is no longer ours. */
  public void renew(String namespace, String path, String lockId) throws IOException {
    ObjectNode body = variable(namespace, path);
    body.putObject("Lock").put("ID", lockId);
    http.put(uri(path), Map.of("lock-renew", "", "namespace", namespace), body);
  }

  /** Frees the lock at once, so a standby can take over without waiting for the TTL. */
  public void release(String namespace, String path, String lockId) throws IOException {
    ObjectNode body = variable(namespace, path);
    body.putObject("Lock").put("ID", lockId);
    http.put(uri(path), Map.of("lock-release", "", "namespace", namespace), body);
  }

  private ObjectNode variable(String namespace, String path) {
    return json.createObjectNode().put("Namespace", namespace).put("Path", path);
  }

  private static String uri(String path) {
    return NomadHttp.variable(path);
  }

  @Override
  public void close() throws IOException {
    http.close();
  }
}

package dev.nomadbackup.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nomadbackup.testing.http.Http1;
import dev.nomadbackup.testing.http.HttpRelay;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Sits between a Nomad client (the operator, or the floor) and the agent: forwards every request,
 * counts them by method and path, and notes when each backup job's registration was answered, which
 * is when the backup job became readable.
 *
 * <p>The forwarding is the tests' {@link HttpRelay}: one agent connection per client connection on
 * blocking sockets, so it adds a fraction of a millisecond.
 */
final class CountingProxy implements AutoCloseable {
  private final HttpRelay relay;
  private final Map<String, LongAdder> calls = new ConcurrentHashMap<>();
  private final Map<String, CompletableFuture<Long>> expected = new ConcurrentHashMap<>();
  private final Map<String, Long> parseArrivals = new ConcurrentHashMap<>();
  private final Set<String> backupsRegistered = ConcurrentHashMap.newKeySet();
  private volatile long lastCall = System.nanoTime();
  private final Map<String, LongAdder> statusWrites = new ConcurrentHashMap<>();
  private final Object progress = new Object();

  CountingProxy(URI agent) {
    relay = HttpRelay.start(agent, "proxy", this::relay);
  }

  URI address() {
    return relay.address();
  }

  private boolean relay(HttpRelay.Request request, HttpRelay.Exchange exchange) throws IOException {
    String method = request.method();
    String path = request.path();
    lastCall = System.nanoTime();
    calls.computeIfAbsent(method + " " + normalise(path), k -> new LongAdder()).increment();
    if (method.equals("PUT") && path.startsWith(STATUS_VARIABLES)) {
      statusWrites.computeIfAbsent(path.substring(STATUS_VARIABLES.length()), k -> new LongAdder()).increment();
    }
    long arrived = System.nanoTime();
    if (method.equals("POST") && path.equals("/v1/jobs/parse")) {
      noteParse(request.body(), arrived);
    }
    Http1.Head response = exchange.forward(request);
    if (response == null) {
      return true; // the agent is unreachable and the client was told so
    }
    long answered = System.nanoTime();
    exchange.relay(response, null, path.equals("/v1/event/stream"));
    if (method.equals("POST") && path.equals("/v1/jobs") && response.status() == 200) {
      noteRegistered(request.body(), answered);
    }
    return !response.closes();
  }

  /** Client connections accepted since the last reset. */
  int connections() {
    return relay.connectionsAccepted();
  }

  /** Where the operator keeps each job's backup status. */
  private static final String STATUS_VARIABLES = "/v1/var/nomad-backup-operator/status/";

  /** Writes of status variables since the last reset, by the variable's name under the status prefix. */
  Map<String, Long> statusWrites() {
    Map<String, Long> out = new TreeMap<>();
    statusWrites.forEach((k, v) -> out.put(k, v.sum()));
    return out;
  }

  /** Forgets every count so far. */
  void reset() {
    relay.resetCount();
    calls.clear();
    statusWrites.clear();
    parseArrivals.clear();
    backupsRegistered.clear();
  }

  /** Calls by {@code METHOD /path} (job IDs replaced by {@code :id}) since the last reset. */
  Map<String, Long> calls() {
    Map<String, Long> out = new TreeMap<>();
    calls.forEach((k, v) -> out.put(k, v.sum()));
    return out;
  }

  long total() {
    return calls().values().stream().mapToLong(Long::longValue).sum();
  }

  /** Job writes: registrations and deregistrations. */
  long writes() {
    return calls().entrySet().stream()
        .filter(e -> e.getKey().startsWith("POST /v1/jobs") && !e.getKey().startsWith("POST /v1/jobs/")
            || e.getKey().startsWith("DELETE /v1/job/")
            || e.getKey().matches("(PUT|POST) /v1/job/:id"))
        .mapToLong(Map.Entry::getValue).sum();
  }

  /** Backup jobs registered successfully since the last reset, each counted once however often it was written. */
  int backupWrites() {
    return backupsRegistered.size();
  }

  /**
   * Waits until no request has arrived for {@code quiet}, or {@code max} passed; returns whether it
   * got quiet. A long-lived request (the event stream) counts once, when it arrives.
   */
  boolean awaitQuiet(Duration quiet, Duration max) throws InterruptedException {
    long deadline = System.nanoTime() + max.toNanos();
    while (System.nanoTime() < deadline) {
      long idle = System.nanoTime() - lastCall;
      if (idle >= quiet.toNanos()) {
        return true;
      }
      Thread.sleep(Math.max(1, (quiet.toNanos() - idle) / 1_000_000));
    }
    return false;
  }

  /** Completes with the time (System.nanoTime) at which {@code jobId}'s registration is answered. */
  CompletableFuture<Long> expect(String jobId) {
    return expected.computeIfAbsent(jobId, k -> new CompletableFuture<>());
  }

  /** Waits until {@link #backupWrites} reaches {@code n}; returns false on timeout. */
  boolean awaitBackupWrites(int n, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (progress) {
      while (backupsRegistered.size() < n) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        progress.wait(Math.max(1, left / 1_000_000));
      }
    }
    return true;
  }

  private static final java.util.regex.Pattern JOB_NAME =
      java.util.regex.Pattern.compile("job\\s+\\\\\"(backup-[^\\\\\"]+)\\\\\"");

  /** Notes when the parse of a backup job's HCL arrived: the operator's reaction began. */
  private void noteParse(byte[] body, long at) {
    var m = JOB_NAME.matcher(new String(body, StandardCharsets.UTF_8));
    if (m.find()) {
      parseArrivals.putIfAbsent(m.group(1), at);
    }
  }

  /** When the first parse of {@code jobId}'s HCL arrived, if it did. */
  Long parseArrival(String jobId) {
    return parseArrivals.remove(jobId);
  }

  private void noteRegistered(byte[] body, long at) throws IOException {
    JsonNode job = Api.JSON.readTree(body).path("Job");
    String id = job.path("ID").asText();
    if (!id.startsWith("backup-")) {
      return;
    }
    backupsRegistered.add(id);
    synchronized (progress) {
      progress.notifyAll();
    }
    CompletableFuture<Long> f = expected.remove(id);
    if (f != null) {
      f.complete(at);
    }
  }

  static String normalise(String path) {
    for (String prefix : new String[] {"/v1/job/", "/v1/var/", "/v1/namespace/"}) {
      if (path.startsWith(prefix)) {
        String rest = path.substring(prefix.length());
        int slash = prefix.equals("/v1/job/") ? rest.indexOf('/') : -1;
        return prefix + ":id" + (slash < 0 ? "" : rest.substring(slash));
      }
    }
    return path;
  }

  @Override
  public void close() {
    relay.close();
  }
}

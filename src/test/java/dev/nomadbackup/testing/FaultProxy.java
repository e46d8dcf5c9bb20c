package dev.nomadbackup.testing;

import dev.nomadbackup.testing.http.Http1;
import dev.nomadbackup.testing.http.HttpRelay;
import java.io.IOException;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.WeakHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An HTTP/1.1 proxy between the operator and a real Nomad agent that breaks things on request:
 * it answers chosen requests with an error, loses them or their answers, holds them past the
 * client's timeout, refuses connections altogether, and cuts, mutes, pauses or thins out the event
 * streams that pass through it, or slips lines of its own into them. Everything else goes to Nomad
 * unchanged. It counts what it sees (requests, open connections, streams), so a test can assert
 * on what reached Nomad and on what the operator left open.
 *
 * <p>Three parts: the {@link HttpRelay} that carries requests to Nomad (shared with the
 * benchmark), the {@link FaultRules} a test sets, and the {@link StreamTap} that relays event
 * streams line by line. This class ties them together and keeps the record of what it saw.
 */
public final class FaultProxy implements AutoCloseable {

  /** What happens to a request that a fault rule matches. */
  public sealed interface Fault {
    /** Answers with this status and plain-text body; Nomad never sees the request. */
    record Status(int code, String body) implements Fault {}

    /** Closes the connection without forwarding: the request never reached Nomad. */
    record Drop() implements Fault {}

    /** Forwards to Nomad, then closes the connection without answering: done, but nobody is told. */
    record LoseAnswer() implements Fault {}

    /**
     * Holds the request until {@link #releaseHeld()}, then forwards it; a client that gave up
     * meanwhile never sees the answer, though Nomad still carries the request out.
     */
    record Hold() implements Fault {}

    static Fault status(int code) {
      return new Status(code, "injected by the test proxy: " + code);
    }
  }

  /** A request as the proxy saw it, and what became of it ({@code 200}, {@code fault 503}, ...). */
  public record Request(String method, String path, String query, String body, String outcome) {
    /** The {@code namespace} query parameter, or empty. */
    public Optional<String> namespace() {
      for (String pair : query.split("&")) {
        if (pair.startsWith("namespace=")) {
          return Optional.of(java.net.URLDecoder.decode(pair.substring(10), StandardCharsets.UTF_8));
        }
      }
      return Optional.empty();
    }

    /** A write: anything but GET. */
    public boolean write() {
      return !method.equals("GET") && !method.equals("HEAD");
    }

    /**
     * The job this request changes in Nomad, if it changes one: a registration ({@code POST
     * /v1/jobs}, namespace and ID from the body) or anything but a read on {@code /v1/job/<id>}.
     * Parsing and validating change nothing and are not counted.
     */
    public Optional<JobWrite> jobWrite() {
      if (method.equals("POST") && path.equals("/v1/jobs")) {
        try {
          com.fasterxml.jackson.databind.JsonNode job = JSON.readTree(body).path("Job");
          return Optional.of(new JobWrite(method, job.path("Namespace").asText(namespace().orElse("default")),
              namespace().orElse("default"), job.path("ID").asText()));
        } catch (IOException e) {
          return Optional.of(new JobWrite(method, "?", namespace().orElse("default"), "?"));
        }
      }
      if (write() && path.startsWith("/v1/job/")) {
        String id = java.net.URLDecoder.decode(path.substring("/v1/job/".length()).replace("+", "%2B"),
            StandardCharsets.UTF_8);
        String ns = namespace().orElse("default");
        return Optional.of(new JobWrite(method, ns, ns, id));
      }
      return Optional.empty();
    }
  }

  /**
   * A change to a job: where the body put it ({@code namespace}), where the query sent it ({@code
   * queryNamespace}), and its ID ({@code path} for a DELETE carries the whole rest of the path).
   */
  public record JobWrite(String method, String namespace, String queryNamespace, String jobId) {}

  private static final com.fasterxml.jackson.databind.ObjectMapper JSON =
      new com.fasterxml.jackson.databind.ObjectMapper();

  private final HttpRelay relay;
  private final FaultRules rules = new FaultRules();
  private final StreamTap tap;
  private final List<Request> requests = new CopyOnWriteArrayList<>();
  // the last request each open connection carried, for messages about connections left open
  private final Map<Socket, String> lastRequest = Collections.synchronizedMap(new WeakHashMap<>());
  private final AtomicInteger inFlight = new AtomicInteger();

  private FaultProxy(URI upstream) {
    this.relay = HttpRelay.start(upstream, "fault-proxy", this::handle);
    this.tap = new StreamTap(relay);
  }

  /** A proxy on a free loopback port in front of {@code upstream} (an {@code http://} address). */
  public static FaultProxy start(URI upstream) {
    return new FaultProxy(upstream);
  }

  public URI address() {
    return relay.address();
  }

  /** The operator's environment to reach Nomad through this proxy. */
  public Map<String, String> env() {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("NOMAD_ADDR", address().toString());
    return env;
  }

  // ---- faults on requests ----

  /**
   * The next {@code times} requests with this method whose path matches {@code pathRegex} (the
   * whole raw path, e.g. {@code /v1/jobs/parse} or {@code /v1/job/backup-.*}) meet {@code fault}.
   */
  public void failNext(int times, String method, String pathRegex, Fault fault) {
    rules.add(times, method, pathRegex, fault);
  }

  /** How many injected faults are still to be handed out. */
  public int faultsPending() {
    return rules.pending();
  }

  /** Requests held by {@link Fault.Hold} now. */
  public int held() {
    return rules.held();
  }

  /** Forwards every held request to Nomad. */
  public void releaseHeld() {
    rules.releaseHeld();
  }

  /**
   * Requests forwarded or held that have not been answered yet, but for the operator's namespace
   * watch: a blocking query that is always open by design.
   */
  public int inFlight() {
    return inFlight.get();
  }

  // ---- the listener ----

  /** Closes the listening socket and every connection: clients now get "connection refused". */
  public void down() {
    relay.down();
    tap.cut();
  }

  /** Listens again on the same port. */
  public void up() {
    relay.up();
  }

  // ---- event streams ----

  /** Closes every open event stream, as a dropped connection would. */
  public void cutStreams() {
    tap.cut();
  }

  /**
   * The streams open now go quiet: the connection stays up, but nothing more reaches the client,
   * heartbeats included. Streams opened later are normal.
   */
  public void silenceStreams() {
    tap.silence();
  }

  /** While on, every stream passes heartbeats only: the events are lost without a trace. */
  public void dropEvents(boolean on) {
    tap.dropEvents(on);
  }

  /**
   * Stops reading the event streams from Nomad, as a reader that cannot keep up would: Nomad's
   * side backs up until it drops the subscriber ("event dropped from buffer"). Nothing is lost on
   * the way: what the proxy read before, or reads after {@link #resumeStreams}, is passed on.
   */
  public void pauseStreams() {
    tap.pause();
  }

  public void resumeStreams() {
    tap.resume();
  }

  /**
   * Sends a heartbeat ({@code {}}) down every stream that is not silenced this often, on top of
   * Nomad's own every 30 s, so that tests can use a short read timeout.
   */
  public void heartbeatEvery(Duration interval) {
    tap.heartbeatEvery(interval);
  }

  /** Writes {@code line} into every open stream that is not silenced, between two of Nomad's lines. */
  public void inject(String line) {
    tap.inject(line);
  }

  /**
   * While on, the proxy plays Nomad's publish-before-commit: Nomad 1.11 publishes an event just
   * before it commits the change (see {@code nomad/state/state_changes.go}, {@code txn.Commit}),
   * so a read made the moment a new job's {@code JobRegistered} arrives can answer 404 with an
   * index below the event's. The proxy answers reads of such a job that way until a request with
   * {@code index} at or past the event's (a blocking query, which Nomad answers only once the index
   * is committed) has shown that the reader waits for it.
   */
  public void staleReadsAfterEvents(boolean on) {
    tap.staleReads(on);
  }

  /** Reads answered with the state before an event by {@link #staleReadsAfterEvents}. */
  public int staleReadsServed() {
    return tap.staleReadsServed();
  }

  /** Event streams opened through the proxy so far. */
  public int streamsOpened() {
    return tap.opened();
  }

  /** Event streams open now. */
  public int streamsOpen() {
    return tap.open();
  }

  /** Streams that Nomad ended on its side (not the client, not the proxy). */
  public int streamsEndedByNomad() {
    return tap.endedByNomad();
  }

  /** Lines of event streams thrown away by {@link #dropEvents}. */
  public int linesDropped() {
    return tap.linesDropped();
  }

  // ---- what was seen ----

  public List<Request> requests() {
    return List.copyOf(requests);
  }

  /** Every job change that reached Nomad or was meant to (faults included), in order. */
  public List<JobWrite> jobWrites() {
    return requests.stream().flatMap(r -> r.jobWrite().stream()).toList();
  }

  /** Client connections open now, event streams included. */
  public int openConnections() {
    return relay.connections().size();
  }

  /** The open client connections, each with the last request it carried. */
  public List<String> describeOpenConnections() {
    List<String> out = new ArrayList<>();
    for (Socket s : relay.connections()) {
      out.add(s.getRemoteSocketAddress() + " last " + lastRequest.getOrDefault(s, "nothing yet"));
    }
    return out;
  }

  /** Client connections accepted so far. */
  public int connectionsAccepted() {
    return relay.connectionsAccepted();
  }

  @Override
  public void close() {
    tap.close();
    rules.releaseHeld();
    relay.close();
  }

  // ---- the work ----

  private boolean handle(HttpRelay.Request req, HttpRelay.Exchange exchange) throws IOException {
    lastRequest.put(exchange.client(), req.method() + " " + req.path());
    if (req.path().equals("/v1/event/stream")) {
      requests.add(new Request(req.method(), req.path(), req.query(), "", "stream"));
      tap.serve(req, exchange);
      return false;
    }
    Optional<Long> stale = tap.staleAnswer(req.method(), req.path(), req.query());
    if (stale.isPresent()) {
      record(req, "stale 404");
      exchange.answer(404, Map.of("Content-Type", "text/plain", "X-Nomad-Index", Long.toString(stale.get() - 1)),
          "job not found".getBytes(StandardCharsets.UTF_8));
      return true;
    }
    Fault fault = rules.match(req.method(), req.path());
    if (fault instanceof Fault.Status status) {
      record(req, "fault " + status.code());
      exchange.answer(status.code(), Map.of("Content-Type", "text/plain"), status.body().getBytes(StandardCharsets.UTF_8));
      return true;
    }
    if (fault instanceof Fault.Drop) {
      record(req, "dropped");
      return false;
    }
    AtomicInteger counter = req.path().startsWith("/v1/namespaces") ? new AtomicInteger() : inFlight;
    counter.incrementAndGet();
    try {
      if (fault instanceof Fault.Hold) {
        rules.awaitRelease();
      }
      Http1.Head answer = exchange.forward(req);
      if (answer == null) { // Nomad is unreachable; the client was answered 502
        record(req, fault == null ? "502" : "502 after hold");
        return true;
      }
      if (fault instanceof Fault.LoseAnswer) {
        exchange.discard(answer);
        record(req, answer.status() + ", answer lost");
        return false;
      }
      record(req, fault == null ? Integer.toString(answer.status()) : answer.status() + " after hold");
      exchange.relay(answer, null, false);
      return true;
    } finally {
      counter.decrementAndGet();
    }
  }

  private void record(HttpRelay.Request req, String outcome) {
    requests.add(new Request(req.method(), req.path(), req.query(), req.bodyText(), outcome));
  }

  static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException e) {
      // closing to break a connection on purpose: an error here changes nothing
    }
  }

  static Thread daemon(Runnable r, String name) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    return t;
  }
}

package dev.nomadbackup.testing;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;

/**
 * An HTTP/1.1 proxy between the operator and a real Nomad agent that breaks things on request:
 * it answers chosen requests with an error, loses them or their answers, holds them past the
 * client's timeout, refuses connections altogether, and cuts, mutes, pauses or thins out the event
 * streams that pass through it, or slips lines of its own into them. Everything else goes to Nomad
 * unchanged. It counts what it sees (requests, open connections, streams), so a test can assert
 * on what reached Nomad and on what the operator left open.
 *
 * <p>Written on plain sockets rather than an HTTP server library so that it can count and drop
 * connections and stop reading an event stream, which is how Nomad learns that a reader is slow.
 */
public final class FaultProxy implements AutoCloseable {
  /** A small receive buffer towards Nomad, so a paused stream backs up into Nomad quickly. */
  private static final int STREAM_RECEIVE_BUFFER = 4096;

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

  private record Rule(String method, Pattern path, AtomicInteger remaining, Fault fault) {}

  private final URI upstream;
  private final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .followRedirects(HttpClient.Redirect.NEVER)
          .connectTimeout(Duration.ofSeconds(5))
          .build();
  private final int port;
  private volatile ServerSocket listener;
  private final Set<Socket> connections = ConcurrentHashMap.newKeySet();
  // the last request each open connection carried, for messages about connections left open
  private final Map<Socket, String> lastRequest = new ConcurrentHashMap<>();
  private final Set<Stream> streams = ConcurrentHashMap.newKeySet();
  private final List<Rule> rules = new CopyOnWriteArrayList<>();
  private final List<Request> requests = new CopyOnWriteArrayList<>();
  private final AtomicInteger accepted = new AtomicInteger();
  private final AtomicInteger streamsOpened = new AtomicInteger();
  private final AtomicInteger streamsEndedByNomad = new AtomicInteger();
  private final AtomicInteger linesDropped = new AtomicInteger();
  private final AtomicInteger inFlight = new AtomicInteger();
  private final AtomicInteger holding = new AtomicInteger();
  private volatile java.util.concurrent.CountDownLatch hold = new java.util.concurrent.CountDownLatch(1);
  private final ScheduledExecutorService timer =
      Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "fault-proxy-heartbeat"));
  private final Object pause = new Object();
  private volatile boolean staleReads;
  // "namespace/job id" of jobs whose creation an event announced, by event index, not yet "committed"
  private final Map<String, Long> uncommitted = new ConcurrentHashMap<>();
  private final AtomicInteger staleReadsServed = new AtomicInteger();
  private volatile boolean paused;
  private volatile boolean dropEvents;
  private volatile boolean closed;
  private ScheduledFuture<?> heartbeat;

  private FaultProxy(URI upstream, ServerSocket listener) {
    this.upstream = upstream;
    this.listener = listener;
    this.port = listener.getLocalPort();
  }

  /** A proxy on a free loopback port in front of {@code upstream} (an {@code http://} address). */
  public static FaultProxy start(URI upstream) {
    try {
      ServerSocket socket = new ServerSocket();
      socket.setReuseAddress(true);
      socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      FaultProxy proxy = new FaultProxy(upstream, socket);
      proxy.acceptOn(socket);
      return proxy;
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  public URI address() {
    return URI.create("http://127.0.0.1:" + port);
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
    rules.add(new Rule(method, Pattern.compile(pathRegex), new AtomicInteger(times), fault));
  }

  /** How many injected faults are still to be handed out. */
  public int faultsPending() {
    return rules.stream().mapToInt(r -> Math.max(0, r.remaining().get())).sum();
  }

  /** Requests held by {@link Fault.Hold} now. */
  public int held() {
    return holding.get();
  }

  /** Forwards every held request to Nomad. */
  public void releaseHeld() {
    java.util.concurrent.CountDownLatch old = hold;
    hold = new java.util.concurrent.CountDownLatch(1);
    old.countDown();
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
  public synchronized void down() {
    try {
      listener.close();
    } catch (IOException e) {
      // closing a listener we own: nothing left to do if it fails
    }
    cutAll();
  }

  /** Listens again on the same port. */
  public synchronized void up() {
    try {
      ServerSocket socket = new ServerSocket();
      socket.setReuseAddress(true);
      socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
      listener = socket;
      acceptOn(socket);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException("cannot listen on port " + port + " again", e);
    }
  }

  // ---- event streams ----

  /** Closes every open event stream, as a dropped connection would. */
  public void cutStreams() {
    for (Stream s : streams) {
      s.close();
    }
  }

  /**
   * The streams open now go quiet: the connection stays up, but nothing more reaches the client,
   * heartbeats included. Streams opened later are normal.
   */
  public void silenceStreams() {
    for (Stream s : streams) {
      s.silenced = true;
    }
  }

  /** While on, every stream passes heartbeats only: the events are lost without a trace. */
  public void dropEvents(boolean on) {
    dropEvents = on;
  }

  /**
   * Stops reading the event streams from Nomad, as a reader that cannot keep up would: Nomad's
   * side backs up until it drops the subscriber ("event dropped from buffer"). Nothing is lost on
   * the way: what the proxy read before, or reads after {@link #resumeStreams}, is passed on.
   */
  public void pauseStreams() {
    paused = true;
  }

  public void resumeStreams() {
    synchronized (pause) {
      paused = false;
      pause.notifyAll();
    }
  }

  /**
   * Sends a heartbeat ({@code {}}) down every stream that is not silenced this often, on top of
   * Nomad's own every 30 s, so that tests can use a short read timeout.
   */
  public synchronized void heartbeatEvery(Duration interval) {
    if (heartbeat != null) {
      heartbeat.cancel(false);
    }
    long ms = interval.toMillis();
    heartbeat = timer.scheduleAtFixedRate(() -> inject("{}"), ms, ms, TimeUnit.MILLISECONDS);
  }

  /** Writes {@code line} into every open stream that is not silenced, between two of Nomad's lines. */
  public void inject(String line) {
    for (Stream s : streams) {
      s.deliver(line, true);
    }
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
    staleReads = on;
    if (!on) {
      uncommitted.clear();
    }
  }

  /** Reads answered with the state before an event by {@link #staleReadsAfterEvents}. */
  public int staleReadsServed() {
    return staleReadsServed.get();
  }

  private void noteNewJobs(String line) {
    try {
      com.fasterxml.jackson.databind.JsonNode batch = JSON.readTree(line);
      for (com.fasterxml.jackson.databind.JsonNode e : batch.path("Events")) {
        long index = e.path("Index").asLong();
        if ("Job".equals(e.path("Topic").asText()) && "JobRegistered".equals(e.path("Type").asText())
            && e.path("Payload").path("Job").path("CreateIndex").asLong(-1) == index) {
          uncommitted.put(e.path("Namespace").asText("default") + "/" + e.path("Key").asText(), index);
        }
      }
    } catch (IOException e) {
      // not JSON: nothing to note
    }
  }

  /** Whether to answer this request as Nomad would before it committed; forgets what it shows committed. */
  private Optional<Long> staleAnswer(Incoming req) {
    if (!staleReads) {
      return Optional.empty();
    }
    Request r = new Request(req.method, req.path, req.query, "", "");
    long waitsFor = queryLong(req.query, "index");
    if (waitsFor >= 0) {
      uncommitted.values().removeIf(n -> n - 1 <= waitsFor);
      return Optional.empty();
    }
    if (!req.method.equals("GET") || !req.path.startsWith("/v1/job/")) {
      return Optional.empty();
    }
    String id = java.net.URLDecoder.decode(req.path.substring("/v1/job/".length()).replace("+", "%2B"),
        StandardCharsets.UTF_8);
    return Optional.ofNullable(uncommitted.get(r.namespace().orElse("default") + "/" + id));
  }

  private static long queryLong(String query, String name) {
    for (String pair : query.split("&")) {
      if (pair.startsWith(name + "=")) {
        try {
          return Long.parseLong(pair.substring(name.length() + 1));
        } catch (NumberFormatException e) {
          return -1;
        }
      }
    }
    return -1;
  }

  /** Event streams opened through the proxy so far. */
  public int streamsOpened() {
    return streamsOpened.get();
  }

  /** Event streams open now. */
  public int streamsOpen() {
    return streams.size();
  }

  /** Streams that Nomad ended on its side (not the client, not the proxy). */
  public int streamsEndedByNomad() {
    return streamsEndedByNomad.get();
  }

  /** Lines of event streams thrown away by {@link #dropEvents}. */
  public int linesDropped() {
    return linesDropped.get();
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
    return connections.size();
  }

  /** The open client connections, each with the last request it carried. */
  public List<String> describeOpenConnections() {
    List<String> out = new ArrayList<>();
    for (Socket s : connections) {
      out.add(s.getRemoteSocketAddress() + " last " + lastRequest.getOrDefault(s, "nothing yet"));
    }
    return out;
  }

  /** Client connections accepted so far. */
  public int connectionsAccepted() {
    return accepted.get();
  }

  @Override
  public void close() {
    closed = true;
    timer.shutdownNow();
    releaseHeld();
    resumeStreams();
    down();
  }

  // ---- the work ----

  private void acceptOn(ServerSocket socket) {
    Thread t = daemon(() -> {
      while (!socket.isClosed()) {
        try {
          Socket client = socket.accept();
          connections.add(client);
          accepted.incrementAndGet();
          daemon(() -> serve(client), "fault-proxy-conn").start();
        } catch (IOException e) {
          return; // the listener was closed
        }
      }
    }, "fault-proxy-accept");
    t.start();
  }

  private void cutAll() {
    for (Socket s : connections) {
      closeQuietly(s);
    }
    cutStreams();
  }

  private void serve(Socket client) {
    try (client) {
      client.setTcpNoDelay(true);
      InputStream in = new BufferedInputStream(client.getInputStream());
      OutputStream out = client.getOutputStream();
      while (!closed) {
        Incoming req = Incoming.read(in);
        if (req == null) {
          return;
        }
        lastRequest.put(client, req.method + " " + req.path);
        if (req.path.equals("/v1/event/stream")) {
          requests.add(new Request(req.method, req.path, req.query, "", "stream"));
          stream(req, client, out);
          return;
        }
        Optional<Long> stale = staleAnswer(req);
        if (stale.isPresent()) {
          record(req, "stale 404");
          staleReadsServed.incrementAndGet();
          writeResponse(out, 404, Map.of("Content-Type", "text/plain", "X-Nomad-Index", Long.toString(stale.get() - 1)),
              "job not found".getBytes(StandardCharsets.UTF_8));
          continue;
        }
        Fault fault = match(req);
        if (fault instanceof Fault.Status status) {
          record(req, "fault " + status.code());
          byte[] body = status.body().getBytes(StandardCharsets.UTF_8);
          writeResponse(out, status.code(), Map.of("Content-Type", "text/plain"), body);
          continue;
        }
        if (fault instanceof Fault.Drop) {
          record(req, "dropped");
          return;
        }
        AtomicInteger counter = req.path().startsWith("/v1/namespaces") ? new AtomicInteger() : inFlight;
        counter.incrementAndGet();
        try {
          if (fault instanceof Fault.Hold) {
            awaitRelease();
          }
          Answer answer = forward(req);
          if (fault instanceof Fault.LoseAnswer) {
            record(req, answer.status + ", answer lost");
            return;
          }
          record(req, fault == null ? Integer.toString(answer.status) : answer.status + " after hold");
          writeResponse(out, answer.status, answer.headers, answer.body);
        } finally {
          counter.decrementAndGet();
        }
        if (req.closeAfter) {
          return;
        }
      }
    } catch (IOException e) {
      // the client or the proxy closed the connection: this connection's work is over
    } finally {
      connections.remove(client);
      lastRequest.remove(client);
    }
  }

  private void record(Incoming req, String outcome) {
    requests.add(new Request(req.method, req.path, req.query, new String(req.body, StandardCharsets.UTF_8), outcome));
  }

  private Fault match(Incoming req) {
    for (Rule rule : rules) {
      if (rule.method().equals(req.method) && rule.path().matcher(req.path).matches()
          && rule.remaining().getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
        return rule.fault();
      }
    }
    return null;
  }

  private record Answer(int status, Map<String, String> headers, byte[] body) {}

  private Answer forward(Incoming req) throws IOException {
    String target = upstream + req.path + (req.query.isEmpty() ? "" : "?" + req.query);
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(target))
            .timeout(Duration.ofSeconds(60))
            .method(req.method, req.body.length == 0
                ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofByteArray(req.body));
    for (String name : List.of("X-Nomad-Token", "Authorization", "Content-Type")) {
      String v = req.headers.get(name.toLowerCase(Locale.ROOT));
      if (v != null) {
        b.header(name, v);
      }
    }
    HttpResponse<byte[]> r;
    try {
      r = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    } catch (IOException e) {
      // Nomad is down behind a proxy that is up: what a load balancer would say
      return new Answer(502, Map.of("Content-Type", "text/plain"),
          ("Nomad unreachable: " + e).getBytes(StandardCharsets.UTF_8));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
    Map<String, String> headers = new LinkedHashMap<>();
    r.headers().map().forEach((name, values) -> {
      String n = name.toLowerCase(Locale.ROOT);
      if (n.startsWith("x-nomad-") || n.equals("content-type") || n.equals("location")) {
        headers.put(name, values.get(0));
      }
    });
    return new Answer(r.statusCode(), headers, r.body());
  }

  private static void writeResponse(OutputStream out, int status, Map<String, String> headers, byte[] body)
      throws IOException {
    StringBuilder head = new StringBuilder("HTTP/1.1 ").append(status).append(' ').append(reason(status)).append("\r\n");
    headers.forEach((k, v) -> head.append(k).append(": ").append(v).append("\r\n"));
    head.append("Content-Length: ").append(body.length).append("\r\n\r\n");
    out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
    out.write(body);
    out.flush();
  }

  private static String reason(int status) {
    return switch (status) {
      case 200 -> "OK";
      case 400 -> "Bad Request";
      case 403 -> "Forbidden";
      case 404 -> "Not Found";
      case 500 -> "Internal Server Error";
      case 502 -> "Bad Gateway";
      case 503 -> "Service Unavailable";
      case 504 -> "Gateway Timeout";
      default -> "Status";
    };
  }

  /** One event stream: Nomad's lines are read on this connection's thread and written to the client. */
  private final class Stream {
    private final Socket client;
    private final OutputStream out;
    private final Socket nomad;
    volatile boolean silenced;

    Stream(Socket client, OutputStream out, Socket nomad) {
      this.client = client;
      this.out = out;
      this.nomad = nomad;
    }

    synchronized void deliver(String line, boolean ours) {
      if (silenced || client.isClosed()) {
        return;
      }
      if (!ours && dropEvents && !line.equals("{}")) {
        linesDropped.incrementAndGet();
        return;
      }
      try {
        out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
      } catch (IOException e) {
        close(); // the client went away
      }
    }

    void close() {
      closeQuietly(client);
      closeQuietly(nomad);
    }
  }

  private void stream(Incoming req, Socket client, OutputStream out) throws IOException {
    Socket nomad = new Socket();
    nomad.setReceiveBufferSize(STREAM_RECEIVE_BUFFER);
    try (nomad) {
      try {
        nomad.connect(new InetSocketAddress(upstream.getHost(), upstream.getPort()), 5000);
      } catch (IOException e) {
        writeResponse(out, 502, Map.of(), ("Nomad unreachable: " + e).getBytes(StandardCharsets.UTF_8));
        return;
      }
      StringBuilder head = new StringBuilder("GET " + req.path + "?" + req.query + " HTTP/1.1\r\n");
      head.append("Host: ").append(upstream.getHost()).append(':').append(upstream.getPort()).append("\r\n");
      for (String name : List.of("X-Nomad-Token", "Authorization")) {
        String v = req.headers.get(name.toLowerCase(Locale.ROOT));
        if (v != null) {
          head.append(name).append(": ").append(v).append("\r\n");
        }
      }
      head.append("Connection: close\r\n\r\n");
      nomad.getOutputStream().write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
      nomad.getOutputStream().flush();
      InputStream fromNomad = new BufferedInputStream(nomad.getInputStream(), 1024);
      String status = readLine(fromNomad);
      if (status == null) {
        return;
      }
      Map<String, String> headers = readHeaders(fromNomad);
      int code = Integer.parseInt(status.split(" ")[1]);
      InputStream body = "chunked".equalsIgnoreCase(headers.getOrDefault("transfer-encoding", ""))
          ? new ChunkedInputStream(fromNomad) : fromNomad;
      if (code != 200) {
        byte[] bytes = headers.containsKey("content-length")
            ? body.readNBytes(Integer.parseInt(headers.get("content-length").trim()))
            : body.readAllBytes();
        writeResponse(out, code, Map.of("Content-Type", "text/plain"), bytes);
        return;
      }
      Stream s = new Stream(client, out, nomad);
      synchronized (s) {
        out.write("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n"
            .getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
      }
      streams.add(s);
      streamsOpened.incrementAndGet();
      // The client sends nothing more on a stream: reading tells at once when it hangs up, rather
      // than at the next line Nomad sends (which may be a heartbeat 30 s away).
      daemon(() -> {
        try {
          while (client.getInputStream().read() >= 0) {
            // nothing the client sends now means anything
          }
        } catch (IOException e) {
          // the connection broke: same as a hang-up
        }
        s.close();
      }, "fault-proxy-hangup").start();
      try {
        while (!closed) {
          awaitResume();
          String line = readUtf8Line(body);
          if (line == null) {
            if (!nomad.isClosed() && !client.isClosed()) {
              streamsEndedByNomad.incrementAndGet();
            }
            return;
          }
          if (!line.isEmpty()) {
            if (staleReads) {
              noteNewJobs(line); // before the client can see the event and read the job
            }
            s.deliver(line, false);
          }
        }
      } finally {
        streams.remove(s);
        s.close();
      }
    }
  }

  private void awaitResume() throws IOException {
    synchronized (pause) {
      while (paused && !closed) {
        try {
          pause.wait(200);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IOException("interrupted", e);
        }
      }
    }
  }

  // ---- HTTP/1.1 reading ----

  /** A request read off a client connection. */
  private record Incoming(String method, String path, String query, Map<String, String> headers, byte[] body,
      boolean closeAfter) {

    static Incoming read(InputStream in) throws IOException {
      String line = readLine(in);
      while (line != null && line.isEmpty()) {
        line = readLine(in);
      }
      if (line == null) {
        return null;
      }
      String[] parts = line.split(" ");
      if (parts.length < 3) {
        throw new IOException("not an HTTP request line: " + line);
      }
      String target = parts[1];
      int q = target.indexOf('?');
      String path = q < 0 ? target : target.substring(0, q);
      String query = q < 0 ? "" : target.substring(q + 1);
      Map<String, String> headers = readHeaders(in);
      byte[] body;
      if ("chunked".equalsIgnoreCase(headers.getOrDefault("transfer-encoding", ""))) {
        body = new ChunkedInputStream(in).readAllBytes();
      } else if (headers.containsKey("content-length")) {
        body = in.readNBytes(Integer.parseInt(headers.get("content-length").trim()));
      } else {
        body = new byte[0];
      }
      boolean close = "close".equalsIgnoreCase(headers.getOrDefault("connection", ""));
      return new Incoming(parts[0], path, query, headers, body, close);
    }
  }

  private static Map<String, String> readHeaders(InputStream in) throws IOException {
    Map<String, String> headers = new LinkedHashMap<>();
    for (String h = readLine(in); h != null && !h.isEmpty(); h = readLine(in)) {
      int colon = h.indexOf(':');
      if (colon > 0) {
        headers.put(h.substring(0, colon).trim().toLowerCase(Locale.ROOT), h.substring(colon + 1).trim());
      }
    }
    return headers;
  }

  /** A header line (ISO-8859-1) without its CRLF; null at the end of the stream. */
  private static String readLine(InputStream in) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream(128);
    int c;
    while ((c = in.read()) != -1) {
      if (c == '\n') {
        String s = b.toString(StandardCharsets.ISO_8859_1);
        return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
      }
      b.write(c);
    }
    return b.size() == 0 ? null : b.toString(StandardCharsets.ISO_8859_1);
  }

  /** A line of the NDJSON body; null at the end of the stream. */
  private static String readUtf8Line(InputStream in) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream(4096);
    int c;
    while ((c = in.read()) != -1) {
      if (c == '\n') {
        return b.toString(StandardCharsets.UTF_8);
      }
      b.write(c);
    }
    return b.size() == 0 ? null : b.toString(StandardCharsets.UTF_8);
  }

  /** The body of a response or request sent with {@code Transfer-Encoding: chunked}. */
  private static final class ChunkedInputStream extends InputStream {
    private final InputStream in;
    private int left;
    private boolean done;

    ChunkedInputStream(InputStream in) {
      this.in = in;
    }

    @Override
    public int read() throws IOException {
      if (done) {
        return -1;
      }
      if (left == 0) {
        String size = readLine(in);
        if (size == null) {
          done = true;
          return -1;
        }
        if (size.isEmpty()) { // the CRLF after the previous chunk
          size = readLine(in);
          if (size == null) {
            done = true;
            return -1;
          }
        }
        int semi = size.indexOf(';');
        left = Integer.parseInt((semi < 0 ? size : size.substring(0, semi)).trim(), 16);
        if (left == 0) {
          done = true;
          readHeaders(in); // trailers
          return -1;
        }
      }
      int c = in.read();
      if (c >= 0) {
        left--;
      }
      return c;
    }
  }

  private void awaitRelease() throws IOException {
    holding.incrementAndGet();
    try {
      hold.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    } finally {
      holding.decrementAndGet();
    }
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException e) {
      // closing to break a connection on purpose: an error here changes nothing
    }
  }

  private static Thread daemon(Runnable r, String name) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    return t;
  }
}

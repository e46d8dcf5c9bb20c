package dev.nomadbackup.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.nomadbackup.testing.http.Http1;
import dev.nomadbackup.testing.http.HttpRelay;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The event streams through {@link FaultProxy}, relayed line by line so that a test can cut, mute,
 * pause or thin them out and slip lines of its own in; and the stale reads that their events
 * drive ({@link FaultProxy#staleReadsAfterEvents}).
 */
final class StreamTap {
  /** A small receive buffer towards Nomad, so a paused stream backs up into Nomad quickly. */
  private static final int STREAM_RECEIVE_BUFFER = 4096;
  private static final ObjectMapper JSON = new ObjectMapper();

  private final HttpRelay relay;
  private final Set<Stream> streams = ConcurrentHashMap.newKeySet();
  private final AtomicInteger opened = new AtomicInteger();
  private final AtomicInteger endedByNomad = new AtomicInteger();
  private final AtomicInteger linesDropped = new AtomicInteger();
  private final ScheduledExecutorService timer =
      Executors.newSingleThreadScheduledExecutor(r -> FaultProxy.daemon(r, "fault-proxy-heartbeat"));
  private final Object pause = new Object();
  private volatile boolean paused;
  private volatile boolean dropEvents;
  private volatile boolean closed;
  private ScheduledFuture<?> heartbeat;
  private volatile boolean staleReads;
  // "namespace/job id" of jobs whose creation an event announced, by event index, not yet "committed"
  private final Map<String, Long> uncommitted = new ConcurrentHashMap<>();
  private final AtomicInteger staleReadsServed = new AtomicInteger();

  StreamTap(HttpRelay relay) {
    this.relay = relay;
  }

  // ---- what a test does to the streams ----

  void cut() {
    streams.forEach(Stream::close);
  }

  void silence() {
    streams.forEach(s -> s.silenced = true);
  }

  void dropEvents(boolean on) {
    dropEvents = on;
  }

  void pause() {
    paused = true;
  }

  void resume() {
    synchronized (pause) {
      paused = false;
      pause.notifyAll();
    }
  }

  synchronized void heartbeatEvery(Duration interval) {
    if (heartbeat != null) {
      heartbeat.cancel(false);
    }
    long ms = interval.toMillis();
    heartbeat = timer.scheduleAtFixedRate(() -> inject("{}"), ms, ms, TimeUnit.MILLISECONDS);
  }

  void inject(String line) {
    for (Stream s : streams) {
      s.deliver(line, true);
    }
  }

  int opened() {
    return opened.get();
  }

  int open() {
    return streams.size();
  }

  int endedByNomad() {
    return endedByNomad.get();
  }

  int linesDropped() {
    return linesDropped.get();
  }

  void close() {
    closed = true;
    timer.shutdownNow();
    resume();
    cut();
  }

  // ---- stale reads ----

  void staleReads(boolean on) {
    staleReads = on;
    if (!on) {
      uncommitted.clear();
    }
  }

  int staleReadsServed() {
    return staleReadsServed.get();
  }

  /**
   * The index to answer this request's 404 with, if it reads a job whose creation is not
   * "committed" yet; forgets what a blocking query at or past an event's index shows committed.
   */
  Optional<Long> staleAnswer(String method, String path, String query) {
    if (!staleReads) {
      return Optional.empty();
    }
    long waitsFor = queryLong(query, "index");
    if (waitsFor >= 0) {
      uncommitted.values().removeIf(n -> n - 1 <= waitsFor);
      return Optional.empty();
    }
    if (!method.equals("GET") || !path.startsWith("/v1/job/")) {
      return Optional.empty();
    }
    String id = java.net.URLDecoder.decode(path.substring("/v1/job/".length()).replace("+", "%2B"),
        StandardCharsets.UTF_8);
    String namespace = new FaultProxy.Request(method, path, query, "", "").namespace().orElse("default");
    Optional<Long> index = Optional.ofNullable(uncommitted.get(namespace + "/" + id));
    index.ifPresent(i -> staleReadsServed.incrementAndGet());
    return index;
  }

  private void noteNewJobs(String line) {
    try {
      for (JsonNode e : JSON.readTree(line).path("Events")) {
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

  // ---- relaying a stream ----

  /** One event stream: Nomad's lines are read on the client connection's thread and written to the client. */
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
      FaultProxy.closeQuietly(client);
      FaultProxy.closeQuietly(nomad);
    }
  }

  /**
   * Relays the event stream {@code request} asks for, on a connection of its own to Nomad, until
   * either side ends it. The answer goes to the client unframed, ended by closing the connection.
   */
  void serve(HttpRelay.Request request, HttpRelay.Exchange exchange) throws IOException {
    Socket nomad;
    try {
      nomad = relay.connectUpstream(STREAM_RECEIVE_BUFFER);
    } catch (IOException e) {
      exchange.answer(502, Map.of(), ("Nomad unreachable: " + e).getBytes(StandardCharsets.UTF_8));
      return;
    }
    try (nomad) {
      URI upstream = relay.upstream();
      StringBuilder head = new StringBuilder("GET " + request.path() + "?" + request.query() + " HTTP/1.1\r\n");
      head.append("Host: ").append(upstream.getHost()).append(':').append(upstream.getPort()).append("\r\n");
      for (String name : List.of("X-Nomad-Token", "Authorization")) {
        String v = request.header(name.toLowerCase(Locale.ROOT));
        if (v != null) {
          head.append(name).append(": ").append(v).append("\r\n");
        }
      }
      head.append("Connection: close\r\n\r\n");
      nomad.getOutputStream().write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
      nomad.getOutputStream().flush();
      InputStream fromNomad = new BufferedInputStream(nomad.getInputStream(), 1024);
      Http1.Head answer = Http1.Head.read(fromNomad);
      if (answer == null) {
        return;
      }
      if (answer.status() != 200) {
        exchange.answer(answer.status(), Map.of("Content-Type", "text/plain"), Http1.readBody(answer, fromNomad));
        return;
      }
      InputStream body = answer.chunked() ? new Http1.ChunkedInputStream(fromNomad) : fromNomad;
      Socket client = exchange.client();
      OutputStream out = exchange.toClient();
      Stream s = new Stream(client, out, nomad);
      synchronized (s) {
        out.write("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n"
            .getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
      }
      streams.add(s);
      opened.incrementAndGet();
      // The client sends nothing more on a stream: reading tells at once when it hangs up, rather
      // than at the next line Nomad sends (which may be a heartbeat 30 s away).
      FaultProxy.daemon(() -> {
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
          String line = Http1.readUtf8Line(body);
          if (line == null) {
            if (!nomad.isClosed() && !client.isClosed()) {
              endedByNomad.incrementAndGet();
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
}

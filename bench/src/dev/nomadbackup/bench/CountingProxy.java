package dev.nomadbackup.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * Sits between a Nomad client (the operator, or the floor) and the agent: forwards every request,
 * counts them by method and path, and notes when each backup job's registration was answered, which
 * is when the backup job became readable.
 *
 * <p>A plain HTTP/1.1 relay on blocking sockets with one agent connection per client connection, so
 * it adds a fraction of a millisecond (the JDK's HttpServer and HttpClient added several).
 */
final class CountingProxy implements AutoCloseable {
  private final URI agent;
  private final ServerSocket server;
  private final Map<String, LongAdder> calls = new ConcurrentHashMap<>();
  private final Map<String, CompletableFuture<Long>> expected = new ConcurrentHashMap<>();
  private final Map<String, Long> parseArrivals = new ConcurrentHashMap<>();
  private final AtomicInteger backupWrites = new AtomicInteger();
  private final AtomicInteger connections = new AtomicInteger();
  private final Object progress = new Object();

  CountingProxy(URI agent) throws IOException {
    this.agent = agent;
    server = new ServerSocket(0, 128, InetAddress.getLoopbackAddress());
    Thread acceptor = new Thread(this::accept, "proxy-accept");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  URI address() {
    return URI.create("http://127.0.0.1:" + server.getLocalPort());
  }

  private void accept() {
    while (!server.isClosed()) {
      try {
        Socket client = server.accept();
        connections.incrementAndGet();
        Thread t = new Thread(() -> relay(client), "proxy");
        t.setDaemon(true);
        t.start();
      } catch (IOException e) {
        return; // closed
      }
    }
  }

  private void relay(Socket client) {
    try (client; Socket upstream = new Socket(agent.getHost(), agent.getPort())) {
      client.setTcpNoDelay(true);
      upstream.setTcpNoDelay(true);
      InputStream cin = new BufferedInputStream(client.getInputStream(), 65536);
      OutputStream cout = client.getOutputStream();
      InputStream uin = new BufferedInputStream(upstream.getInputStream(), 65536);
      OutputStream uout = upstream.getOutputStream();
      while (true) {
        Head request = Head.read(cin);
        if (request == null) {
          return;
        }
        String[] line = request.first.split(" ");
        String method = line[0];
        String path = line[1].contains("?") ? line[1].substring(0, line[1].indexOf('?')) : line[1];
        calls.computeIfAbsent(method + " " + normalise(path), k -> new LongAdder()).increment();
        long arrived = System.nanoTime();
        boolean register = method.equals("POST") && path.equals("/v1/jobs");
        boolean parse = method.equals("POST") && path.equals("/v1/jobs/parse");
        ByteArrayOutputStream body = register || parse ? new ByteArrayOutputStream() : null;
        uout.write(request.raw);
        copyBody(request, cin, uout, body, false);
        uout.flush();
        if (parse) {
          noteParse(body.toByteArray(), arrived);
        }
        Head response = Head.read(uin);
        if (response == null) {
          return;
        }
        long answered = System.nanoTime();
        cout.write(response.raw);
        cout.flush();
        boolean streaming = path.equals("/v1/event/stream");
        copyBody(response, uin, cout, null, streaming);
        cout.flush();
        if (register && response.first.split(" ")[1].equals("200")) {
          noteRegistered(body.toByteArray(), answered);
        }
        if (response.closes() || request.closes()) {
          return;
        }
      }
    } catch (IOException e) {
      // a client or the agent hung up: that connection is done
    }
  }

  /** Copies a message body, framed by Content-Length or chunked; {@code tee} keeps a copy. */
  private static void copyBody(Head head, InputStream in, OutputStream out, ByteArrayOutputStream tee, boolean flushChunks)
      throws IOException {
    String te = head.header("transfer-encoding");
    if (te != null && te.toLowerCase(Locale.ROOT).contains("chunked")) {
      while (true) {
        String sizeLine = readLine(in);
        out.write((sizeLine + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
        int semi = sizeLine.indexOf(';');
        long size = Long.parseLong((semi < 0 ? sizeLine : sizeLine.substring(0, semi)).trim(), 16);
        if (size == 0) {
          for (String trailer; !(trailer = readLine(in)).isEmpty(); ) {
            out.write((trailer + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
          }
          out.write("\r\n".getBytes(StandardCharsets.ISO_8859_1));
          return;
        }
        copy(in, out, size, tee);
        String crlf = readLine(in);
        out.write((crlf + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
        if (flushChunks) {
          out.flush();
        }
      }
    }
    String length = head.header("content-length");
    if (length != null) {
      copy(in, out, Long.parseLong(length.trim()), tee);
    } else if (head.first.startsWith("HTTP/") && head.closes()) {
      // no framing: the body ends when the agent closes (Nomad's event stream does this)
      byte[] buf = new byte[65536];
      for (int r; (r = in.read(buf)) >= 0; ) {
        out.write(buf, 0, r);
        if (flushChunks || in.available() == 0) {
          out.flush();
        }
      }
    }
  }

  private static void copy(InputStream in, OutputStream out, long n, ByteArrayOutputStream tee) throws IOException {
    byte[] buf = new byte[(int) Math.min(65536, Math.max(1, n))];
    while (n > 0) {
      int r = in.read(buf, 0, (int) Math.min(buf.length, n));
      if (r < 0) {
        throw new IOException("unexpected end of body");
      }
      out.write(buf, 0, r);
      if (tee != null) {
        tee.write(buf, 0, r);
      }
      n -= r;
    }
  }

  static String readLine(InputStream in) throws IOException {
    StringBuilder b = new StringBuilder();
    for (int c; (c = in.read()) >= 0; ) {
      if (c == '\n') {
        int len = b.length();
        return len > 0 && b.charAt(len - 1) == '\r' ? b.substring(0, len - 1) : b.toString();
      }
      b.append((char) c);
    }
    if (b.length() == 0) {
      return null;
    }
    throw new IOException("unexpected end of stream");
  }

  /** A request's or response's start line and headers, and their raw bytes. */
  private record Head(String first, Map<String, String> headers, byte[] raw) {
    static Head read(InputStream in) throws IOException {
      String first = readLine(in);
      if (first == null) {
        return null;
      }
      StringBuilder raw = new StringBuilder(first).append("\r\n");
      Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
      for (String line; !(line = readLine(in)).isEmpty(); ) {
        raw.append(line).append("\r\n");
        int colon = line.indexOf(':');
        if (colon > 0) {
          headers.put(line.substring(0, colon).trim(), line.substring(colon + 1).trim());
        }
      }
      raw.append("\r\n");
      return new Head(first, headers, raw.toString().getBytes(StandardCharsets.ISO_8859_1));
    }

    String header(String name) {
      return headers.get(name);
    }

    boolean closes() {
      String c = header("connection");
      return c != null && c.equalsIgnoreCase("close") || first.startsWith("HTTP/1.0");
    }
  }

  /** Client connections accepted since the last reset. */
  int connections() {
    return connections.get();
  }

  /** Forgets every count so far. */
  void reset() {
    connections.set(0);
    calls.clear();
    parseArrivals.clear();
    backupWrites.set(0);
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

  /** Successful registrations of backup jobs since the last reset. */
  int backupWrites() {
    return backupWrites.get();
  }

  /** Completes with the time (System.nanoTime) at which {@code jobId}'s registration is answered. */
  CompletableFuture<Long> expect(String jobId) {
    return expected.computeIfAbsent(jobId, k -> new CompletableFuture<>());
  }

  /** Waits until {@link #backupWrites} reaches {@code n}; returns false on timeout. */
  boolean awaitBackupWrites(int n, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (progress) {
      while (backupWrites.get() < n) {
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
    backupWrites.incrementAndGet();
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
  public void close() throws IOException {
    server.close();
  }
}

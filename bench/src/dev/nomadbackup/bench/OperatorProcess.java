package dev.nomadbackup.bench;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** The operator in a process of its own, as it runs in production, so its footprint is its own. */
final class OperatorProcess implements AutoCloseable {
  /** How the benchmark learns that the operator is ready. */
  enum Readiness {
    /** {@link OperatorHost} prints {@code BENCH READY} once the operator leads and its controller is ready. */
    HOOK,
    /** {@code GET /health/ready} answers 200: every listing reconciled, every event stream connected. */
    HEALTH_ENDPOINT
  }

  /**
   * {@link Readiness#HOOK} for now: {@code /health/ready} answers 200 for a moment between winning
   * the leader lock and starting the controller (it takes the operator for a standby then), which
   * would stop the clock before the first listing.
   */
  static final Readiness READINESS = Readiness.HOOK;

  private final Process process;
  private final long launchedAt;
  private final BlockingQueue<String> replies = new LinkedBlockingQueue<>();
  private final PrintWriter stdin;
  private final int httpPort;

  private OperatorProcess(Process process, long launchedAt, Path log, int httpPort) throws IOException {
    this.process = process;
    this.launchedAt = launchedAt;
    this.httpPort = httpPort;
    this.stdin = new PrintWriter(new BufferedWriter(new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8)), true);
    BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    var writer = Files.newBufferedWriter(log);
    Thread pump = new Thread(() -> {
      try (writer) {
        for (String line; (line = out.readLine()) != null; ) {
          if (line.startsWith("BENCH ")) {
            replies.add(line.substring(6));
          }
          writer.write(line);
          writer.newLine();
        }
      } catch (IOException e) {
        replies.add("EOF " + e.getMessage());
      }
      replies.add("EOF");
    }, "operator-stdout");
    pump.setDaemon(true);
    pump.start();
  }

  /**
   * Starts {@link OperatorHost} with {@code jvmFlags} and {@code env} on {@code classpath}; its
   * output goes to {@code log}.
   */
  static OperatorProcess launch(List<String> jvmFlags, String classpath, Map<String, String> env, Path log)
      throws IOException {
    int httpPort = Agent.freePort();
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(jvmFlags);
    cmd.add("-cp");
    cmd.add(classpath);
    cmd.add(OperatorHost.class.getName());
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().keySet().removeIf(k -> k.startsWith("NOMAD_") || k.startsWith("OPERATOR_") || k.equals("JAVA_TOOL_OPTIONS"));
    pb.environment().put("OPERATOR_HTTP_ADDR", "127.0.0.1:" + httpPort);
    pb.environment().putAll(env);
    long t0 = System.nanoTime();
    Process p = pb.start();
    return new OperatorProcess(p, t0, log, httpPort);
  }

  long pid() {
    return process.pid();
  }

  /** Waits until the operator is ready; returns nanoseconds from launch to ready. */
  long awaitReady(Duration timeout) throws IOException, InterruptedException {
    if (READINESS == Readiness.HEALTH_ENDPOINT) {
      return pollHealth(timeout);
    }
    String r = replies.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
    long at = System.nanoTime();
    if (!"READY".equals(r)) {
      throw new IOException("the operator did not get ready: " + r);
    }
    return at - launchedAt;
  }

  private long pollHealth(Duration timeout) throws IOException, InterruptedException {
    HttpClient http = HttpClient.newHttpClient();
    HttpRequest get = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/health/ready")).build();
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      try {
        if (http.send(get, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
          return System.nanoTime() - launchedAt;
        }
      } catch (IOException e) {
        // not listening yet
      }
      if (!process.isAlive()) {
        throw new IOException("the operator exited with " + process.exitValue());
      }
      Thread.sleep(5);
    }
    throw new IOException("the operator was not ready after " + timeout);
  }

  /** Resident set size, from the kernel. */
  long rssBytes() throws IOException {
    return ProcStatus.rssBytes(process.pid());
  }

  long threads() throws IOException {
    return ProcStatus.threads(process.pid());
  }

  /** {live heap after a full GC, heap committed, heap used before the GC}, in bytes. */
  long[] heap() throws IOException, InterruptedException {
    stdin.println("heap");
    String r = replies.poll(30, TimeUnit.SECONDS);
    if (r == null || !r.startsWith("HEAP ")) {
      throw new IOException("no heap figures: " + r);
    }
    String[] f = r.substring(5).split(" ");
    return new long[] {Long.parseLong(f[0]), Long.parseLong(f[1]), Long.parseLong(f[2])};
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      stdin.println("stop");
      if (!process.waitFor(20, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor();
      }
    }
  }
}

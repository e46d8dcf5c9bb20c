package dev.nomadbackup.bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The operator started the way it ships, by its own command ({@code java -jar} or the runtime
 * image's launcher), with a clean environment: {@code PATH} and the {@code NOMAD_*} and {@code
 * OPERATOR_*} variables given, nothing else (no {@code JAVA_OPTS}, no {@code JAVA_TOOL_OPTIONS}).
 * Nothing of the benchmark runs inside it; it is stopped with SIGTERM, as a container is.
 */
final class CommandProcess implements AutoCloseable {
  private final Process process;
  private final Instant launchedAt;
  private final int httpPort;

  private CommandProcess(Process process, Instant launchedAt, int httpPort) {
    this.process = process;
    this.launchedAt = launchedAt;
    this.httpPort = httpPort;
  }

  /** Starts {@code command} with {@code env} (and a free {@code OPERATOR_HTTP_ADDR}); output to {@code log}. */
  static CommandProcess launch(List<String> command, Map<String, String> env, Path log) throws IOException {
    int httpPort = Agent.freePort();
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
    String path = pb.environment().getOrDefault("PATH", "/usr/bin:/bin"); // the launcher script needs dirname
    pb.environment().clear();
    pb.environment().put("PATH", path);
    pb.environment().putAll(env);
    pb.environment().put("OPERATOR_HTTP_ADDR", "127.0.0.1:" + httpPort);
    Instant t0 = Instant.now(); // wall clock, to set beside Nomad's SubmitTime (same machine, same clock)
    return new CommandProcess(pb.start(), t0, httpPort);
  }

  /** When the process was started, as nanoseconds since the epoch. */
  long launchedEpochNanos() {
    return launchedAt.getEpochSecond() * 1_000_000_000L + launchedAt.getNano();
  }

  long pid() {
    return process.pid();
  }

  /**
   * Waits until {@code /health/ready} says the operator leads and has caught up; returns
   * nanoseconds from launch. (A bare 200 is not enough: it answers 200 for a moment as a standby.)
   */
  long awaitReady(Duration timeout) throws IOException, InterruptedException {
    HttpClient http = HttpClient.newHttpClient();
    HttpRequest get = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/health/ready")).build();
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      try {
        HttpResponse<String> r = http.send(get, HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 200 && r.body().startsWith("leading:")) {
          Instant now = Instant.now();
          return Duration.between(launchedAt, now).toNanos();
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

  long rssBytes() throws IOException {
    return ProcStatus.rssBytes(pid());
  }

  long threads() throws IOException {
    return ProcStatus.threads(pid());
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      process.destroy();
      if (!process.waitFor(20, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor();
      }
    }
  }
}

package dev.nomadbackup.testing;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** The packaged operator as a separate process, the way it runs in production. */
public final class OperatorProcess implements AutoCloseable {
  public static final Path JAR =
      Path.of(System.getProperty("operator.jar", "target/nomad-backup-operator.jar"));

  private final Process process;
  private final Path log;
  private final int httpPort;

  private OperatorProcess(Process process, Path log, int httpPort) {
    this.process = process;
    this.log = log;
    this.httpPort = httpPort;
  }

  /** Starts {@code java -jar} (or {@code javaCommand}) with only the given NOMAD_ and OPERATOR_ variables. */
  public static OperatorProcess start(String name, List<String> javaCommand, Map<String, String> env) throws IOException {
    Path log = Path.of("target", name + ".log").toAbsolutePath();
    Files.deleteIfExists(log);
    int port = freePort();
    ProcessBuilder b = new ProcessBuilder(javaCommand).redirectErrorStream(true).redirectOutput(log.toFile());
    b.environment().keySet().removeIf(k -> k.startsWith("NOMAD_") || k.startsWith("OPERATOR_"));
    b.environment().put("OPERATOR_HTTP_ADDR", "127.0.0.1:" + port);
    b.environment().putAll(env);
    return new OperatorProcess(b.start(), log, port);
  }

  public static OperatorProcess start(String name, Map<String, String> env) throws IOException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    return start(name, List.of(java, "-jar", JAR.toString()), env);
  }

  public String log() {
    try {
      return Files.readString(log, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "(cannot read " + log + ": " + e.getMessage() + ")";
    }
  }

  public long pid() {
    return process.pid();
  }

  public boolean alive() {
    return process.isAlive();
  }

  /** GET on the operator's own HTTP port: status code and body; 0 when nothing answers. */
  public Answer get(String path) {
    try {
      HttpResponse<String> r = HttpClient.newHttpClient().send(
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + path)).timeout(Duration.ofSeconds(5)).build(),
          HttpResponse.BodyHandlers.ofString());
      return new Answer(r.statusCode(), r.body());
    } catch (IOException e) {
      return new Answer(0, e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Answer(0, "interrupted");
    }
  }

  /** An HTTP answer. */
  public record Answer(int status, String body) {}

  /** SIGTERM, and the exit code (or -1 if it did not stop in time). */
  public int terminate(Duration within) throws InterruptedException {
    process.destroy();
    return process.waitFor(within.toMillis(), TimeUnit.MILLISECONDS) ? process.exitValue() : -1;
  }

  /** Waits for the process to end by itself; its exit code, or -1 if it did not within the time. */
  public int awaitExit(Duration within) throws InterruptedException {
    return process.waitFor(within.toMillis(), TimeUnit.MILLISECONDS) ? process.exitValue() : -1;
  }

  /** SIGSTOP: every thread stands still, as in a long pause of the machine; {@link #resume} goes on. */
  public void pause() throws IOException, InterruptedException {
    signal("-STOP");
  }

  /** SIGCONT after {@link #pause}. */
  public void resume() throws IOException, InterruptedException {
    signal("-CONT");
  }

  private void signal(String which) throws IOException, InterruptedException {
    Process kill = new ProcessBuilder("kill", which, Long.toString(process.pid())).inheritIO().start();
    if (kill.waitFor() != 0) {
      throw new IOException("kill " + which + " " + process.pid() + " failed");
    }
  }

  /** SIGKILL: no shutdown hook, no lock release, like a crashed node. */
  public void kill() throws InterruptedException {
    process.destroyForcibly().waitFor();
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      process.destroyForcibly().waitFor();
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}

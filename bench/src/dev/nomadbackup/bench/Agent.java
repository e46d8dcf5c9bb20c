package dev.nomadbackup.bench;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * A single-server Nomad agent on free loopback ports, as the integration tests start it (server
 * only: registering jobs and streaming events need no client), with its data and log under
 * {@code home}.
 */
final class Agent implements AutoCloseable {
  private final Process process;
  final URI address;
  final Path log;

  private Agent(Process process, URI address, Path log) {
    this.process = process;
    this.address = address;
    this.log = log;
  }

  static Agent start(Path binary, Path home) throws IOException, InterruptedException {
    deleteTree(home);
    Files.createDirectories(home.resolve("data"));
    int http = freePort();
    int rpc = freePort();
    int serf = freePort();
    String config =
        """
        data_dir  = "%s"
        bind_addr = "127.0.0.1"
        log_level = "WARN"
        disable_update_check = true
        ports {
          http = %d
          rpc  = %d
          serf = %d
        }
        advertise {
          http = "127.0.0.1"
          rpc  = "127.0.0.1"
          serf = "127.0.0.1"
        }
        server {
          enabled          = true
          bootstrap_expect = 1
        }
        client {
          enabled = false
        }
        """
            .formatted(home.resolve("data").toAbsolutePath(), http, rpc, serf);
    Files.writeString(home.resolve("agent.hcl"), config);
    Path log = home.resolve("nomad.log");
    Process p =
        new ProcessBuilder(List.of(binary.toString(), "agent", "-config=" + home.resolve("agent.hcl")))
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
    Agent agent = new Agent(p, URI.create("http://127.0.0.1:" + http), log);
    agent.awaitLeader();
    return agent;
  }

  private void awaitLeader() throws IOException, InterruptedException {
    Api api = new Api(address);
    long deadline = System.nanoTime() + 90_000_000_000L;
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IOException("Nomad exited with " + process.exitValue() + "; see " + log);
      }
      try {
        if (api.send("GET", "/v1/status/leader", null).asText().length() > 0) {
          return;
        }
      } catch (IOException e) {
        // not up yet
      }
      Thread.sleep(100);
    }
    throw new IOException("Nomad had no leader after 90 s; see " + log);
  }

  long pid() {
    return process.pid();
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(15, java.util.concurrent.TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor();
    }
  }

  static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}

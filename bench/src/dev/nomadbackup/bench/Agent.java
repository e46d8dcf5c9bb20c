package dev.nomadbackup.bench;

import dev.nomadbackup.testing.Mounts;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * A single-server Nomad agent on free loopback ports, as the integration tests start it, with its
 * data and log under {@code home}: server only (registering jobs and streaming events need no
 * client), or with a {@code raw_exec} client in the same agent, for runs that really run.
 */
final class Agent implements AutoCloseable {
  private final Process process;
  final URI address;
  final Path log;
  private final Path home;
  private final boolean client;

  private Agent(Process process, URI address, Path log, Path home, boolean client) {
    this.process = process;
    this.address = address;
    this.log = log;
    this.home = home;
    this.client = client;
  }

  static Agent start(Path binary, Path home) throws IOException, InterruptedException {
    return start(binary, home, false);
  }

  /** With {@code rawExecClient}, the agent is a client too and is up once its node can run tasks. */
  static Agent start(Path binary, Path home, boolean rawExecClient) throws IOException, InterruptedException {
    Mounts.unmountUnder(home);
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
        %s
        """
            .formatted(home.resolve("data").toAbsolutePath(), http, rpc, serf, clientConfig(rawExecClient));
    Files.writeString(home.resolve("agent.hcl"), config);
    Path log = home.resolve("nomad.log");
    ProcessBuilder pb =
        new ProcessBuilder(List.of(binary.toString(), "agent", "-config=" + home.resolve("agent.hcl")))
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
    // with it set, the client dies while fingerprinting ("failed to setup IMDS client")
    pb.environment().remove("AWS_CA_BUNDLE");
    Agent agent = new Agent(pb.start(), URI.create("http://127.0.0.1:" + http), log, home, rawExecClient);
    agent.awaitLeader();
    if (rawExecClient) {
      agent.awaitRawExecNode();
    }
    return agent;
  }

  /**
   * The client's part: {@code raw_exec} on, no cloud fingerprinting (it only probes addresses this
   * machine lacks), and no garbage collection of finished allocations while a scenario runs.
   */
  private static String clientConfig(boolean rawExec) {
    if (!rawExec) {
      return "client {\n  enabled = false\n}";
    }
    return """
        client {
          enabled = true
          gc_max_allocs = 5000
          options {
            "fingerprint.denylist" = "env_aws,env_gce,env_azure,env_digitalocean"
          }
        }
        plugin "raw_exec" {
          config {
            enabled = true
          }
        }
        """;
  }

  private void awaitRawExecNode() throws IOException, InterruptedException {
    Api api = new Api(address);
    long deadline = System.nanoTime() + 90_000_000_000L;
    String last = "no node registered";
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IOException("Nomad exited with " + process.exitValue() + "; see " + log);
      }
      try {
        for (var node : api.send("GET", "/v1/nodes", null)) {
          var rawExec = node.path("Drivers").path("raw_exec");
          if ("ready".equals(node.path("Status").asText()) && rawExec.path("Healthy").asBoolean()) {
            return;
          }
          last = "node " + node.path("Status").asText() + ", raw_exec " + rawExec.path("HealthDescription").asText("?");
        }
      } catch (IOException e) {
        last = e.getMessage(); // the keyring is not up yet, say
      }
      Thread.sleep(200);
    }
    throw new IOException("no ready node with raw_exec after 90 s (" + last + "); see " + log);
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
  public void close() throws InterruptedException, IOException {
    process.destroy();
    if (!process.waitFor(15, java.util.concurrent.TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor();
    }
    if (client) {
      Mounts.unmountUnder(home); // two tmpfs mounts per allocation would outlive the benchmark
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

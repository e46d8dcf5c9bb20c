package dev.nomadbackup.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

/**
 * A Nomad agent process from the pinned binary: a single server on free loopback ports, with its
 * data dir and log under {@code target/}. Server-only by default (no client is needed to register
 * jobs, stream events or launch periodic children); {@code -Dnomad.test.mode=dev} runs it with a
 * client as {@code nomad agent -dev} would. {@link #withRawExecClient} makes one that runs tasks:
 * a client with the {@code raw_exec} driver, up once its node is ready.
 */
final class LocalNomadAgent implements NomadAgent, AutoCloseable {
  private static final Duration START_DEADLINE = Duration.ofSeconds(90);

  private final Path binary;
  private final Path home;
  private final boolean acl;
  private final String extraConfig;
  private final String serverConfig;
  private boolean rawExecClient;
  private Optional<TlsFiles> tls = Optional.empty();
  /** One client, so one pool, per agent: every client keeps its idle connections for minutes. */
  private volatile HttpClient http;
  private final Object httpLock = new Object(); // not the agent's monitor: its start holds that while it polls
  private String clusterConfig = "";
  private int bootstrapExpect = 1;
  private Process process;
  private URI address;
  private Optional<String> token = Optional.empty();
  private Optional<String> operatorToken = Optional.empty();
  private int serfPort;
  private int httpPort;
  private int rpcPort;
  private boolean keepPorts;

  LocalNomadAgent(Path binary, Path home, boolean acl, String extraConfig) {
    this(binary, home, acl, extraConfig, "");
  }

  /**
   * @param extraConfig top-level agent configuration added to the generated file
   * @param serverConfig lines added inside its {@code server} block, e.g. {@code event_buffer_size = 10}
   */
  LocalNomadAgent(Path binary, Path home, boolean acl, String extraConfig, String serverConfig) {
    this.binary = binary;
    this.home = home;
    this.acl = acl;
    this.extraConfig = extraConfig;
    this.serverConfig = serverConfig;
  }

  /**
   * Makes this agent a client too, with the {@code raw_exec} driver on: tasks run as host
   * processes with the agent's environment. {@link #launch()} then also waits until the node is
   * ready with that driver. Call before {@link #prepare()}.
   */
  LocalNomadAgent withRawExecClient() {
    this.rawExecClient = true;
    return this;
  }

  /** HTTP and RPC over TLS with {@code files}, client certificates required. Call before {@link #prepare()}. */
  LocalNomadAgent withTls(TlsFiles files) {
    this.tls = Optional.of(files);
    this.http = null;
    return this;
  }

  /**
   * One server of a cluster of {@code servers}: {@code bootstrap_expect} set to it and {@code
   * serverJoin} (e.g. a {@code server_join} block) in the {@code server} block. Call before
   * {@link #prepare()}.
   */
  LocalNomadAgent inCluster(int servers, String serverJoin) {
    this.bootstrapExpect = servers;
    this.clusterConfig = serverJoin;
    return this;
  }

  /** The address of this agent's Serf (gossip) port, for another server's {@code retry_join}. */
  String serfAddress() {
    return "127.0.0.1:" + serfPort;
  }

  /** Writes the configuration again on the ports {@link #prepare()} chose, with what was set since. */
  synchronized void rewriteConfig() throws IOException {
    keepPorts = true;
    prepare();
  }

  /** SIGKILL, keeping the data dir. */
  synchronized void kill() {
    if (process != null) {
      try {
        process.destroyForcibly().waitFor();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  void start() throws IOException, InterruptedException {
    prepare();
    launch();
    if (acl) {
      String secret = UUID.randomUUID().toString();
      send("POST", "/v1/acl/bootstrap", "{\"BootstrapSecret\":\"" + secret + "\"}");
      token = Optional.of(secret);
      awaitKeyring();
      if (rawExecClient) {
        awaitRawExecNode(); // reading the nodes takes the token
      }
    }
  }

  /** Creates the operator's policy from {@code policyFile} and a client token that holds only it. */
  void issueOperatorToken(Path policyFile) throws IOException {
    com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
    TestNomad nomad = api();
    nomad.send("POST", "/v1/acl/policy/nomad-backup-operator", json.createObjectNode()
        .put("Name", "nomad-backup-operator").put("Rules", Files.readString(policyFile)));
    com.fasterxml.jackson.databind.node.ObjectNode request =
        json.createObjectNode().put("Name", "nomad-backup-operator").put("Type", "client");
    request.putArray("Policies").add("nomad-backup-operator");
    operatorToken = Optional.of(nomad.send("POST", "/v1/acl/token", request).path("SecretID").asText());
  }

  @Override
  public Optional<String> operatorToken() {
    return operatorToken.isPresent() ? operatorToken : token;
  }

  /**
   * Writes a fresh data dir and configuration on free ports, without starting Nomad: {@link
   * #address()} is known from here on, and nothing answers there until {@link #launch()}.
   */
  synchronized void prepare() throws IOException {
    if (rawExecClient) {
      Mounts.unmountUnder(home);
    }
    deleteTree(home);
    Files.createDirectories(home.resolve("data"));
    if (!keepPorts) {
      httpPort = freePort();
      rpcPort = freePort();
      serfPort = freePort();
    }
    int http = httpPort;
    int rpc = rpcPort;
    int serf = serfPort;
    boolean dev = "dev".equals(System.getProperty("nomad.test.mode"));
    String config =
        """
        data_dir  = "%s"
        bind_addr = "127.0.0.1"
        log_level = "DEBUG"
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
          bootstrap_expect = %d
          %s
          %s
        }
        %s
        acl {
          enabled = %s
        }
        %s
        """
            .formatted(home.resolve("data").toAbsolutePath(), http, rpc, serf, bootstrapExpect, serverConfig,
                clusterConfig, clientConfig(dev), acl, extraConfig + tls.map(TlsFiles::agentConfig).orElse(""));
    Files.writeString(home.resolve("agent.hcl"), config);
    address = URI.create((tls.isPresent() ? "https" : "http") + "://127.0.0.1:" + http);
    Files.deleteIfExists(log());
  }

  private String clientConfig(boolean dev) {
    if (!rawExecClient) {
      return "client {\n  enabled = " + dev + "\n}";
    }
    // The cloud fingerprinters only probe metadata addresses that a test machine lacks.
    return """
        client {
          enabled = true
          options {
            "fingerprint.denylist" = "env_aws,env_gce,env_azure,env_digitalocean"
          }
          # a template that cannot read a variable fails its task in seconds, not after ~5 min
          template {
            nomad_retry {
              attempts    = 3
              backoff     = "250ms"
              max_backoff = "1s"
            }
          }
        }
        plugin "raw_exec" {
          config {
            enabled = true
          }
        }
        """;
  }

  /** Starts Nomad on the prepared (or previous) data dir and ports, and waits for a leader. */
  synchronized void launch() throws IOException, InterruptedException {
    launchProcess();
    awaitReady();
  }

  /** Starts the Nomad process on the prepared data dir and ports, and returns at once. */
  synchronized void launchProcess() throws IOException {
    List<String> command = new ArrayList<>(List.of(binary.toString(), "agent", "-config=" + home.resolve("agent.hcl")));
    ProcessBuilder builder =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log().toFile()));
    if (rawExecClient) {
      // With AWS_CA_BUNDLE set, the client dies in fingerprinting ("failed to setup IMDS client").
      builder.environment().remove("AWS_CA_BUNDLE");
    }
    process = builder.start();
  }

  /** Waits until the started agent knows a leader (and, where it can tell, writes variables). */
  synchronized void awaitReady() throws IOException, InterruptedException {
    awaitLeader();
    if (!acl || token.isPresent()) {
      awaitKeyring();
    }
    if (rawExecClient && (!acl || token.isPresent())) {
      awaitRawExecNode();
    }
  }

  /**
   * Waits until this agent's node is {@code ready} and eligible with {@code raw_exec} detected and
   * healthy. It registers only once the keyring exists, so this takes some seconds after the leader.
   */
  private void awaitRawExecNode() throws IOException {
    com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
    AtomicReference<String> last = new AtomicReference<>("no node registered");
    awaitStart(() -> {
      if (!process.isAlive()) {
        throw new IOException("Nomad exited with " + process.exitValue() + "; see " + log() + "\n" + tail(30));
      }
      com.fasterxml.jackson.databind.JsonNode nodes;
      try {
        nodes = json.readTree(send("GET", "/v1/nodes", null));
      } catch (IOException e) {
        last.set(e.getMessage());
        return false;
      }
      for (com.fasterxml.jackson.databind.JsonNode node : nodes) {
        com.fasterxml.jackson.databind.JsonNode rawExec = node.path("Drivers").path("raw_exec");
        boolean ready = "ready".equals(node.path("Status").asText())
            && "eligible".equals(node.path("SchedulingEligibility").asText());
        if (ready && rawExec.path("Detected").asBoolean() && rawExec.path("Healthy").asBoolean()) {
          return true;
        }
        last.set("node " + node.path("Name").asText() + " is " + node.path("Status").asText()
            + ", raw_exec " + (rawExec.isMissingNode() ? "not fingerprinted" : rawExec.path("HealthDescription").asText()));
      }
      return false;
    }, () -> "no ready node with raw_exec after " + START_DEADLINE + " (" + last.get() + "); see " + log() + "\n"
        + tail(30));
  }

  /**
   * Waits until Nomad can write a variable. A server that just became leader answers "keyring has
   * not been initialized yet" for a moment, and the operator's leader lock is a variable.
   */
  private void awaitKeyring() throws IOException {
    AtomicReference<String> last = new AtomicReference<>("no answer");
    awaitStart(() -> {
      try {
        send("PUT", "/v1/var/nomad-test/keyring-probe", "{\"Items\":{\"ready\":\"yes\"}}");
        send("DELETE", "/v1/var/nomad-test/keyring-probe", null);
        return true;
      } catch (IOException e) {
        last.set(e.getMessage());
        return false;
      }
    }, () -> "Nomad could not write a variable after " + START_DEADLINE + " (" + last.get() + ")");
  }

  /** Polls a process we just started, which signals nothing, until {@code ready} or the deadline. */
  private static void awaitStart(java.util.concurrent.Callable<Boolean> ready, java.util.function.Supplier<String> failure)
      throws IOException {
    try {
      org.awaitility.Awaitility.await().atMost(START_DEADLINE).pollInterval(Duration.ofMillis(100)).until(ready);
    } catch (org.awaitility.core.ConditionTimeoutException e) {
      throw new IOException(failure.get(), e);
    }
  }

  /**
   * Starts the agent again on its data dir and ports if it died (a Nomad panic, say), so one crash
   * fails one test and not every test after it.
   */
  synchronized void ensureRunning() throws IOException, InterruptedException {
    if (process != null && !process.isAlive()) {
      System.out.printf("[nomad-test] Nomad at %s died with exit code %d; restarting it. Its last lines:%n%s%n",
          address, process.exitValue(), tail(40));
      launch();
    }
  }

  private void awaitLeader() throws IOException {
    AtomicReference<String> last = new AtomicReference<>("no answer");
    awaitStart(() -> {
      if (!process.isAlive()) {
        throw new IOException("Nomad exited with " + process.exitValue() + "; see " + log() + "\n" + tail(30));
      }
      try {
        if (send("GET", "/v1/status/leader", null).length() > 2) { // a JSON string such as "127.0.0.1:4647"
          return true;
        }
        last.set("no leader yet");
      } catch (IOException e) {
        last.set(e.getMessage());
      }
      return false;
    }, () -> "Nomad had no leader after " + START_DEADLINE + " (" + last.get() + "); see " + log() + "\n" + tail(30));
  }

  private String send(String method, String path, String body) throws IOException, InterruptedException {
    HttpRequest.Builder b = HttpRequest.newBuilder(address.resolve(path)).timeout(Duration.ofSeconds(5));
    token.ifPresent(t -> b.header("X-Nomad-Token", t));
    b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    HttpResponse<String> r = httpClient().send(b.build(), HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() >= 300) {
      throw new IOException(method + " " + path + " answered " + r.statusCode() + ": " + r.body());
    }
    return r.body();
  }

  private HttpClient httpClient() {
    synchronized (httpLock) {
      if (http == null) {
        http = tls.map(t -> HttpClient.newBuilder().sslContext(t.clientContext()).build())
            .orElseGet(HttpClient::newHttpClient);
      }
      return http;
    }
  }

  String tail(int lines) {
    try {
      List<String> all = Files.readAllLines(log(), StandardCharsets.UTF_8);
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException e) {
      return "(cannot read " + log() + ": " + e.getMessage() + ")";
    }
  }

  @Override
  public URI address() {
    return address;
  }

  @Override
  public Optional<String> managementToken() {
    return token;
  }

  @Override
  public Path log() {
    return home.resolveSibling(home.getFileName() + ".log");
  }

  @Override
  public TestNomad api() {
    return new TestNomad(address, token, httpClient());
  }

  /**
   * Stops Nomad as a service manager would (SIGTERM, then SIGKILL after 15 s), keeping its data dir
   * and ports for a later {@link #launch()}.
   */
  synchronized void stop() {
    close();
  }

  synchronized boolean running() {
    return process != null && process.isAlive();
  }

  @Override
  public synchronized void close() {
    if (process == null) {
      return;
    }
    process.destroy();
    try {
      if (!process.waitFor(15, java.util.concurrent.TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor();
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      socket.setReuseAddress(true);
      return socket.getLocalPort();
    }
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> {
        try {
          Files.delete(p);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
    }
  }
}

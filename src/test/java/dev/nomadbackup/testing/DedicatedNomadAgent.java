package dev.nomadbackup.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A Nomad agent of one test class's own, for what the shared agent must not go through: being down
 * when the operator starts, a restart on the same data dir, a configuration of its own (a small
 * {@code event_buffer_size}, say), or a thousand jobs nobody else should see. A single server from
 * the pinned binary, on free loopback ports, with its data dir and log under {@code target/}.
 */
public final class DedicatedNomadAgent implements NomadAgent, AutoCloseable {
  /** Agents not closed yet, whose logs a failing test prints. */
  static final java.util.Set<DedicatedNomadAgent> LIVE = java.util.concurrent.ConcurrentHashMap.newKeySet();

  private final LocalNomadAgent agent;

  private DedicatedNomadAgent(LocalNomadAgent agent) {
    this.agent = agent;
  }

  /**
   * An agent whose data dir and ports are ready, not yet started: {@link #address()} already says
   * where it will answer.
   *
   * @param name names its directory and log under {@code target/}
   * @param serverConfig lines for its {@code server} block, such as {@code event_buffer_size = 10}
   */
  public static DedicatedNomadAgent prepare(String name, String serverConfig) {
    Path binary = NomadAgentExtension.NomadBinary.locate();
    LocalNomadAgent agent =
        new LocalNomadAgent(binary, Path.of("target", name).toAbsolutePath(), false, "", serverConfig);
    try {
      agent.prepare();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot prepare " + name, e);
    }
    DedicatedNomadAgent dedicated = new DedicatedNomadAgent(agent);
    LIVE.add(dedicated);
    return dedicated;
  }

  /**
   * Like {@link #prepare}, an agent that speaks only TLS on HTTP and RPC with {@code files}, and
   * wants a client certificate ({@code verify_https_client = true}).
   */
  public static DedicatedNomadAgent prepareWithTls(String name, TlsFiles files) {
    Path binary = NomadAgentExtension.NomadBinary.locate();
    LocalNomadAgent agent =
        new LocalNomadAgent(binary, Path.of("target", name).toAbsolutePath(), false, "", "").withTls(files);
    return prepared(name, agent);
  }

  /**
   * A cluster of {@code size} servers on loopback, each {@code bootstrap_expect = size} and
   * joining the others' Serf ports; prepared, not started (start them all: none has a leader alone).
   */
  public static List<DedicatedNomadAgent> prepareCluster(String name, int size) {
    Path binary = NomadAgentExtension.NomadBinary.locate();
    List<LocalNomadAgent> agents = new ArrayList<>();
    for (int i = 0; i < size; i++) {
      LocalNomadAgent agent = new LocalNomadAgent(binary, Path.of("target", name + "-" + i).toAbsolutePath(), false,
          "name = \"" + name + "-" + i + "\"", "");
      agents.add(agent);
    }
    // the Serf ports are chosen when an agent is prepared; prepare twice so that each names the others'
    List<DedicatedNomadAgent> cluster = new ArrayList<>();
    try {
      for (LocalNomadAgent agent : agents) {
        agent.prepare();
      }
      for (LocalNomadAgent agent : agents) {
        List<String> others = agents.stream().filter(a -> a != agent).map(a -> "\"" + a.serfAddress() + "\"").toList();
        agent.inCluster(size, "server_join {\n    retry_join     = [" + String.join(", ", others)
            + "]\n    retry_interval = \"1s\"\n  }").rewriteConfig();
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot prepare " + name, e);
    }
    for (LocalNomadAgent agent : agents) {
      DedicatedNomadAgent dedicated = new DedicatedNomadAgent(agent);
      LIVE.add(dedicated);
      cluster.add(dedicated);
    }
    return cluster;
  }

  private static DedicatedNomadAgent prepared(String name, LocalNomadAgent agent) {
    try {
      agent.prepare();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot prepare " + name, e);
    }
    DedicatedNomadAgent dedicated = new DedicatedNomadAgent(agent);
    LIVE.add(dedicated);
    return dedicated;
  }

  /**
   * Starts Nomad without waiting for a leader: for a server of a cluster, which has none until
   * enough servers are up. {@link #awaitLeader()} waits for one.
   */
  public void launchAlone() {
    try {
      agent.launchProcess();
    } catch (IOException e) {
      throw new UncheckedIOException("Nomad did not start: " + e.getMessage(), e);
    }
  }

  /** Waits until this agent knows a leader and can write a variable. */
  public void awaitLeader() {
    try {
      agent.awaitReady();
    } catch (IOException e) {
      throw new UncheckedIOException(e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for a leader", e);
    }
  }

  /** SIGKILL: gone at once, as a crashed machine. */
  public void kill() {
    agent.kill();
  }

  /** {@link #prepare} and {@link #start}. */
  public static DedicatedNomadAgent start(String name, String serverConfig) {
    DedicatedNomadAgent agent = prepare(name, serverConfig);
    try {
      agent.start();
    } catch (RuntimeException e) {
      agent.close();
      throw e;
    }
    return agent;
  }

  /** Starts Nomad (again, on the same data dir and ports) and waits until it has a leader. */
  public void start() {
    try {
      agent.launch();
    } catch (IOException e) {
      throw new UncheckedIOException("Nomad did not start: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while starting Nomad", e);
    }
  }

  /** Stops Nomad with SIGTERM; its data dir stays for the next {@link #start}. */
  public void stop() {
    agent.stop();
  }

  public boolean running() {
    return agent.running();
  }

  /** The last lines of the agent's log, for failure messages. */
  public String tail(int lines) {
    return agent.tail(lines);
  }

  @Override
  public URI address() {
    return agent.address();
  }

  @Override
  public Optional<String> managementToken() {
    return Optional.empty();
  }

  @Override
  public Path log() {
    return agent.log();
  }

  @Override
  public TestNomad api() {
    return agent.api();
  }

  @Override
  public void close() {
    LIVE.remove(this);
    agent.close();
  }
}

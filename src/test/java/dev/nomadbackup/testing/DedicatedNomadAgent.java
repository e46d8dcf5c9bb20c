package dev.nomadbackup.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Path;
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

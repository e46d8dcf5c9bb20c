package dev.nomadbackup.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;

/**
 * A real database server for the tests, one per JVM and kind, started on first use and stopped
 * when the JVM exits, on a free loopback port, with a fresh data dir under {@code target/}. Two
 * logins, both with every privilege: {@link #user()} with {@link #password()}, and {@link
 * #trustedUser()} with no password. SQL goes through the kind's command-line client, as a person
 * would type it.
 *
 * <p>A kind says how to set its server up and start it, how to ask it to stop, and how to call its
 * client.
 */
public abstract class LocalDatabaseServer {
  static final Duration START_DEADLINE = Duration.ofSeconds(60);
  static final Duration SQL_DEADLINE = Duration.ofSeconds(60);

  /** Makes a server of one kind, not yet started. */
  interface Maker<S extends LocalDatabaseServer> {
    S make(int port) throws IOException;
  }

  final Path home;
  final int port;
  /** With quotes, a dollar and a backslash, which must reach the dump tool unchanged. */
  final String password = "p\"w'$HOME\\${x}-" + UUID.randomUUID();
  /** The server's process, once {@link #start()} has started it. */
  Process process;

  private final String product;
  private final String daemon;

  /**
   * @param product the name in messages ("PostgreSQL")
   * @param daemon the server program's name, for when it exits early ("postgres")
   */
  LocalDatabaseServer(String product, String daemon, Path home, int port) {
    this.product = product;
    this.daemon = daemon;
    this.home = home;
    this.port = port;
  }

  /**
   * Makes and starts a server on a free port, and stops it when the JVM exits. For a kind's {@code
   * shared()}, once it has found its binaries.
   */
  static <S extends LocalDatabaseServer> S startForThisJvm(String product, Maker<S> maker) {
    try {
      S server = maker.make(LocalServers.freePort());
      server.start();
      Runtime.getRuntime().addShutdownHook(new Thread(server::stop, server.home.getFileName() + "-stop"));
      return server;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + product + ": " + e.getMessage(), e);
    }
  }

  /** Fails with {@code installHint} unless each of the dump {@code tools} is on {@code PATH}. */
  static void requireDumpTools(String installHint, String... tools) {
    for (String tool : tools) {
      LocalServers.onPath(tool).orElseThrow(() -> new LocalServers.MissingBinary(
          tool + " not found on PATH, where the raw_exec backup tasks look for it: " + installHint));
    }
  }

  public String host() {
    return "127.0.0.1";
  }

  public int port() {
    return port;
  }

  /** A login with every privilege and {@link #password()}. */
  public String user() {
    return "nomadtest";
  }

  public String password() {
    return password;
  }

  /** A login with every privilege that needs no password over loopback. */
  public String trustedUser() {
    return "nomadtest_trusted";
  }

  /** What separates the columns of a row that {@link #sql} prints. */
  public abstract String columnSeparator();

  /** Creates an empty database with a unique name starting with {@code prefix}, and returns the name. */
  public String createDatabase(String prefix) {
    String name = (prefix + "_" + UUID.randomUUID().toString().substring(0, 8)).replace('-', '_');
    sql(adminDatabase(), "CREATE DATABASE " + name);
    return name;
  }

  /**
   * Runs {@code sql} (one or more statements) in {@code database} as {@link #user()} and returns
   * what it printed: one line per row, columns separated by {@link #columnSeparator()}, no headers.
   * Stops at the first error, which fails the call.
   */
  public String sql(String database, String sql) {
    return LocalServers.check(clientCommand(database), Map.of(passwordVariable(), password), sql, SQL_DEADLINE);
  }

  /** The rows of a query, as {@link #sql} prints them. */
  public List<String> rows(String database, String query) {
    return sql(database, query).lines().filter(l -> !l.isEmpty()).toList();
  }

  /** The database that is always there, to connect to for anything else. */
  abstract String adminDatabase();

  /** The client's environment variable for the password. */
  abstract String passwordVariable();

  /** The client's command line for {@code database}, as {@link #user()}, reading SQL from standard input. */
  abstract List<String> clientCommand(String database);

  /** The server's log, whose tail goes into start failures. */
  abstract Path log();

  /** Makes a fresh data dir under {@link #home}, starts the server and returns once it takes connections. */
  abstract void start() throws IOException;

  /** Asks the running server to stop, and returns how much longer to wait for it before killing it. */
  abstract Duration askToStop();

  /** Waits until {@link #process} takes connections as {@link #user()}, or fails with its log. */
  final void awaitConnections() throws IOException {
    AtomicReference<String> last = new AtomicReference<>("no answer");
    try {
      Awaitility.await().atMost(START_DEADLINE).pollInterval(Duration.ofMillis(200)).until(() -> {
        if (!process.isAlive()) {
          throw new IOException(daemon + " exited with " + process.exitValue() + ":\n" + LocalServers.tail(log(), 20));
        }
        LocalServers.Result r = LocalServers.run(clientCommand(adminDatabase()), Map.of(passwordVariable(), password),
            "SELECT 1", SQL_DEADLINE);
        last.set(r.stderr().strip());
        return r.ok();
      });
    } catch (ConditionTimeoutException e) {
      throw new IOException(product + " took no connections within " + START_DEADLINE + " (" + last.get() + "):\n"
          + LocalServers.tail(log(), 20), e);
    }
  }

  /** Says on the test output where the started server is. */
  final void announce(Path binary, Path data) {
    System.out.printf("[db-test] %s (%s) up at %s:%d, data %s, log %s%n", product, binary, host(), port, data, log());
  }

  synchronized void stop() {
    if (process == null || !process.isAlive()) {
      return;
    }
    Duration grace = askToStop();
    try {
      if (!process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }
}

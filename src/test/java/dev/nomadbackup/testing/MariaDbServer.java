package dev.nomadbackup.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;

/**
 * A real MariaDB server for the tests, one per JVM, started on first {@link #shared()} and stopped
 * when the JVM exits: a fresh data dir under {@code target/mariadb}, a free loopback port, no
 * configuration files read. It drops to the {@code mysql} system user itself when started as root.
 *
 * <p>Two logins, both with every privilege: {@link #user()} with {@link #password()}, and {@link
 * #trustedUser()} with no password. SQL goes through the {@code mariadb} command line.
 */
public final class MariaDbServer {
  private static final Duration START_DEADLINE = Duration.ofSeconds(60);
  private static final Duration SQL_DEADLINE = Duration.ofSeconds(60);
  private static final String SYSTEM_USER = "mysql";
  private static final String INSTALL_HINT =
      "install MariaDB's server and client (Debian/Ubuntu: apt-get install mariadb-server mariadb-client);"
          + " .ci/run installs them on CI machines";

  private static MariaDbServer shared;

  private final Path home;
  private final Path server;
  private final Path client;
  private final int port;
  /** With quotes, a dollar and a backslash, which must reach the dump tool unchanged. */
  private final String password = "p\"w'$HOME\\${x}-" + UUID.randomUUID();
  private Process process;

  private MariaDbServer(Path home, Path server, Path client, int port) {
    this.home = home;
    this.server = server;
    this.client = client;
    this.port = port;
  }

  /** The JVM's server, started on first use. */
  public static synchronized MariaDbServer shared() {
    if (shared == null) {
      Path server = serverBinary();
      Path client = LocalServers.onPath("mariadb", "mysql")
          .orElseThrow(() -> new LocalServers.MissingBinary("the mariadb client is not on PATH: " + INSTALL_HINT));
      LocalServers.onPath("mariadb-dump").orElseThrow(() -> new LocalServers.MissingBinary(
          "mariadb-dump not found on PATH, where the raw_exec backup tasks look for it: " + INSTALL_HINT));
      try {
        MariaDbServer started =
            new MariaDbServer(Path.of("target", "mariadb").toAbsolutePath(), server, client, LocalServers.freePort());
        started.start();
        Runtime.getRuntime().addShutdownHook(new Thread(started::stop, "mariadb-stop"));
        shared = started;
      } catch (IOException e) {
        throw new UncheckedIOException("cannot start MariaDB: " + e.getMessage(), e);
      }
    }
    return shared;
  }

  public String host() {
    return "127.0.0.1";
  }

  public int port() {
    return port;
  }

  public String user() {
    return "nomadtest";
  }

  public String password() {
    return password;
  }

  /** A user with every privilege and no password. */
  public String trustedUser() {
    return "nomadtest_trusted";
  }

  /** Creates an empty database with a unique name starting with {@code prefix}, and returns the name. */
  public String createDatabase(String prefix) {
    String name = (prefix + "_" + UUID.randomUUID().toString().substring(0, 8)).replace('-', '_');
    sql("mysql", "CREATE DATABASE " + name);
    return name;
  }

  /**
   * Runs {@code sql} in {@code database} and returns what it printed: one line per row, columns
   * separated by tabs, no headers. Stops at the first error, which fails the call.
   */
  public String sql(String database, String sql) {
    return LocalServers.check(clientCommand(database), Map.of("MYSQL_PWD", password), sql, SQL_DEADLINE);
  }

  /** The rows of a query, as {@link #sql} prints them. */
  public List<String> rows(String database, String query) {
    return sql(database, query).lines().filter(l -> !l.isEmpty()).toList();
  }

  private List<String> clientCommand(String database) {
    return List.of(client.toString(), "--no-defaults", "--protocol=tcp", "--host=" + host(), "--port=" + port,
        "--user=" + user(), "--batch", "--skip-column-names", "--database=" + database);
  }

  private void start() throws IOException {
    LocalServers.deleteTree(home);
    Path data = home.resolve("data");
    Files.createDirectories(data);
    Path init = home.resolve("init.sql");
    // run by the server at every start: the logins, over TCP from anywhere on loopback
    Files.writeString(init, """
        CREATE USER IF NOT EXISTS 'nomadtest'@'%%' IDENTIFIED BY '%s';
        GRANT ALL PRIVILEGES ON *.* TO 'nomadtest'@'%%' WITH GRANT OPTION;
        CREATE USER IF NOT EXISTS 'nomadtest_trusted'@'%%';
        GRANT ALL PRIVILEGES ON *.* TO 'nomadtest_trusted'@'%%';
        """.formatted(password.replace("\\", "\\\\").replace("'", "\\'")));
    LocalServers.chown(home, SYSTEM_USER);
    List<String> userFlag = LocalServers.root() ? List.of("--user=" + SYSTEM_USER) : List.of();
    Path installDb = LocalServers.onPath("mariadb-install-db", "mysql_install_db")
        .orElseThrow(() -> new LocalServers.MissingBinary("mariadb-install-db not found on PATH: " + INSTALL_HINT));
    List<String> install = new ArrayList<>(List.of(installDb.toString(), "--no-defaults", "--datadir=" + data,
        "--auth-root-authentication-method=socket", "--skip-test-db", "--skip-name-resolve"));
    install.addAll(userFlag);
    LocalServers.check(install, Map.of(), null, START_DEADLINE);

    List<String> command = new ArrayList<>(List.of(server.toString(), "--no-defaults", "--datadir=" + data,
        "--port=" + port, "--bind-address=127.0.0.1", "--socket=" + home.resolve("mariadb.sock"),
        "--pid-file=" + home.resolve("mariadb.pid"), "--init-file=" + init, "--skip-name-resolve", "--skip-log-bin",
        "--innodb-buffer-pool-size=16M", "--innodb-flush-log-at-trx-commit=0", "--log-error=" + log()));
    command.addAll(userFlag);
    process = new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(home.resolve("mariadbd.out").toFile()))
        .start();
    awaitConnections();
    System.out.printf("[db-test] MariaDB (%s) up at %s:%d, data %s, log %s%n", server, host(), port, data, log());
  }

  private void awaitConnections() throws IOException {
    AtomicReference<String> last = new AtomicReference<>("no answer");
    try {
      Awaitility.await().atMost(START_DEADLINE).pollInterval(Duration.ofMillis(200)).until(() -> {
        if (!process.isAlive()) {
          throw new IOException("mariadbd exited with " + process.exitValue() + ":\n" + LocalServers.tail(log(), 20));
        }
        LocalServers.Result r =
            LocalServers.run(clientCommand("mysql"), Map.of("MYSQL_PWD", password), "SELECT 1", SQL_DEADLINE);
        last.set(r.stderr().strip());
        return r.ok();
      });
    } catch (ConditionTimeoutException e) {
      throw new IOException("MariaDB took no connections within " + START_DEADLINE + " (" + last.get() + "):\n"
          + LocalServers.tail(log(), 20), e);
    }
  }

  private Path log() {
    return home.resolve("mariadb.log");
  }

  /** SIGTERM is MariaDB's clean shutdown. */
  synchronized void stop() {
    if (process == null || !process.isAlive()) {
      return;
    }
    process.destroy();
    try {
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }

  private static Path serverBinary() {
    for (Path candidate : List.of(Path.of("/usr/sbin/mariadbd"), Path.of("/usr/sbin/mysqld"))) {
      if (Files.isExecutable(candidate)) {
        return candidate;
      }
    }
    return LocalServers.onPath("mariadbd", "mysqld")
        .orElseThrow(() -> new LocalServers.MissingBinary("mariadbd not found in /usr/sbin or on PATH: " + INSTALL_HINT));
  }
}

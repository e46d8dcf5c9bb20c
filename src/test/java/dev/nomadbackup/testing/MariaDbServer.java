package dev.nomadbackup.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A real MariaDB server for the tests, one per JVM, started on first {@link #shared()} and stopped
 * when the JVM exits: a fresh data dir under {@code target/mariadb}, a free loopback port, no
 * configuration files read. It drops to the {@code mysql} system user itself when started as root.
 *
 * <p>Two logins, both with every privilege: {@link #user()} with {@link #password()}, and {@link
 * #trustedUser()} with no password. SQL goes through the {@code mariadb} command line.
 */
public final class MariaDbServer extends LocalDatabaseServer {
  private static final String SYSTEM_USER = "mysql";
  private static final String INSTALL_HINT =
      "install MariaDB's server and client (Debian/Ubuntu: apt-get install mariadb-server mariadb-client);"
          + " .ci/run installs them on CI machines";

  private static MariaDbServer shared;

  private final Path server;
  private final Path client;

  private MariaDbServer(Path server, Path client, int port) {
    super("MariaDB", "mariadbd", Path.of("target", "mariadb").toAbsolutePath(), port);
    this.server = server;
    this.client = client;
  }

  /** The JVM's server, started on first use. */
  public static synchronized MariaDbServer shared() {
    if (shared == null) {
      Path server = serverBinary();
      Path client = LocalServers.onPath("mariadb", "mysql")
          .orElseThrow(() -> new LocalServers.MissingBinary("the mariadb client is not on PATH: " + INSTALL_HINT));
      requireDumpTools(INSTALL_HINT, "mariadb-dump");
      shared = startForThisJvm("MariaDB", port -> new MariaDbServer(server, client, port));
    }
    return shared;
  }

  @Override
  public String columnSeparator() {
    return "\t";
  }

  @Override
  String adminDatabase() {
    return "mysql";
  }

  @Override
  String passwordVariable() {
    return "MYSQL_PWD";
  }

  @Override
  List<String> clientCommand(String database) {
    return List.of(client.toString(), "--no-defaults", "--protocol=tcp", "--host=" + host(), "--port=" + port,
        "--user=" + user(), "--batch", "--skip-column-names", "--database=" + database);
  }

  @Override
  void start() throws IOException {
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
    announce(server, data);
  }

  @Override
  Path log() {
    return home.resolve("mariadb.log");
  }

  /** SIGTERM is MariaDB's clean shutdown. */
  @Override
  Duration askToStop() {
    process.destroy();
    return Duration.ofSeconds(30);
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

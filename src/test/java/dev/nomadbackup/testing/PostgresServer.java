package dev.nomadbackup.testing;

import static dev.nomadbackup.testing.LocalServers.as;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * A real PostgreSQL server for the tests, one per JVM, started on first {@link #shared()} and
 * stopped when the JVM exits: a fresh cluster under {@code target/postgres}, listening on a free
 * loopback port, TCP only. Run as the {@code postgres} system user when the tests run as root, as
 * PostgreSQL refuses root.
 *
 * <p>Two logins: {@link #user()} with {@link #password()} (SCRAM), a superuser, and {@link
 * #trustedUser()}, a superuser that needs no password, for runs that must do without credentials.
 * SQL goes through the {@code psql} command line, as a person would type it.
 */
public final class PostgresServer extends LocalDatabaseServer {
  private static final String SYSTEM_USER = "postgres";
  private static final String INSTALL_HINT =
      "install PostgreSQL's server and client (Debian/Ubuntu: apt-get install postgresql), or set POSTGRES_BIN to"
          + " the directory holding initdb and postgres; .ci/run installs it on CI machines";

  private static PostgresServer shared;

  private final Path bin;
  private final Path psql;

  private PostgresServer(Path bin, Path psql, int port) {
    super("PostgreSQL", "postgres", Path.of("target", "postgres").toAbsolutePath(), port);
    this.bin = bin;
    this.psql = psql;
  }

  /** The JVM's server, started on first use. */
  public static synchronized PostgresServer shared() {
    if (shared == null) {
      Path bin = serverBinaries();
      Path psql = LocalServers.onPath("psql")
          .orElseThrow(() -> new LocalServers.MissingBinary("psql not found on PATH: " + INSTALL_HINT));
      requireDumpTools(INSTALL_HINT, "pg_dump", "pg_restore");
      shared = startForThisJvm("PostgreSQL", port -> new PostgresServer(bin, psql, port));
    }
    return shared;
  }

  @Override
  public String columnSeparator() {
    return "|";
  }

  @Override
  String adminDatabase() {
    return "postgres";
  }

  @Override
  String passwordVariable() {
    return "PGPASSWORD";
  }

  @Override
  List<String> clientCommand(String database) {
    return List.of(psql.toString(), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", host(), "-p",
        String.valueOf(port), "-U", user(), "-d", database, "-f", "-");
  }

  @Override
  void start() throws IOException {
    stopLeftover();
    LocalServers.deleteTree(home);
    Files.createDirectories(home);
    Path pwfile = home.resolve("password");
    Files.writeString(pwfile, password + "\n");
    LocalServers.chown(home, SYSTEM_USER);
    Path data = home.resolve("data");
    Map<String, String> env = Map.of("LC_ALL", "C", "LANG", "C");
    LocalServers.check(as(SYSTEM_USER, List.of(bin.resolve("initdb").toString(), "-D", data.toString(),
        "-U", user(), "--pwfile=" + pwfile, "--auth=scram-sha-256", "-E", "UTF8", "--locale=C", "--no-sync",
        "--no-instructions")), env, null, START_DEADLINE);
    Files.writeString(data.resolve("pg_hba.conf"), """
        # written by the tests' PostgresServer
        host all nomadtest_trusted 127.0.0.1/32 trust
        host all all 127.0.0.1/32 scram-sha-256
        """);
    List<String> command = new ArrayList<>(List.of(bin.resolve("postgres").toString(), "-D", data.toString(),
        "-p", String.valueOf(port), "-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=",
        "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
        "-c", "shared_buffers=16MB", "-c", "max_connections=30"));
    ProcessBuilder builder = new ProcessBuilder(as(SYSTEM_USER, command))
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log().toFile()));
    builder.environment().putAll(env);
    process = builder.start();
    awaitConnections();
    sql("postgres", "CREATE ROLE " + trustedUser() + " LOGIN SUPERUSER");
    announce(bin, data);
  }

  @Override
  Path log() {
    return home.resolveSibling("postgres.log");
  }

  /** A server that an earlier, killed test JVM left on this data dir. */
  private void stopLeftover() {
    Path data = home.resolve("data");
    if (Files.exists(data.resolve("postmaster.pid"))) {
      LocalServers.run(as(SYSTEM_USER, List.of(bin.resolve("pg_ctl").toString(), "-D", data.toString(), "stop",
          "-m", "immediate", "-w")), Map.of(), null, START_DEADLINE);
    }
  }

  /** Fast shutdown: open sessions are ended, and the server stops. */
  @Override
  Duration askToStop() {
    LocalServers.run(as(SYSTEM_USER, List.of(bin.resolve("pg_ctl").toString(), "-D", home.resolve("data").toString(),
        "stop", "-m", "fast", "-w", "-t", "30")), Map.of(), null, Duration.ofSeconds(40));
    return Duration.ofSeconds(10);
  }

  /** initdb and postgres: POSTGRES_BIN, the newest Debian cluster version, pg_config, or PATH. */
  private static Path serverBinaries() {
    List<Path> candidates = new ArrayList<>();
    Optional.ofNullable(System.getenv("POSTGRES_BIN")).filter(s -> !s.isBlank()).map(Path::of).ifPresent(candidates::add);
    Path debian = Path.of("/usr/lib/postgresql");
    if (Files.isDirectory(debian)) {
      try (Stream<Path> versions = Files.list(debian)) {
        versions.filter(v -> v.getFileName().toString().matches("\\d+(\\.\\d+)?"))
            .sorted(Comparator.comparingDouble((Path v) -> Double.parseDouble(v.getFileName().toString())).reversed())
            .map(v -> v.resolve("bin"))
            .forEach(candidates::add);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot list " + debian, e);
      }
    }
    LocalServers.onPath("pg_config").ifPresent(pgConfig -> {
      LocalServers.Result r = LocalServers.run(List.of(pgConfig.toString(), "--bindir"), Map.of(), null,
          Duration.ofSeconds(10));
      if (r.ok()) {
        candidates.add(Path.of(r.stdout().strip()));
      }
    });
    LocalServers.onPath("initdb").map(Path::getParent).ifPresent(candidates::add);
    return candidates.stream()
        .filter(dir -> Files.isExecutable(dir.resolve("initdb")) && Files.isExecutable(dir.resolve("postgres")))
        .findFirst()
        .orElseThrow(() -> new LocalServers.MissingBinary(
            "PostgreSQL's initdb and postgres not found (looked in " + candidates + "): " + INSTALL_HINT));
  }
}

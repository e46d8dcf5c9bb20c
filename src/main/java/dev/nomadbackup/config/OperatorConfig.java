package dev.nomadbackup.config;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What the operator does, read from {@code OPERATOR_*} variables.
 *
 * @param namespaces namespaces to watch; {@code ["*"]} means all of them
 * @param resyncInterval how often every job is looked at again, as a safety net for missed events
 * @param workers how many jobs are reconciled at once
 * @param template a template file that replaces the built-in one
 * @param startupTimeout how long to wait for Nomad at start before giving up
 * @param dryRun log what would be written, write nothing
 * @param httpAddress where health and metrics are served; empty turns the endpoint off
 * @param lockPath the Nomad variable whose lock elects the one operator that acts
 * @param lockTtl how long a leader's lock lives without renewal
 * @param restoreJobs keep a restore job beside every backup job
 * @param nomadUi where the status page links to Nomad's UI; empty: {@code NOMAD_ADDR}
 */
public record OperatorConfig(
    List<String> namespaces,
    Duration resyncInterval,
    int workers,
    Optional<Path> template,
    Duration startupTimeout,
    boolean dryRun,
    Optional<HttpAddress> httpAddress,
    String lockPath,
    Duration lockTtl,
    boolean restoreJobs,
    Optional<URI> nomadUi) {

  public static final Duration DEFAULT_RESYNC_INTERVAL = Duration.ofMinutes(10);
  public static final int DEFAULT_WORKERS = 4;
  public static final String ALL_NAMESPACES = "*";
  public static final Duration DEFAULT_STARTUP_TIMEOUT = Duration.ofMinutes(5);
  public static final String DEFAULT_HTTP_ADDRESS = ":8080";
  public static final String DEFAULT_LOCK_PATH = "nomad-backup-operator/leader";
  public static final Duration DEFAULT_LOCK_TTL = Duration.ofSeconds(15);

  public OperatorConfig {
    namespaces = List.copyOf(namespaces);
    if (namespaces.isEmpty()) {
      throw new ConfigException("OPERATOR_NAMESPACES names no namespace");
    }
    if (namespaces.contains(ALL_NAMESPACES) && namespaces.size() > 1) {
      throw new ConfigException("OPERATOR_NAMESPACES: '*' already means every namespace");
    }
    if (resyncInterval.compareTo(Duration.ofSeconds(1)) < 0) {
      throw new ConfigException("OPERATOR_RESYNC_INTERVAL must be at least 1s");
    }
    if (startupTimeout.isNegative()) {
      throw new ConfigException("OPERATOR_STARTUP_TIMEOUT must not be negative");
    }
    if (lockTtl.compareTo(Duration.ofSeconds(10)) < 0 || lockTtl.compareTo(Duration.ofHours(24)) > 0) {
      throw new ConfigException("OPERATOR_LOCK_TTL must be between 10s and 24h, as Nomad requires");
    }
    if (lockPath.isBlank() || lockPath.startsWith("/")) {
      throw new ConfigException("OPERATOR_LOCK_PATH must be a variable path such as " + DEFAULT_LOCK_PATH);
    }
    if (workers < 1) {
      throw new ConfigException("OPERATOR_WORKERS must be at least 1");
    }
  }

  private static Optional<HttpAddress> httpAddress(String value) {
    String v = value.trim();
    if (v.isEmpty() || v.equals("off")) {
      return Optional.empty();
    }
    return Optional.of(HttpAddress.parse("OPERATOR_HTTP_ADDR", v));
  }

  public static OperatorConfig fromEnvironment(Map<String, String> env) {
    Env e = new Env(env);
    List<String> namespaces =
        e.get("OPERATOR_NAMESPACES")
            .map(v -> Arrays.stream(v.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList())
            .orElse(List.of(ALL_NAMESPACES));
    Duration resync =
        e.get("OPERATOR_RESYNC_INTERVAL")
            .map(v -> GoDuration.parse("OPERATOR_RESYNC_INTERVAL", v))
            .orElse(DEFAULT_RESYNC_INTERVAL);
    return new OperatorConfig(
        namespaces,
        resync,
        e.positiveInt("OPERATOR_WORKERS", DEFAULT_WORKERS),
        e.get("OPERATOR_TEMPLATE").map(Path::of),
        e.get("OPERATOR_STARTUP_TIMEOUT")
            .map(v -> GoDuration.parse("OPERATOR_STARTUP_TIMEOUT", v))
            .orElse(DEFAULT_STARTUP_TIMEOUT),
        e.flag("OPERATOR_DRY_RUN", false),
        httpAddress(env.getOrDefault("OPERATOR_HTTP_ADDR", DEFAULT_HTTP_ADDRESS)),
        e.get("OPERATOR_LOCK_PATH").orElse(DEFAULT_LOCK_PATH),
        e.get("OPERATOR_LOCK_TTL")
            .map(v -> GoDuration.parse("OPERATOR_LOCK_TTL", v))
            .orElse(DEFAULT_LOCK_TTL),
        e.flag("OPERATOR_RESTORE_JOBS", true),
        e.get("OPERATOR_NOMAD_UI").map(v -> {
          URI ui = URI.create(v.trim());
          if (ui.getScheme() == null || !ui.getScheme().startsWith("http")) {
            throw new ConfigException("OPERATOR_NOMAD_UI=" + v + " is not an http:// or https:// address");
          }
          return ui;
        }));
  }
}

package dev.nomadbackup.web;

import dev.nomadbackup.status.BackupStatus;
import dev.nomadbackup.status.Run;
import dev.nomadbackup.status.RunOutcome;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The backup status of every protected job as Prometheus metrics, read from the statuses at each
 * scrape. The names and labels are a contract (docs/alerts.yml is written against them).
 */
public final class StatusMetrics {
  private StatusMetrics() {}

  /** Registers every backup metric in {@code registry}, reading {@code statuses} when scraped. */
  public static void register(PrometheusRegistry registry, Supplier<List<BackupStatus>> statuses, Clock clock) {
    gauge(registry, statuses, "nomad_backup_last_success_timestamp_seconds",
        "Unix time of the end of the last backup run that succeeded", s -> s.lastSuccess().map(StatusMetrics::seconds));
    gauge(registry, statuses, "nomad_backup_last_failure_timestamp_seconds",
        "Unix time of the end of the last backup run that failed", s -> s.lastFailure().map(StatusMetrics::seconds));
    gauge(registry, statuses, "nomad_backup_protected_timestamp_seconds",
        "Unix time the operator began protecting the job: where staleness counts from before any success",
        s -> Optional.of(seconds(s.since())));
    gauge(registry, statuses, "nomad_backup_last_run_succeeded",
        "1 when the last finished backup run succeeded, 0 when it failed or the last run cannot be placed",
        StatusMetrics::lastSucceeded);
    gauge(registry, statuses, "nomad_backup_last_duration_seconds",
        "How long the last finished backup run took",
        s -> s.lastRun().filter(r -> r.outcome().finished()).flatMap(Run::duration).map(d -> d.toMillis() / 1000.0));
    gauge(registry, statuses, "nomad_backup_expected_interval_seconds",
        "The longest gap the backup schedule leaves between two runs",
        s -> s.expectedInterval(clock.instant()).map(d -> (double) d.toSeconds()));
    gauge(registry, statuses, "nomad_backup_suspended",
        "1 when the backup job's schedule is suspended (backup-suspend)", s -> Optional.of(s.suspended() ? 1.0 : 0.0));
    gauge(registry, statuses, "nomad_backup_consecutive_failures",
        "Backup runs that failed in a row, up to the last one", s -> Optional.of((double) s.consecutiveFailures()));
    CounterWithCallback.builder()
        .name("nomad_backup_runs_total")
        .help("Backup runs that finished, by result, since the job was protected")
        .labelNames("namespace", "job", "result")
        .callback(cb -> statuses.get().forEach(s -> {
          cb.call(s.succeeded(), s.namespace(), s.job(), "succeeded");
          cb.call(s.failed(), s.namespace(), s.job(), "failed");
        }))
        .register(registry);
  }

  private static void gauge(PrometheusRegistry registry, Supplier<List<BackupStatus>> statuses, String name,
      String help, Function<BackupStatus, Optional<Double>> value) {
    GaugeWithCallback.builder()
        .name(name)
        .help(help)
        .labelNames("namespace", "job")
        .callback(cb -> statuses.get().forEach(s -> value.apply(s).ifPresent(v -> cb.call(v, s.namespace(), s.job()))))
        .register(registry);
  }

  private static Optional<Double> lastSucceeded(BackupStatus s) {
    Optional<Run> last = s.lastRun();
    if (last.isPresent() && last.get().outcome() == RunOutcome.SUCCEEDED) {
      return Optional.of(1.0);
    }
    if (last.isPresent() && (last.get().outcome() == RunOutcome.FAILED || last.get().outcome() == RunOutcome.NOT_PLACED)) {
      return Optional.of(0.0);
    }
    // a run in progress: what the last finished one did
    if (s.lastSuccess().isEmpty() && s.lastFailure().isEmpty()) {
      return Optional.empty();
    }
    Instant success = s.lastSuccess().orElse(Instant.EPOCH);
    Instant failure = s.lastFailure().orElse(Instant.EPOCH);
    return Optional.of(success.isAfter(failure) ? 1.0 : 0.0);
  }

  private static double seconds(Instant t) {
    return t.toEpochMilli() / 1000.0;
  }
}

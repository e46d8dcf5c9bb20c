package dev.nomadbackup.status;

import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * What is known of one protected job's backups: its schedule, its last run, and the history that
 * alerts need. Stored as the items of one Nomad Variable per source job, so it outlives both the
 * operator and Nomad's garbage collection of the runs.
 *
 * @param job the source job's ID
 * @param since when the operator first protected the job (a job that never succeeded is stale
 *     from two intervals after that)
 * @param succeeded runs that succeeded since {@code since}
 * @param failed runs that failed since {@code since}
 */
public record BackupStatus(
    String namespace,
    String job,
    String backupJob,
    String schedule,
    String timeZone,
    boolean suspended,
    Instant since,
    Optional<Run> lastRun,
    Optional<Instant> lastSuccess,
    Optional<Instant> lastFailure,
    int consecutiveFailures,
    long succeeded,
    long failed) {

  /** A job just protected: nothing has run yet. */
  static BackupStatus protect(String namespace, String job, String backupJob, String schedule, String timeZone,
      boolean suspended, Instant now) {
    return new BackupStatus(namespace, job, backupJob, schedule, timeZone, suspended, now, Optional.empty(),
        Optional.empty(), Optional.empty(), 0, 0, 0);
  }

  BackupStatus withSchedule(String backupJob, String schedule, Optional<String> timeZone, boolean suspended) {
    return new BackupStatus(namespace, job, backupJob, schedule, timeZone.orElse(this.timeZone), suspended, since,
        lastRun, lastSuccess, lastFailure, consecutiveFailures, succeeded, failed);
  }

  /** True when {@code run} is the last run and already known to be finished. */
  boolean knowsFinished(String runId) {
    return lastRun.filter(r -> r.id().equals(runId) && r.outcome().finished()).isPresent();
  }

  /**
   * This status with {@code run} as what happened last. A run that finishes is counted once; news
   * of a run older than a finished last run changes nothing.
   */
  BackupStatus withRun(Run run) {
    if (lastRun.isPresent()) {
      Run last = lastRun.get();
      if (last.id().equals(run.id()) && last.outcome().finished()) {
        return this; // counted already; what Nomad says of it later does not change the past
      }
      if (!last.id().equals(run.id()) && run.launch().isBefore(last.launch()) && last.outcome().finished()) {
        return this;
      }
    }
    if (run.outcome() == RunOutcome.SUCCEEDED) {
      return new BackupStatus(namespace, job, backupJob, schedule, timeZone, suspended, since, Optional.of(run),
          Optional.of(run.end().orElse(run.launch())), lastFailure, 0, succeeded + 1, failed);
    }
    if (run.outcome() == RunOutcome.FAILED) {
      return new BackupStatus(namespace, job, backupJob, schedule, timeZone, suspended, since, Optional.of(run),
          lastSuccess, Optional.of(run.end().orElse(run.launch())), consecutiveFailures + 1, succeeded, failed + 1);
    }
    return new BackupStatus(namespace, job, backupJob, schedule, timeZone, suspended, since, Optional.of(run),
        lastSuccess, lastFailure, consecutiveFailures, succeeded, failed);
  }

  /** The next launch the schedule makes, unless suspended. */
  public Optional<Instant> nextRun(Instant now) {
    return suspended ? Optional.empty() : parsed().flatMap(s -> s.next(now));
  }

  /** The longest gap the schedule leaves between two runs. */
  public Optional<Duration> expectedInterval(Instant now) {
    return parsed().flatMap(s -> s.interval(now));
  }

  /**
   * True when no run succeeded within two expected intervals (of the last success, or of the time
   * the job was protected when none ever did). A suspended job is never stale: it is suspended.
   */
  public boolean stale(Instant now) {
    if (suspended) {
      return false;
    }
    Optional<Duration> interval = expectedInterval(now);
    if (interval.isEmpty()) {
      return false;
    }
    return lastSuccess.orElse(since).plus(interval.get().multipliedBy(2)).isBefore(now);
  }

  /** True when the last run failed, or cannot be placed. */
  public boolean failing() {
    return lastRun.map(r -> r.outcome() == RunOutcome.FAILED || r.outcome() == RunOutcome.NOT_PLACED).orElse(false);
  }

  private Optional<Schedule> parsed() {
    return Schedule.parse(schedule, timeZone);
  }

  // The Variable's items: flat strings, the names Nomad's UI shows.

  Map<String, String> items() {
    Map<String, String> items = new LinkedHashMap<>();
    items.put("namespace", namespace);
    items.put("job", job);
    items.put("backup_job", backupJob);
    items.put("schedule", schedule);
    items.put("time_zone", timeZone);
    items.put("suspended", Boolean.toString(suspended));
    items.put("since", since.toString());
    lastRun.ifPresent(r -> {
      items.put("last_run_id", r.id());
      items.put("last_run_launch", r.launch().toString());
      r.end().ifPresent(e -> items.put("last_run_end", e.toString()));
      items.put("last_run_outcome", r.outcome().word());
      if (!r.reason().isEmpty()) {
        items.put("last_run_reason", r.reason());
      }
      r.exitCode().ifPresent(c -> items.put("last_run_exit_code", Integer.toString(c)));
    });
    lastSuccess.ifPresent(t -> items.put("last_success", t.toString()));
    lastFailure.ifPresent(t -> items.put("last_failure", t.toString()));
    items.put("consecutive_failures", Integer.toString(consecutiveFailures));
    items.put("runs_succeeded", Long.toString(succeeded));
    items.put("runs_failed", Long.toString(failed));
    return items;
  }

  /** The status in a Variable's items; empty when they are not one (written by hand, say). */
  static Optional<BackupStatus> fromItems(Map<String, String> items) {
    try {
      Optional<Run> run = Optional.ofNullable(items.get("last_run_id")).map(id -> new Run(id,
          Instant.parse(items.get("last_run_launch")),
          Optional.ofNullable(items.get("last_run_end")).map(Instant::parse),
          RunOutcome.ofWord(items.getOrDefault("last_run_outcome", "")).orElse(RunOutcome.PENDING),
          items.getOrDefault("last_run_reason", ""),
          Optional.ofNullable(items.get("last_run_exit_code")).map(Integer::parseInt)));
      return Optional.of(new BackupStatus(
          required(items, "namespace"), required(items, "job"), required(items, "backup_job"),
          items.getOrDefault("schedule", ""), items.getOrDefault("time_zone", ""),
          Boolean.parseBoolean(items.getOrDefault("suspended", "false")),
          Instant.parse(required(items, "since")), run,
          Optional.ofNullable(items.get("last_success")).map(Instant::parse),
          Optional.ofNullable(items.get("last_failure")).map(Instant::parse),
          Integer.parseInt(items.getOrDefault("consecutive_failures", "0")),
          Long.parseLong(items.getOrDefault("runs_succeeded", "0")),
          Long.parseLong(items.getOrDefault("runs_failed", "0"))));
    } catch (RuntimeException e) {
      return Optional.empty();
    }
  }

  private static String required(Map<String, String> items, String key) {
    String v = items.get(key);
    if (v == null || v.isEmpty()) {
      throw new IllegalArgumentException("no " + key);
    }
    return v;
  }
}

package dev.nomadbackup.status;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/** The statuses as people and programs read them: JSON, a terminal table, and each row's words. */
public final class StatusReport {
  private static final DateTimeFormatter WHEN = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'")
      .withZone(ZoneOffset.UTC);

  private StatusReport() {}

  /** How a job's backups stand, in one word: the page's colour and the CLI's verdict. */
  public enum Health {
    OK, FAILING, STALE, SUSPENDED, WAITING;

    public String word() {
      return name().toLowerCase(Locale.ROOT);
    }

    /** True for what should page someone, and make the CLI exit non-zero. */
    public boolean bad() {
      return this == FAILING || this == STALE;
    }
  }

  public static Health health(BackupStatus s, Instant now) {
    if (s.failing()) {
      return Health.FAILING;
    }
    if (s.stale(now)) {
      return Health.STALE;
    }
    if (s.suspended()) {
      return Health.SUSPENDED;
    }
    return s.lastSuccess().isPresent() ? Health.OK : Health.WAITING;
  }

  /** One JSON object per protected job, with every field of its status. */
  public static ArrayNode json(List<BackupStatus> statuses, Instant now, ObjectMapper mapper) {
    ArrayNode all = mapper.createArrayNode();
    for (BackupStatus s : statuses) {
      ObjectNode o = all.addObject();
      o.put("namespace", s.namespace());
      o.put("job", s.job());
      o.put("backup_job", s.backupJob());
      o.put("schedule", s.schedule());
      o.put("time_zone", s.timeZone().isEmpty() ? "UTC" : s.timeZone());
      o.put("suspended", s.suspended());
      o.put("health", health(s, now).word());
      time(o, "next_run", s.nextRun(now));
      s.expectedInterval(now).ifPresentOrElse(d -> o.put("expected_interval_seconds", d.toSeconds()),
          () -> o.putNull("expected_interval_seconds"));
      time(o, "last_success", s.lastSuccess());
      time(o, "last_failure", s.lastFailure());
      o.put("consecutive_failures", s.consecutiveFailures());
      o.put("runs_succeeded", s.succeeded());
      o.put("runs_failed", s.failed());
      o.put("protected_since", s.since().toString());
      if (s.lastRun().isEmpty()) {
        o.putNull("last_run");
        continue;
      }
      Run r = s.lastRun().get();
      ObjectNode run = o.putObject("last_run");
      run.put("id", r.id());
      run.put("outcome", r.outcome().word());
      run.put("launch", r.launch().toString());
      time(run, "end", r.end());
      r.duration().ifPresentOrElse(d -> run.put("duration_seconds", d.toMillis() / 1000.0),
          () -> run.putNull("duration_seconds"));
      run.put("reason", r.reason());
      r.exitCode().ifPresentOrElse(c -> run.put("exit_code", c), () -> run.putNull("exit_code"));
    }
    return all;
  }

  /** The table the {@code status} command prints. */
  public static String table(List<BackupStatus> statuses, Instant now) {
    String[] head = {"NAMESPACE", "JOB", "SCHEDULE", "LAST SUCCESS", "LAST RESULT", "NEXT RUN", "HEALTH"};
    List<String[]> rows = new ArrayList<>();
    rows.add(head);
    for (BackupStatus s : statuses) {
      rows.add(new String[] {s.namespace(), s.job(), s.schedule(), lastSuccess(s, now), lastResult(s),
          nextRun(s, now), health(s, now).word()});
    }
    int[] width = new int[head.length];
    rows.forEach(r -> {
      for (int i = 0; i < r.length; i++) {
        width[i] = Math.max(width[i], r[i].length());
      }
    });
    StringBuilder b = new StringBuilder();
    for (String[] r : rows) {
      for (int i = 0; i < r.length; i++) {
        b.append(i == r.length - 1 ? r[i] : String.format("%-" + (width[i] + 2) + "s", r[i]));
      }
      b.append('\n');
    }
    for (BackupStatus s : statuses) {
      s.lastRun().filter(r -> !r.reason().isEmpty() && s.failing()).ifPresent(r ->
          b.append('\n').append(s.namespace()).append('/').append(s.job()).append(": ").append(r.reason())
              .append(r.exitCode().map(c -> " (exit " + c + ")").orElse("")));
    }
    if (statuses.stream().anyMatch(s -> s.failing() && s.lastRun().map(r -> !r.reason().isEmpty()).orElse(false))) {
      b.append('\n');
    }
    return b.toString();
  }

  public static String lastSuccess(BackupStatus s, Instant now) {
    return s.lastSuccess().map(t -> ago(Duration.between(t, now))).orElse("never");
  }

  public static String lastResult(BackupStatus s) {
    return s.lastRun().map(r -> r.outcome().word()).orElse("no run yet");
  }

  public static String nextRun(BackupStatus s, Instant now) {
    if (s.suspended()) {
      return "suspended";
    }
    return s.nextRun(now).map(WHEN::format).orElse("unknown");
  }

  /** {@code 42 s ago}, {@code 3 h ago}, {@code 2 d ago}. */
  public static String ago(Duration d) {
    long s = Math.max(0, d.toSeconds());
    if (s < 90) {
      return s + " s ago";
    }
    if (s < 90 * 60) {
      return (s / 60) + " min ago";
    }
    if (s < 36 * 3600) {
      return (s / 3600) + " h ago";
    }
    return (s / 86_400) + " d ago";
  }

  private static void time(ObjectNode o, String field, Optional<Instant> t) {
    t.ifPresentOrElse(v -> o.put(field, v.toString()), () -> o.putNull(field));
  }
}

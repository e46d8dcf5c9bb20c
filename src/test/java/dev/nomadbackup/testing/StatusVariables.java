package dev.nomadbackup.testing;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Backup statuses written straight into Nomad, as the operator stores them (the items of the
 * Variable {@code nomad-backup-operator/status/<job>}): for a status no run on a client-less
 * agent can produce, and for the {@code status} command, which needs no operator. Written with the
 * test's own client, so a change of the stored form shows up as a failing test.
 */
public final class StatusVariables {
  private static final ObjectMapper JSON = new ObjectMapper();

  private StatusVariables() {}

  /** A job protected a day ago whose last run, ended {@code ago} before now, succeeded. */
  public static Map<String, String> succeeded(String namespace, String job, String schedule, Duration ago) {
    Instant end = Instant.now().minus(ago).truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
    Instant launch = end.minusSeconds(42);
    Map<String, String> items = base(namespace, job, schedule, end.minus(Duration.ofDays(1)));
    putLastRun(items, job, launch, end, "succeeded");
    items.put("last_success", end.toString());
    items.put("runs_succeeded", "3");
    return items;
  }

  /** A job whose last run failed with {@code reason} and exit code 1, after an earlier success. */
  public static Map<String, String> failed(String namespace, String job, String schedule, String reason) {
    Instant end = Instant.now().minus(Duration.ofMinutes(10)).truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
    Instant launch = end.minusSeconds(7);
    Map<String, String> items = base(namespace, job, schedule, end.minus(Duration.ofDays(2)));
    putLastRun(items, job, launch, end, "failed");
    items.put("last_run_reason", reason);
    items.put("last_run_exit_code", "1");
    items.put("last_success", end.minus(Duration.ofDays(1)).toString());
    items.put("last_failure", end.toString());
    items.put("consecutive_failures", "1");
    items.put("runs_succeeded", "1");
    items.put("runs_failed", "1");
    return items;
  }

  private static void putLastRun(Map<String, String> items, String job, Instant launch, Instant end, String outcome) {
    items.put("last_run_id", "backup-" + job + "/periodic-" + launch.getEpochSecond());
    items.put("last_run_launch", launch.toString());
    items.put("last_run_end", end.toString());
    items.put("last_run_outcome", outcome);
  }

  private static Map<String, String> base(String namespace, String job, String schedule, Instant since) {
    Map<String, String> items = new LinkedHashMap<>();
    items.put("namespace", namespace);
    items.put("job", job);
    items.put("backup_job", "backup-" + job);
    items.put("schedule", schedule);
    items.put("time_zone", "");
    items.put("suspended", "false");
    items.put("since", since.toString());
    items.put("consecutive_failures", "0");
    items.put("runs_succeeded", "0");
    items.put("runs_failed", "0");
    return items;
  }

  /** Writes the status of {@code job} (a plain ID: letters, digits, {@code -_~}). */
  public static void write(TestNomad nomad, String namespace, String job, Map<String, String> items) {
    ObjectNode body = JSON.createObjectNode().put("Namespace", namespace).put("Path", path(job));
    ObjectNode values = body.putObject("Items");
    items.forEach(values::put);
    nomad.send("PUT", "/v1/var/" + path(job) + "?namespace=" + enc(namespace), body);
  }

  /** Removes it; no error when it is gone already (the operator removes it with the backup). */
  public static void delete(TestNomad nomad, String namespace, String job) {
    try {
      nomad.send("DELETE", "/v1/var/" + path(job) + "?namespace=" + enc(namespace), null);
    } catch (TestNomad.NomadError e) {
      if (e.status != 404) {
        throw e;
      }
    }
  }

  public static String path(String job) {
    if (!job.matches("[A-Za-z0-9_~-]{1,96}")) {
      throw new IllegalArgumentException("only plain job IDs here: " + job);
    }
    return "nomad-backup-operator/status/" + job;
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }
}

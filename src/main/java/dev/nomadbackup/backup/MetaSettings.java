package dev.nomadbackup.backup;

import dev.nomadbackup.nomad.NomadJob;
import dev.nomadbackup.nomad.NomadJob.PlacedMeta;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Reads the backup settings from a job's meta. Where {@code auto-backup} is decides: the job-level
 * meta block is the contract; where the keys appear only in groups or tasks (as in the article's
 * example), they count when every block that declares them says the same. Settings split between
 * levels (other {@code backup-*} keys in the job's meta, {@code auto-backup} in a task's) are an
 * error that names both, never a silent opt-out.
 */
final class MetaSettings {
  static final String AUTO_BACKUP = "auto-backup";
  static final String SCHEDULE = "backup-schedule";
  static final String TARGET_DB = "backup-target-db";
  static final String TEMPLATE = "backup-template";
  static final String KEEP = "backup-keep";
  static final String SUSPEND = "backup-suspend";
  static final String IMMEDIATE = "backup-immediate";
  static final String DEFAULT_KIND = "postgres";
  /** More dumps than this is surely a typo; a year of hourly backups is less. */
  static final int MOST_KEPT = 10_000;

  private MetaSettings() {}

  /**
   * True when the job-level meta alone decides the settings: it declares {@code auto-backup}, so
   * the groups' and tasks' meta are not looked at (and a job list stub, which lacks them, is
   * enough). A job with no backup key at all in its own meta needs its groups and tasks read.
   */
  static boolean decidedByJobMeta(NomadJob job) {
    return job.meta().containsKey(AUTO_BACKUP);
  }

  static Settings read(NomadJob job) {
    Map<String, String> jobKeys = backupKeys(job.meta());
    if (jobKeys.containsKey(AUTO_BACKUP)) {
      return fromKeys(jobKeys, "job");
    }
    if (!jobKeys.isEmpty()) {
      for (PlacedMeta placed : job.innerMeta()) {
        if (placed.meta().containsKey(AUTO_BACKUP)) {
          return new Settings.Invalid(AUTO_BACKUP + " is in " + placed.place() + " but " + String.join(", ",
              jobKeys.keySet()) + " in the job's meta; put the backup settings in one meta block");
        }
      }
      return fromKeys(jobKeys, "job");
    }
    List<PlacedMeta> declaring = new ArrayList<>();
    for (PlacedMeta placed : job.innerMeta()) {
      if (!backupKeys(placed.meta()).isEmpty()) {
        declaring.add(placed);
      }
    }
    if (declaring.isEmpty()) {
      return new Settings.OptedOut("no " + AUTO_BACKUP + " in its meta");
    }
    Map<String, String> first = backupKeys(declaring.get(0).meta());
    for (PlacedMeta other : declaring.subList(1, declaring.size())) {
      if (!first.equals(backupKeys(other.meta()))) {
        return new Settings.Invalid(
            "backup settings disagree between " + declaring.get(0).place() + " and " + other.place()
                + "; put them in the job's meta block");
      }
    }
    return fromKeys(first, declaring.get(0).place());
  }

  private static Settings fromKeys(Map<String, String> keys, String where) {
    String raw = keys.get(AUTO_BACKUP);
    if (raw == null) {
      return new Settings.OptedOut(AUTO_BACKUP + " is not set (" + where + " has other backup keys)");
    }
    Optional<Boolean> enabled = parseBool(raw);
    if (enabled.isEmpty()) {
      return new Settings.Invalid(
          AUTO_BACKUP + " = \"" + raw + "\" is not a boolean (use true, false, 1 or 0)");
    }
    if (!enabled.get()) {
      return new Settings.OptedOut(AUTO_BACKUP + " = " + raw);
    }
    String schedule = keys.getOrDefault(SCHEDULE, "").trim();
    if (schedule.isEmpty()) {
      return new Settings.Invalid(SCHEDULE + " is required when " + AUTO_BACKUP + " is true");
    }
    String keep = keys.getOrDefault(KEEP, "").trim();
    if (!keep.isEmpty() && !keep.matches("[0-9]{1,9}")
        || !keep.isEmpty() && (Integer.parseInt(keep) < 1 || Integer.parseInt(keep) > MOST_KEPT)) {
      return new Settings.Invalid(KEEP + " = \"" + keep + "\" is not a number of dumps from 1 to " + MOST_KEPT);
    }
    Optional<Boolean> suspended = flag(keys, SUSPEND);
    Optional<Boolean> immediate = flag(keys, IMMEDIATE);
    if (suspended.isEmpty() || immediate.isEmpty()) {
      String key = suspended.isEmpty() ? SUSPEND : IMMEDIATE;
      return new Settings.Invalid(key + " = \"" + keys.get(key) + "\" is not a boolean (use true, false, 1 or 0)");
    }
    String kind = keys.getOrDefault(TEMPLATE, "").trim();
    return new Settings.OptedIn(schedule, keys.getOrDefault(TARGET_DB, ""), keys, where,
        kind.isEmpty() ? DEFAULT_KIND : kind, suspended.get(), immediate.get());
  }

  /** A boolean setting: false when absent or empty, empty when it is not a boolean. */
  private static Optional<Boolean> flag(Map<String, String> keys, String key) {
    String raw = keys.getOrDefault(key, "");
    return raw.isBlank() ? Optional.of(false) : parseBool(raw);
  }

  /** {@code auto-backup} and every {@code backup-*} key, sorted, without the operator's own. */
  private static Map<String, String> backupKeys(Map<String, String> meta) {
    Map<String, String> keys = new TreeMap<>();
    meta.forEach(
        (k, v) -> {
          if (k.equals(AUTO_BACKUP)
              || (k.startsWith(Ownership.PREFIX) && !k.startsWith(Ownership.RESERVED_PREFIX))) {
            keys.put(k, v);
          }
        });
    return keys.isEmpty() ? Map.of() : new LinkedHashMap<>(keys);
  }

  /** Go's strconv.ParseBool, which is what Nomad users know from the CLI. */
  static Optional<Boolean> parseBool(String value) {
    return switch (value.trim()) {
      case "1", "t", "T", "TRUE", "true", "True" -> Optional.of(true);
      case "0", "f", "F", "FALSE", "false", "False" -> Optional.of(false);
      default -> Optional.empty();
    };
  }
}

package dev.nomadbackup.status;

import dev.nomadbackup.nomad.Failures;
import dev.nomadbackup.nomad.JobKey;
import dev.nomadbackup.nomad.NomadApiException;
import dev.nomadbackup.nomad.VariableStore;
import dev.nomadbackup.nomad.VariableStore.Variable;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The backup status of every protected job, kept in one Nomad Variable per job in the job's own
 * namespace ({@value #PREFIX}{@code <job>}). A Variable is written only when what it holds changes
 * in a way that matters later: the schedule, a suspension, a run that finished or cannot be
 * placed; a run that merely starts is known here and not written, so a run costs one write. A
 * newly protected job's first write happens in the background.
 */
public final class StatusBook {
  private static final Logger log = LoggerFactory.getLogger(StatusBook.class);
  /** Where the statuses live, under the operator's own variables. */
  public static final String PREFIX = "nomad-backup-operator/status/";
  private static final Pattern PLAIN = Pattern.compile("[A-Za-z0-9_~-]{1,96}");

  /**
   * A status as known here, what of it is stored, and the stored variable's modify index: {@link
   * #LOADED} when read in a listing without its index, {@link #NOT_STORED} before the background
   * adoption of a newly protected job has looked at Nomad.
   */
  private record Entry(BackupStatus status, Map<String, String> stored, long modifyIndex) {}

  private static final long LOADED = -1;
  private static final long NOT_STORED = -2;

  private final VariableStore vars;
  private final Clock clock;
  private final boolean dryRun;
  private final Executor background;
  private final Map<JobKey, Entry> entries = new ConcurrentHashMap<>();

  /**
   * @param dryRun keep statuses in memory only
   * @param background where a newly protected job's status is first read and stored, off the
   *     reconciler's way (a new backup job costs its reconcile no Variable call)
   */
  public StatusBook(VariableStore vars, Clock clock, boolean dryRun, Executor background) {
    this.vars = vars;
    this.clock = clock;
    this.dryRun = dryRun;
    this.background = background;
  }

  /**
   * Reads every stored status, replacing what was known (but for jobs protected since, which
   * adopt what Nomad holds on their own): at the start of each leadership term, in the background.
   */
  public void load() throws IOException {
    List<BackupStatus> all = readAll(vars);
    synchronized (this) {
      Map<JobKey, Entry> loaded = new HashMap<>();
      for (BackupStatus status : all) {
        loaded.put(new JobKey(status.namespace(), status.job()), new Entry(status, status.items(), LOADED));
      }
      // a job protected since the term began is adopted on its own: what it merges is newer
      entries.entrySet().removeIf(e -> e.getValue().modifyIndex() != NOT_STORED && !loaded.containsKey(e.getKey()));
      loaded.forEach((key, entry) -> {
        Entry now = entries.get(key);
        if (now == null || now.modifyIndex() != NOT_STORED) {
          entries.put(key, entry);
        }
      });
    }
  }

  /** Every status stored in Nomad, read without an operator (the {@code status} command). */
  public static List<BackupStatus> readAll(VariableStore vars) throws IOException {
    List<BackupStatus> all = new ArrayList<>();
    for (Variable listed : vars.list("*", PREFIX)) {
      Optional<Variable> v = vars.read(listed.namespace(), listed.path());
      if (v.isEmpty()) {
        continue; // removed between the list and the read
      }
      Optional<BackupStatus> status = BackupStatus.fromItems(v.get().items());
      if (status.isEmpty()) {
        log.warn("Skipped variable {} in {}: not a backup status", listed.path(), listed.namespace());
        continue;
      }
      all.add(status.get());
    }
    all.sort(Comparator.comparing(BackupStatus::namespace).thenComparing(BackupStatus::job));
    return all;
  }

  /** Every known status, by namespace and job. */
  public List<BackupStatus> all() {
    List<BackupStatus> all = new ArrayList<>();
    entries.values().forEach(e -> all.add(e.status()));
    all.sort(Comparator.comparing(BackupStatus::namespace).thenComparing(BackupStatus::job));
    return all;
  }

  public Optional<BackupStatus> get(JobKey source) {
    return Optional.ofNullable(entries.get(source)).map(Entry::status);
  }

  /** True when the run {@code runId} of {@code source} is known to be finished: nothing to read. */
  public boolean knowsFinished(JobKey source, String runId) {
    return get(source).filter(s -> s.knowsFinished(runId)).isPresent();
  }

  /**
   * {@code source} is protected by {@code backupJob} with this schedule; {@code timeZone} is empty
   * when unknown (the job was not rendered this time), and then kept as it was.
   */
  public synchronized void protect(JobKey source, String backupJob, String schedule, Optional<String> timeZone,
      boolean suspended) throws IOException {
    Entry e = entries.get(source);
    if (e == null) {
      entries.put(source, new Entry(BackupStatus.protect(source.namespace(), source.jobId(), backupJob, schedule,
          timeZone.orElse(""), suspended, clock.instant()), Map.of(), NOT_STORED));
      background.execute(() -> adopt(source));
      return;
    }
    store(source, e, e.status().withSchedule(backupJob, schedule, timeZone, suspended));
  }

  /**
   * Stores a newly protected job's status, on top of what Nomad already holds for it (the load at
   * the term's start failed, or the job was protected before and is again): that history counts.
   */
  private void adopt(JobKey source) {
    try {
      Optional<Entry> found = stored(source);
      synchronized (this) {
        Entry e = entries.get(source);
        if (e != null && e.modifyIndex() == NOT_STORED) {
          merge(source, e, found); // else unprotected meanwhile, or a finished run adopted it already
        }
      }
    } catch (IOException | RuntimeException e) {
      log.warn("Cannot store the backup status of {}: {}", source, Failures.describe(e));
    }
  }

  /** Stores {@code e}, new here, on top of {@code found}, what Nomad holds for the job. */
  private Entry merge(JobKey source, Entry e, Optional<Entry> found) throws IOException {
    BackupStatus now = e.status();
    if (found.isEmpty()) {
      store(source, new Entry(now, Map.of(), 0), now);
      return entries.get(source);
    }
    BackupStatus merged = found.get().status()
        .withSchedule(now.backupJob(), now.schedule(), Optional.of(now.timeZone()), now.suspended());
    if (now.lastRun().isPresent()) {
      merged = merged.withRun(now.lastRun().get());
    }
    store(source, found.get(), merged);
    return entries.get(source);
  }

  private Optional<Entry> stored(JobKey source) throws IOException {
    Optional<Variable> v = vars.read(source.namespace(), path(source.jobId()));
    return v.flatMap(found -> BackupStatus.fromItems(found.items())
        .map(status -> new Entry(status, found.items(), found.modifyIndex())));
  }

  /** What a run of {@code source}'s backup job is now. */
  public synchronized void record(JobKey source, Run run) throws IOException {
    Entry e = entries.get(source);
    if (e == null) {
      return; // not protected (any more): a late run of a removed backup
    }
    if (e.modifyIndex() == NOT_STORED) {
      e = merge(source, e, stored(source)); // the history Nomad holds comes first: nothing is counted twice
    }
    BackupStatus before = e.status();
    BackupStatus after = before.withRun(run);
    if (after.equals(before)) {
      return;
    }
    boolean finishedNow = run.outcome().finished() && !before.knowsFinished(run.id());
    boolean placementNews = run.outcome() == RunOutcome.NOT_PLACED
        && !before.lastRun().filter(r -> r.id().equals(run.id()) && r.outcome() == RunOutcome.NOT_PLACED).isPresent();
    if (finishedNow || placementNews) {
      store(source, e, after);
    } else {
      entries.put(source, new Entry(after, e.stored(), e.modifyIndex()));
    }
    if (finishedNow) {
      logRun(after.backupJob(), source, run);
    } else if (placementNews) {
      log.warn("    Backup run not placed: {}: {}", label(source, after.backupJob()), run.reason());
    }
  }

  /** {@code source} is no longer protected: its status goes. */
  public synchronized void unprotect(JobKey source) throws IOException {
    Entry e = entries.remove(source);
    if (e != null && !dryRun) {
      vars.delete(source.namespace(), path(source.jobId()));
    }
  }

  private void store(JobKey source, Entry e, BackupStatus status) throws IOException {
    Map<String, String> items = status.items();
    if (e != null && items.equals(e.stored())) {
      entries.put(source, new Entry(status, e.stored(), e.modifyIndex()));
      return;
    }
    long index = e == null ? 0 : e.modifyIndex();
    if (!dryRun) {
      index = write(source, items, index);
    }
    entries.put(source, new Entry(status, items, index));
  }

  /** A conditional write; when it loses (a loaded entry, or a former leader's write), once more on top. */
  private long write(JobKey source, Map<String, String> items, long expected) throws IOException {
    String path = path(source.jobId());
    if (expected >= 0) { // LOADED and NOT_STORED entries do not know the index: read it
      try {
        return vars.write(source.namespace(), path, items, expected);
      } catch (NomadApiException e) {
        if (e.status() != 409) {
          throw e;
        }
      }
    }
    long current = vars.read(source.namespace(), path).map(Variable::modifyIndex).orElse(0L);
    return vars.write(source.namespace(), path, items, current);
  }

  private static void logRun(String backupJob, JobKey source, Run run) {
    String who = label(source, backupJob);
    if (run.outcome() == RunOutcome.SUCCEEDED) {
      log.info("    Backup run succeeded: {}{}", who,
          run.duration().map(d -> String.format(Locale.ROOT, " (%.1f s)", d.toMillis() / 1000.0)).orElse(""));
    } else {
      log.warn("    Backup run failed: {}: {}{}", who, run.reason().isEmpty() ? "no reason given" : run.reason(),
          run.exitCode().map(c -> " (exit " + c + ")").orElse(""));
    }
  }

  private static String label(JobKey source, String backupJob) {
    return new JobKey(source.namespace(), backupJob).toString();
  }

  /**
   * The variable path of {@code job}'s status. Nomad allows letters, digits, {@code -_~/} in a path:
   * an ID with anything else, or a long one, gets a readable part and a hash.
   */
  static String path(String job) {
    if (PLAIN.matcher(job).matches()) {
      return PREFIX + job;
    }
    String readable = job.replaceAll("[^A-Za-z0-9_~-]", "_");
    readable = readable.substring(0, Math.min(readable.length(), 64));
    return PREFIX + readable + "-" + sha(job);
  }

  private static String sha(String s) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(d, 0, 6);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }
}

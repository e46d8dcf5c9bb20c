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
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
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
 * newly protected job's first write happens in the background; a template change or a restart
 * that leaves what a status holds as it was writes nothing. A term starts from the {@link
 * StatusDigest} and reads one by one only the statuses written since it was brought in line.
 */
public final class StatusBook {
  private static final Logger log = LoggerFactory.getLogger(StatusBook.class);
  /** Where the statuses live, under the operator's own variables. */
  public static final String PREFIX = "nomad-backup-operator/status/";
  private static final Pattern PLAIN = Pattern.compile("[A-Za-z0-9_~-]{1,96}");

  /**
   * A status as known here, what of it Nomad holds ({@code stored}, empty when nothing), and the
   * stored variable's modify index (0: none stored); {@link #NOT_STORED} while a newly protected
   * job waits for the load or the background adoption to learn what Nomad holds for it.
   */
  private record Entry(BackupStatus status, Map<String, String> stored, long modifyIndex) {
    boolean known() {
      return modifyIndex != NOT_STORED;
    }
  }

  private static final long NOT_STORED = -1;

  private final VariableStore vars;
  private final Clock clock;
  private final boolean dryRun;
  private final Executor background;
  private final Map<JobKey, Entry> entries = new ConcurrentHashMap<>();
  /** True once this term's load has listed and read what Nomad holds: a job not seen then has nothing stored. */
  private volatile boolean loaded;
  /** The digest's chunks by namespace, as stored. */
  private final Map<String, List<Variable>> digestChunks = new HashMap<>();
  private final Object flushing = new Object();
  /** The namespaces where a status changed since the digest was last brought in line. */
  private final Set<String> digestBehind = ConcurrentHashMap.newKeySet();

  /**
   * @param dryRun keep statuses in memory only
   * @param background where a newly protected job's status is first stored, off the reconciler's
   *     way (a new backup job costs its reconcile no Variable call)
   */
  public StatusBook(VariableStore vars, Clock clock, boolean dryRun, Executor background) {
    this.vars = vars;
    this.clock = clock;
    this.dryRun = dryRun;
    this.background = background;
  }

  /**
   * Reads what Nomad holds, at the start of each leadership term, in the background: one listing
   * (its pages), the digest's few Variables ({@link StatusDigest}), and one read per status that
   * neither this process nor the digest knows at its listed modify index (none when the digest is
   * up to date). A job protected while the load runs gets what Nomad holds under what was learned
   * since, written only if that differs.
   */
  public void load() throws IOException {
    loaded = false;
    long started = System.nanoTime();
    Map<JobKey, Entry> before = Map.copyOf(entries);
    Map<String, JobKey> byPath = new HashMap<>();
    before.keySet().forEach(k -> byPath.put(k.namespace() + ":" + path(k.jobId()), k));
    Set<JobKey> listed = new HashSet<>();
    int reads = 0;
    int digested = 0;
    List<Variable> all = vars.list("*", PREFIX);
    Map<String, StatusDigest.Packed> packed = new HashMap<>();
    Map<String, List<Variable>> chunks = new HashMap<>();
    for (Variable meta : all) {
      if (!StatusDigest.isDigest(meta.path())) {
        continue;
      }
      Optional<Variable> chunk = vars.read(meta.namespace(), meta.path());
      if (chunk.isEmpty()) {
        continue;
      }
      chunks.computeIfAbsent(meta.namespace(), ns -> new ArrayList<>()).add(chunk.get());
      StatusDigest.decode(chunk.get().items()).ifPresentOrElse(
          list -> list.forEach(p -> packed.put(meta.namespace() + ":" + p.path(), p)),
          () -> log.warn("Skipped variable {} in {}: not a status digest", meta.path(), meta.namespace()));
    }
    synchronized (this) {
      digestChunks.clear();
      digestChunks.putAll(chunks);
    }
    for (Variable meta : all) {
      if (StatusDigest.isDigest(meta.path())) {
        continue;
      }
      JobKey known = byPath.get(meta.namespace() + ":" + meta.path());
      Entry was = known == null ? null : before.get(known);
      if (was != null && was.known() && was.modifyIndex() == meta.modifyIndex()) {
        listed.add(known); // unchanged since this process read or wrote it
        continue;
      }
      StatusDigest.Packed p = packed.get(meta.namespace() + ":" + meta.path());
      Optional<Variable> v;
      if (p != null && p.modifyIndex() == meta.modifyIndex()) {
        digested++;
        v = Optional.of(new Variable(meta.namespace(), meta.path(), p.items(), p.modifyIndex()));
      } else {
        reads++;
        v = vars.read(meta.namespace(), meta.path());
      }
      Optional<BackupStatus> status = v.flatMap(found -> BackupStatus.fromItems(found.items()));
      if (status.isEmpty()) {
        if (v.isPresent()) {
          log.warn("Skipped variable {} in {}: not a backup status", meta.path(), meta.namespace());
        }
        continue; // removed between the list and the read, or written by hand
      }
      JobKey key = new JobKey(status.get().namespace(), status.get().job());
      listed.add(key);
      Entry found = new Entry(status.get(), v.get().items(), v.get().modifyIndex());
      synchronized (this) {
        Entry now = entries.get(key);
        if (now != null && !now.known()) {
          merge(key, now, Optional.of(found)); // protected meanwhile: what it learned goes on top
        } else if (now == null || now == before.get(key) || now.modifyIndex() < found.modifyIndex()) {
          entries.put(key, found);
        }
      }
    }
    synchronized (this) {
      // gone from Nomad (unprotected by another leader, removed by hand), unless written here since
      before.forEach((key, was) -> {
        if (!listed.contains(key) && entries.get(key) == was && was.modifyIndex() > 0) {
          entries.remove(key);
        }
      });
      loaded = true;
    }
    // compared with what it holds at the next flush; written only where it differs
    entries.keySet().forEach(k -> digestBehind.add(k.namespace()));
    digestBehind.addAll(chunks.keySet());
    log.info("Backup statuses loaded in {} ms: {} from the digest ({} variables), {} read one by one",
        (System.nanoTime() - started) / 1_000_000, digested, chunks.values().stream().mapToInt(List::size).sum(),
        reads);
  }

  /**
   * Brings the digest in line with the statuses known here, namespace by namespace: writes only the
   * chunks whose content changed and removes the ones no longer needed. Called now and then while
   * leading, and as a term ends; the statuses themselves are written as they change, so a digest
   * that is behind costs a later start reads, never a wrong status.
   */
  public void flushDigest() throws IOException {
    synchronized (flushing) { // one flush at a time; statuses change meanwhile
      flushBehind();
    }
  }

  private void flushBehind() throws IOException {
    if (dryRun || !loaded || digestBehind.isEmpty()) {
      return;
    }
    Set<String> behind = new HashSet<>(digestBehind);
    digestBehind.removeAll(behind); // a change from now on marks its namespace again
    Map<String, List<StatusDigest.Packed>> byNamespace = new TreeMap<>();
    Map<String, List<Variable>> stored;
    synchronized (this) {
      entries.forEach((key, e) -> {
        if (e.modifyIndex() > 0 && behind.contains(key.namespace())) {
          byNamespace.computeIfAbsent(key.namespace(), ns -> new ArrayList<>())
              .add(new StatusDigest.Packed(path(key.jobId()), e.modifyIndex(), e.stored()));
        }
      });
      stored = new HashMap<>(digestChunks);
    }
    behind.forEach(ns -> byNamespace.putIfAbsent(ns, List.of()));
    int written = 0;
    int removed = 0;
    for (Map.Entry<String, List<StatusDigest.Packed>> ns : byNamespace.entrySet()) {
      try {
        Flushed done = flush(ns.getKey(), ns.getValue(), stored.getOrDefault(ns.getKey(), List.of()));
        written += done.written();
        removed += done.removed();
      } catch (IOException | RuntimeException e) {
        digestBehind.add(ns.getKey()); // tried again at the next flush
        throw e;
      }
    }
    if (written + removed > 0) {
      log.debug("Status digest: {} variables written, {} removed", written, removed);
    }
  }

  /** How many digest variables one flush wrote and removed. */
  private record Flushed(int written, int removed) {}

  /** Brings {@code namespace}'s chunks ({@code stored}) in line with {@code statuses}. */
  private Flushed flush(String namespace, List<StatusDigest.Packed> statuses, List<Variable> stored) throws IOException {
    Map<String, Variable> was = new HashMap<>();
    stored.forEach(v -> was.put(v.path(), v));
    List<Map<String, String>> chunks = StatusDigest.encode(statuses);
    List<Variable> now = new ArrayList<>();
    int written = 0;
    for (int n = 0; n < chunks.size(); n++) {
      String path = StatusDigest.chunkPath(n);
      Variable old = was.remove(path);
      if (old != null && old.items().equals(chunks.get(n))) {
        now.add(old);
        continue;
      }
      long index;
      try {
        index = vars.write(namespace, path, chunks.get(n), old == null ? 0 : old.modifyIndex());
      } catch (NomadApiException e) {
        if (e.status() != 409) {
          throw e;
        }
        // written by a former leader: a cache, so the leader's replaces it
        long current = vars.read(namespace, path).map(Variable::modifyIndex).orElse(0L);
        index = vars.write(namespace, path, chunks.get(n), current);
      }
      written++;
      now.add(new Variable(namespace, path, chunks.get(n), index));
    }
    for (Variable extra : was.values()) {
      vars.delete(namespace, extra.path());
    }
    synchronized (this) {
      if (now.isEmpty()) {
        digestChunks.remove(namespace);
      } else {
        digestChunks.put(namespace, now);
      }
    }
    return new Flushed(written, was.size());
  }

  /** Every status stored in Nomad, read without an operator (the {@code status} command). */
  public static List<BackupStatus> readAll(VariableStore vars) throws IOException {
    List<BackupStatus> all = new ArrayList<>();
    for (Variable listed : vars.list("*", PREFIX)) {
      if (StatusDigest.isDigest(listed.path())) {
        continue;
      }
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

  /**
   * Every status known to be what Nomad holds or what happened since, by namespace and job. A job
   * protected before what Nomad holds for it is known is left out until it is: shown as new, its
   * history would be a lie.
   */
  public List<BackupStatus> all() {
    List<BackupStatus> all = new ArrayList<>();
    entries.values().stream().filter(Entry::known).forEach(e -> all.add(e.status()));
    all.sort(Comparator.comparing(BackupStatus::namespace).thenComparing(BackupStatus::job));
    return all;
  }

  public Optional<BackupStatus> get(JobKey source) {
    return Optional.ofNullable(entries.get(source)).filter(Entry::known).map(Entry::status);
  }

  /** The last run of {@code source} as known here, whether or not it is stored yet. */
  Optional<Run> lastRun(JobKey source) {
    return Optional.ofNullable(entries.get(source)).flatMap(e -> e.status().lastRun());
  }

  /** True when the run {@code runId} of {@code source} is known to be finished: nothing to read. */
  public boolean knowsFinished(JobKey source, String runId) {
    return get(source).filter(s -> s.knowsFinished(runId)).isPresent();
  }

  /**
   * {@code source} is protected by {@code backupJob} with this schedule; {@code timeZone} is empty
   * when unknown (the job was not rendered this time), and then kept as it was. Writes only when
   * what is stored changes.
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
    BackupStatus after = e.status().withSchedule(backupJob, schedule, timeZone, suspended);
    if (!e.known()) {
      entries.put(source, new Entry(after, e.stored(), NOT_STORED)); // stored once Nomad's is known
      return;
    }
    store(source, e, after);
  }

  /**
   * Stores a newly protected job's status, on top of what Nomad already holds for it (the job was
   * protected before, and this term's load has not read it yet or failed): that history counts.
   * After a load, a job it did not see has nothing stored: no read.
   */
  private void adopt(JobKey source) {
    try {
      synchronized (this) {
        Entry e = entries.get(source);
        if (e == null || e.known()) {
          return; // unprotected meanwhile, or the load or a finished run adopted it already
        }
        if (loaded) {
          merge(source, e, Optional.empty());
          return;
        }
      }
      Optional<Entry> found = stored(source);
      synchronized (this) {
        Entry e = entries.get(source);
        if (e != null && !e.known()) {
          merge(source, e, found);
        }
      }
    } catch (IOException | RuntimeException e) {
      log.warn("Cannot store the backup status of {}: {}", source, Failures.describe(e));
    }
  }

  /** Stores {@code e}, learned here, on top of {@code found}, what Nomad holds for the job. */
  private Entry merge(JobKey source, Entry e, Optional<Entry> found) throws IOException {
    Entry under = found.orElse(new Entry(null, Map.of(), 0));
    store(source, under, onTop(under.status(), e.status()));
    return entries.get(source);
  }

  /**
   * What was learned here ({@code now}: the schedule, and a run) on top of what Nomad holds ({@code
   * stored}, null when nothing or not a status): its history, its {@code since}, and its time zone
   * when {@code now} has none.
   */
  private static BackupStatus onTop(BackupStatus stored, BackupStatus now) {
    if (stored == null) {
      return now;
    }
    Optional<String> timeZone = now.timeZone().isEmpty() ? Optional.empty() : Optional.of(now.timeZone());
    BackupStatus merged = stored.withSchedule(now.backupJob(), now.schedule(), timeZone, now.suspended());
    return now.lastRun().map(merged::withRun).orElse(merged);
  }

  /** What Nomad holds for {@code source}: a variable that is not a status counts as none, at its index. */
  private Optional<Entry> stored(JobKey source) throws IOException {
    Optional<Variable> v = vars.read(source.namespace(), path(source.jobId()));
    if (v.isEmpty()) {
      return Optional.empty();
    }
    Optional<BackupStatus> status = BackupStatus.fromItems(v.get().items());
    if (status.isEmpty()) {
      log.warn("Replacing variable {} in {}: not a backup status", v.get().path(), source.namespace());
      return Optional.of(new Entry(null, v.get().items(), v.get().modifyIndex()));
    }
    return Optional.of(new Entry(status.get(), v.get().items(), v.get().modifyIndex()));
  }

  /** What a run of {@code source}'s backup job is now. */
  public synchronized void record(JobKey source, Run run) throws IOException {
    Entry e = entries.get(source);
    if (e == null) {
      return; // not protected (any more): a late run of a removed backup
    }
    if (!e.known()) {
      // the history Nomad holds comes first: nothing is counted twice
      e = merge(source, e, loaded ? Optional.empty() : stored(source));
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
      digestBehind.add(source.namespace());
    }
  }

  /**
   * Stores {@code status} over {@code e}, known, unless Nomad already holds just that. The write is
   * conditional on {@code e}'s index; when it loses (a former leader's write, a hand edit), what
   * was learned here goes on top of what Nomad holds, once.
   */
  private void store(JobKey source, Entry e, BackupStatus status) throws IOException {
    Map<String, String> items = status.items();
    if (items.equals(e.stored())) {
      entries.put(source, new Entry(status, e.stored(), e.modifyIndex()));
      return;
    }
    if (dryRun) {
      entries.put(source, new Entry(status, items, e.modifyIndex()));
      return;
    }
    String path = path(source.jobId());
    long index;
    try {
      index = vars.write(source.namespace(), path, items, e.modifyIndex());
    } catch (NomadApiException conflict) {
      if (conflict.status() != 409) {
        throw conflict;
      }
      Optional<Entry> found = stored(source);
      status = onTop(found.map(Entry::status).orElse(null), status);
      items = status.items();
      long current = found.map(Entry::modifyIndex).orElse(0L);
      index = found.isPresent() && items.equals(found.get().stored())
          ? current : vars.write(source.namespace(), path, items, current);
    }
    entries.put(source, new Entry(status, items, index));
    digestBehind.add(source.namespace());
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

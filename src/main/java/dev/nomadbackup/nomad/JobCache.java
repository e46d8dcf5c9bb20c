package dev.nomadbackup.nomad;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * What the operator last heard about each job, from listings, the event stream, its own reads and
 * its own writes, so that a reconcile needs no read when nothing changed.
 *
 * <p>Every piece of knowledge carries the Raft index it is valid at, and older news never replaces
 * newer news: a listing taken before an event that arrives after it does not undo the event. A job
 * is <em>known absent</em> when the last listing of its namespace did not have it (and nothing
 * since says otherwise) or a read found nothing; it is <em>unknown</em> before any listing of its
 * namespace, after a deregistration event (whether it was stopped or purged is only known by
 * reading it), and after a failure. Staleness is harmless for the operator's own backup jobs,
 * because every write is conditional on the modify index. All methods are thread-safe.
 */
public final class JobCache {
  private static final String ALL_NAMESPACES = "*";

  /** One job's state: present ({@code job} set), known absent, or unknown. */
  private record Entry(NomadJob job, boolean known, long index) {
    static Entry present(NomadJob job) {
      return new Entry(job, true, job.modifyIndex());
    }

    boolean present() {
      return job != null;
    }
  }

  /** What the cache knows of a job: nothing, that it does not exist, or what it is. */
  public sealed interface Lookup {
    /** Nothing trustworthy: read the job from Nomad. */
    record Unknown() implements Lookup {}

    /** Known not to exist. */
    record Absent() implements Lookup {}

    /** Known as {@code job}, which may be a job list stub (see {@link NomadJob#complete()}). */
    record Present(NomadJob job) implements Lookup {}
  }

  private static final Lookup UNKNOWN = new Lookup.Unknown();
  private static final Lookup ABSENT = new Lookup.Absent();

  private final Map<JobKey, Entry> entries = new HashMap<>();
  // the keys of entries whose ID has a slash, in order: the runs of a job are the ones after "<job>/"
  private final NavigableSet<JobKey> slashed =
      new TreeSet<>(Comparator.comparing(JobKey::namespace).thenComparing(JobKey::jobId));
  private final Map<String, Long> listedAt = new HashMap<>();
  private long clock;
  private volatile String region;

  /** What is known of {@code key}. */
  public synchronized Lookup lookup(JobKey key) {
    Entry e = entries.get(key);
    if (e != null) {
      return !e.known() ? UNKNOWN : e.present() ? new Lookup.Present(e.job()) : ABSENT;
    }
    return covered(key.namespace()) ? ABSENT : UNKNOWN;
  }

  /** The region of the jobs seen in full: every job the operator watches shares it. */
  public Optional<String> region() {
    return Optional.ofNullable(region);
  }

  /** Applies a listing of {@code namespace} ({@code *} for all), unless a later one was applied already. */
  public synchronized void listed(String namespace, JobList list) {
    long at = list.index();
    if (at < listedAt.getOrDefault(namespace, -1L)) {
      return;
    }
    Set<JobKey> seen = new HashSet<>();
    for (NomadJob stub : list.jobs()) {
      JobKey key = new JobKey(stub.namespace(), stub.id());
      seen.add(key);
      Entry e = entries.get(key);
      if (e != null && e.present() && e.job().modifyIndex() > stub.modifyIndex()) {
        continue; // an event or a write newer than the listing
      }
      if (e != null && !e.present() && e.index() > at) {
        continue; // deregistered after the listing
      }
      boolean sameSpec = e != null && e.present() && e.job().jobModifyIndex() == stub.jobModifyIndex();
      if (sameSpec && e.job().complete() && !stub.complete()) {
        set(key, Entry.present(e.job().withStatusOf(stub))); // keep its groups, region and version
      } else if (sameSpec && stub.version() < 0 && e.job().version() >= 0) {
        set(key, Entry.present(stub.withVersion(e.job().version()))); // the spec, and so its version, is the same
      } else {
        set(key, Entry.present(stub));
      }
    }
    for (Iterator<Map.Entry<JobKey, Entry>> it = entries.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<JobKey, Entry> me = it.next();
      if (seen.contains(me.getKey()) || !inNamespace(me.getKey(), namespace)) {
        continue;
      }
      Entry e = me.getValue();
      long validAt = e.present() ? e.job().modifyIndex() : e.index();
      if (validAt <= at) {
        it.remove(); // gone at the listing's index: known absent from now on
        slashed.remove(me.getKey());
      }
    }
    listedAt.put(namespace, at);
    tick(at);
  }

  /** A job as an event carried it. */
  public synchronized void observed(NomadJob job) {
    learnRegion(job);
    put(job);
  }

  private void put(NomadJob job) {
    JobKey key = new JobKey(job.namespace(), job.id());
    Entry e = entries.get(key);
    boolean newer = e == null
        || (e.present() ? e.job().modifyIndex() <= job.modifyIndex() : !e.known() || e.index() <= job.modifyIndex());
    if (newer) {
      set(key, Entry.present(job));
    }
    tick(job.modifyIndex());
  }

  /** Something happened to {@code key} at {@code index} that only a read can tell. */
  public synchronized void invalidate(JobKey key, long index) {
    tick(index);
    set(key, new Entry(null, false, Math.max(index, clock)));
  }

  /** The index of the newest news so far; take it before a read, and give it to {@link #read}. */
  public synchronized long stamp() {
    return clock;
  }

  /** What a read of {@code key}, started when the cache's {@link #stamp} was {@code before}, found. */
  public synchronized void read(JobKey key, Optional<NomadJob> job, long before) {
    Entry e = entries.get(key);
    if (job.isEmpty() && e != null && e.present() && e.job().modifyIndex() > before) {
      return; // registered after the read looked: the event's news is newer
    }
    if (job.isPresent()) {
      learnRegion(job.get());
      if (e == null || !e.present() || e.job().modifyIndex() <= job.get().modifyIndex()) {
        set(key, Entry.present(job.get()));
      }
      tick(job.get().modifyIndex());
    } else {
      set(key, new Entry(null, true, e == null ? clock : Math.max(e.index(), clock)));
    }
  }

  /**
   * The operator registered {@code job}; Nomad answered with its new modify index. (What was sent
   * says nothing of the cluster's region: a template may leave it to Nomad's default.)
   */
  public synchronized void written(NomadJob job) {
    put(job);
  }

  /** The operator purged {@code key}. */
  public synchronized void purged(JobKey key, long index) {
    // an event of the job's registration that arrives after this is older news: it stays purged
    set(key, new Entry(null, true, Math.max(index, clock + 1)));
    tick(index);
  }

  /** Forgets {@code key}: the next look at it reads it from Nomad. */
  public synchronized void forget(JobKey key) {
    set(key, new Entry(null, false, clock));
  }

  /**
   * Adds what a listing of versions ({@link JobStore#versions}) says: a stub of the same modify
   * index as a version there is of that version. A job changed since either was taken stays
   * without one.
   */
  public synchronized void versions(List<JobStore.JobVersion> versions) {
    for (JobStore.JobVersion v : versions) {
      Entry e = entries.get(v.key());
      if (e != null && e.present() && e.job().version() < 0 && e.job().modifyIndex() == v.modifyIndex()) {
        set(v.key(), Entry.present(e.job().withVersion(v.version())));
      }
    }
  }

  /**
   * The runs (periodic and dispatched children) of {@code parent}, as far as the cache knows them:
   * empty when it cannot tell, because its namespace was never listed or a job that may be one of
   * them is unknown. A run launched so recently that its event has not arrived is not among them.
   */
  public synchronized Optional<List<NomadJob>> children(JobKey parent) {
    if (!covered(parent.namespace())) {
      return Optional.empty();
    }
    List<NomadJob> children = new ArrayList<>();
    // every ID that starts with "<parent>/" ('0' is the character after '/')
    for (JobKey key : slashed.subSet(new JobKey(parent.namespace(), parent.jobId() + "/"), true,
        new JobKey(parent.namespace(), parent.jobId() + "0"), false)) {
      Entry e = entries.get(key);
      if (!e.known()) {
        return Optional.empty();
      }
      if (e.present() && e.job().parentId().filter(parent.jobId()::equals).isPresent()) {
        children.add(e.job());
      }
    }
    return Optional.of(children);
  }

  private void set(JobKey key, Entry entry) {
    entries.put(key, entry);
    if (key.jobId().indexOf('/') >= 0) {
      slashed.add(key);
    }
  }

  /** How many jobs are cached (present or remembered as absent or unknown). */
  public synchronized int size() {
    return entries.size();
  }

  private boolean covered(String namespace) {
    return listedAt.containsKey(ALL_NAMESPACES) || listedAt.containsKey(namespace);
  }

  private static boolean inNamespace(JobKey key, String namespace) {
    return ALL_NAMESPACES.equals(namespace) || key.namespace().equals(namespace);
  }

  private void learnRegion(NomadJob job) {
    if (job.complete() && job.region().isPresent()) {
      region = job.region().get();
    }
  }

  private void tick(long index) {
    clock = Math.max(clock, index);
  }
}

package dev.nomadbackup.backup;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nomadbackup.backup.template.BackupTemplate;
import dev.nomadbackup.backup.template.TemplateCatalog;
import dev.nomadbackup.backup.template.TemplateException;
import dev.nomadbackup.backup.template.TemplateValues;
import dev.nomadbackup.controller.Outcome;
import dev.nomadbackup.controller.Reconciler;
import dev.nomadbackup.nomad.JobCache;
import dev.nomadbackup.nomad.JobKey;
import dev.nomadbackup.nomad.JobStore;
import dev.nomadbackup.nomad.NomadApiException;
import dev.nomadbackup.nomad.NomadJob;
import java.io.IOException;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps {@code backup-<id>} and {@code restore-<id>} in step with job {@code <id>}: registers them
 * from the job's template pair while it opts in, removes them (and their runs that are not running)
 * when it opts out, stops or is gone. Writes only when the rendered spec differs from what the job
 * carries, and never touches a job it does not own.
 *
 * <p>It takes what the {@link JobCache} knows (the sources feed it with listings and events) and
 * reads from Nomad only the rest: a job nothing was heard of since a deregistration or a failure,
 * and a listed job whose settings could sit in its groups' or tasks' meta, which a listing does not
 * carry. The versions of its own jobs, which listings lack too, come from one listing of versions
 * per namespace and term ({@link OwnedVersions}). Its own writes go into the cache as well.
 */
public final class BackupReconciler implements Reconciler {
  private static final Logger log = LoggerFactory.getLogger(BackupReconciler.class);
  private final JobStore nomad;
  private final TemplateCatalog templates;
  private final JobCache jobs;
  private final OwnedVersions versions;
  private final RunLedger runs;
  private final boolean dryRun;
  private final boolean restoreJobs;
  private final SpecCache specs;

  /**
   * @param runs told which jobs are protected and of every change to a run of their backup jobs
   * @param dryRun log every write as what it would have been, and make none
   * @param restoreJobs keep a restore job beside every backup job; when false, remove the ones
   *     the operator made
   */
  public BackupReconciler(JobStore nomad, TemplateCatalog templates, JobCache jobs, RunLedger runs, boolean dryRun,
      boolean restoreJobs) {
    this(nomad, templates, jobs, runs, dryRun, restoreJobs, SpecCache.off());
  }

  /** @param specs where a job's spec comes from: Nomad's parse of its shape, with its values placed */
  public BackupReconciler(JobStore nomad, TemplateCatalog templates, JobCache jobs, RunLedger runs, boolean dryRun,
      boolean restoreJobs, SpecCache specs) {
    this.specs = specs;
    this.nomad = nomad;
    this.templates = templates;
    this.jobs = jobs;
    this.versions = new OwnedVersions(nomad, jobs); // the reconciler, like the cache, lives one term
    this.runs = runs;
    this.dryRun = dryRun;
    this.restoreJobs = restoreJobs;
  }

  /** What one owned job is: the backup job or the restore job of a source. */
  private enum Role {
    BACKUP("Backup"),
    RESTORE("Restore job");

    private final String noun;

    Role(String noun) {
      this.noun = noun;
    }

    JobKey of(JobKey source) {
      return new JobKey(source.namespace(), this == BACKUP
          ? Ownership.backupIdFor(source.jobId()) : Ownership.restoreIdFor(source.jobId()));
    }
  }

  @Override
  public Outcome reconcile(JobKey key) throws IOException {
    try {
      return reconcileOnce(key);
    } catch (IOException | RuntimeException e) {
      // what the cache says may be why it failed (a write that lost to someone else's): read again
      jobs.forget(key);
      jobs.forget(Role.BACKUP.of(key));
      jobs.forget(Role.RESTORE.of(key));
      throw e;
    }
  }

  private Outcome reconcileOnce(JobKey key) throws IOException {
    Optional<NomadJob> source = source(key);
    if (source.isPresent()) {
      NomadJob job = source.get();
      if (job.parentId().isPresent()) {
        return run(key, job);
      }
      if (Ownership.managed(job)) {
        log.info("    Skipped: {} is managed by the operator", key);
        return Outcome.SKIPPED;
      }
    }
    Settings settings =
        source.isEmpty()
            ? new Settings.OptedOut("job is gone")
            : source.get().stopped() ? new Settings.OptedOut("job is stopped") : MetaSettings.read(source.get());
    if (settings instanceof Settings.Invalid invalid) {
      log.error("    Backup left as it is for {}: {}", key, invalid.reason());
      return Outcome.INVALID;
    }
    if (settings instanceof Settings.OptedIn optedIn) {
      return ensure(key, source.get(), optedIn);
    }
    String why = ((Settings.OptedOut) settings).why();
    Outcome backup = remove(key, Role.BACKUP, why);
    remove(key, Role.RESTORE, why);
    if (backup != Outcome.CONFLICT) {
      runs.unprotect(key);
    }
    return backup;
  }

  /**
   * A periodic or dispatched child. One of the operator's own whose parent is gone is a leftover: a
   * run that never started would otherwise stay pending forever, and block the next backup job of
   * that name. It is removed once it is not running; a child of a job someone else owns is left.
   * A run of a backup job that is still pending though the job was registered again after it was
   * launched is one that never started under the old spec: it is removed as well (see {@link
   * #removeRuns}; this catches the one launched just before the write, whose news came after it).
   */
  private Outcome run(JobKey key, NomadJob child) throws IOException {
    return run(key, child, false);
  }

  /** @param read true when {@code child} was just read; a run is removed only on what a read says */
  private Outcome run(JobKey key, NomadJob child, boolean read) throws IOException {
    if (!Ownership.managed(child)) {
      log.info("    Skipped: {} is a child of {}", key, child.parentId().get());
      return Outcome.SKIPPED;
    }
    JobKey parent = new JobKey(key.namespace(), child.parentId().get());
    Optional<NomadJob> parentJob = lookup(parent);
    if (parentJob.isPresent()) {
      Optional<JobKey> source = Ownership.sourceOf(child);
      if (source.isPresent() && Ownership.owns(parentJob.get(), source.get())
          && parent.equals(Role.BACKUP.of(source.get()))) {
        if ("pending".equals(child.status()) && parentJob.get().jobModifyIndex() > child.jobModifyIndex()) {
          return read ? removeStaleRun(key, parent) : again(key);
        }
        runs.observe(source.get(), key, child.status());
      }
      log.debug("    Skipped: {} is a run of {}", key, parent);
      return Outcome.SKIPPED;
    }
    if ("running".equals(child.status())) {
      log.debug("    Left running: {} ({} is gone; removed once it ends)", key, parent);
      return Outcome.SKIPPED;
    }
    if (!read) {
      return again(key);
    }
    if (dryRun) {
      log.info("    Dry run: would remove {} ({} is gone)", key, parent);
      return Outcome.REMOVED;
    }
    nomad.purgeJob(key);
    log.info("    Removed leftover run: {} ({} is gone)", key, parent);
    return Outcome.REMOVED;
  }

  /** The run {@code key} once more, as Nomad has it now. */
  private Outcome again(JobKey key) throws IOException {
    Optional<NomadJob> now = read(key);
    if (now.isEmpty() || now.get().parentId().isEmpty()) {
      return Outcome.ABSENT;
    }
    return run(key, now.get(), true);
  }

  private Outcome removeStaleRun(JobKey key, JobKey parent) throws IOException {
    if (dryRun) {
      log.info("    Dry run: would remove a run that never started: {} ({} changed since)", key, parent);
      return Outcome.REMOVED;
    }
    nomad.purgeJob(key);
    log.info("    Removed a run that never started: {} ({} changed since)", key, parent);
    return Outcome.REMOVED;
  }

  /** The source job, from the cache when a listing's stub or an event tells enough. */
  private Optional<NomadJob> source(JobKey key) throws IOException {
    JobCache.Lookup known = jobs.lookup(key);
    if (cacheable(key)) {
      if (known instanceof JobCache.Lookup.Absent) {
        return Optional.empty();
      }
      if (known instanceof JobCache.Lookup.Present present && enough(present.job())) {
        return Optional.of(present.job());
      }
    } else if (known instanceof JobCache.Lookup.Present present && present.job().parentId().isPresent()) {
      // a run, as its latest event told it: recording its status needs no read; removing it does
      return Optional.of(present.job());
    }
    return read(key);
  }

  /**
   * True when a job list stub decides as the full job would: the job-level meta is the contract,
   * but where it has no backup key, the groups' and tasks' meta count, and a stub has none; an
   * opted-in job also needs its region, which stubs lack and which every job of the cluster shares.
   */
  private boolean enough(NomadJob job) {
    if (job.complete() || Ownership.managed(job) || job.parentId().isPresent() || job.stopped()) {
      return true;
    }
    if (!MetaSettings.decidedByJobMeta(job)) {
      return false;
    }
    return !(MetaSettings.read(job) instanceof Settings.OptedIn) || clusterRegion().isPresent();
  }

  /**
   * False for an ID with a slash: it is always read from Nomad, as before there was a cache. Nomad's
   * HTTP API reads {@code x/summary} as job {@code x}'s summary, so such a job can be seen in an
   * event but not addressed; the operator acts on what the API shows, and so never makes a backup
   * it could not find again. (Periodic and dispatched children, the usual IDs with a slash, are
   * skipped either way.)
   */
  private static boolean cacheable(JobKey key) {
    return key.jobId().indexOf('/') < 0;
  }

  /** An owned job (or one in its place), from the cache when it knows. */
  private Optional<NomadJob> lookup(JobKey key) throws IOException {
    if (cacheable(key)) {
      JobCache.Lookup known = jobs.lookup(key);
      if (known instanceof JobCache.Lookup.Absent) {
        return Optional.empty();
      }
      if (known instanceof JobCache.Lookup.Present present) {
        return Optional.of(present.job());
      }
    }
    return read(key);
  }

  private Optional<NomadJob> read(JobKey key) throws IOException {
    long before = jobs.stamp();
    Optional<NomadJob> job = nomad.readJob(key);
    // a run's ID has a slash: never looked up in the cache, but what the read found tells the
    // cache which runs a job has (see removeRuns)
    if (job.map(j -> j.id().equals(key.jobId())).orElse(true)) {
      jobs.read(key, job, before);
    }
    return job;
  }

  /**
   * The owned job {@code key} with its version, which a listing's stub lacks: from the term's
   * listing of versions when it has the job as the cache has it, or else read.
   */
  private Optional<NomadJob> versioned(JobKey key) throws IOException {
    if (cacheable(key) && versions.learn(key.namespace())
        && jobs.lookup(key) instanceof JobCache.Lookup.Present present && present.job().version() >= 0) {
      return Optional.of(present.job());
    }
    return read(key);
  }

  private Outcome remove(JobKey source, Role role, String why) throws IOException {
    JobKey key = role.of(source);
    Optional<NomadJob> existing = lookup(key);
    if (existing.isEmpty()) {
      log.debug("    No {} for {} ({})", role.noun.toLowerCase(Locale.ROOT), source, why);
      return Outcome.ABSENT;
    }
    if (!Ownership.owns(existing.get(), source)) {
      log.info("    Left alone: {} is not managed by the operator", key);
      return Outcome.CONFLICT;
    }
    if (dryRun) {
      log.info("    Dry run: would remove {} ({})", key, why);
      return Outcome.REMOVED;
    }
    jobs.purged(key, nomad.purgeJob(key));
    log.info("    {} removed: {} ({})", role.noun, key, why);
    removeRuns(key, false);
    return Outcome.REMOVED;
  }

  /**
   * Purges the runs of a job that are not running: when the job was just removed (Nomad keeps its
   * children; a running one finishes, its end is an event, and then it is a leftover, see {@link
   * #run}), or only the pending ones when it was just changed: with {@code prohibit_overlap}, a
   * run that never started (it could not be placed under the old spec) blocks every later one.
   */
  private void removeRuns(JobKey parent, boolean pendingOnly) throws IOException {
    Optional<List<NomadJob>> known = jobs.children(parent);
    if (known.isPresent() && known.get().stream()
        .noneMatch(child -> Ownership.managed(child) && (!pendingOnly || "pending".equals(child.status())))) {
      // none to remove as far as the cache knows; one launched just before the write whose news is
      // not in yet is found when that news comes (see run)
      return;
    }
    // the decision is made on what Nomad says now, never on the cache's statuses
    for (NomadJob child : nomad.children(parent)) {
      JobKey key = new JobKey(child.namespace(), child.id());
      if (!Ownership.managed(child)) {
        continue;
      }
      if (pendingOnly && !"pending".equals(child.status())) {
        continue;
      }
      if ("running".equals(child.status())) {
        log.info("    Left running: {} (removed once it ends)", key);
        continue;
      }
      nomad.purgeJob(key);
      if (pendingOnly) {
        log.info("    Removed a run that never started: {} ({} changed)", key, parent);
      } else {
        log.info("    Removed leftover run: {}", key);
      }
    }
  }

  private Outcome ensure(JobKey key, NomadJob job, Settings.OptedIn settings) throws IOException {
    Optional<TemplateCatalog.Kind> kind = templates.kind(settings.kind());
    if (kind.isEmpty()) {
      log.error("    Backup left as it is for {}: {} = \"{}\" is not a known template (known: {})",
          key, MetaSettings.TEMPLATE, settings.kind(), templates.names());
      return Outcome.INVALID;
    }
    TemplateValues values = values(Role.BACKUP.of(key), job, settings, region(job));
    Placed placed = place(key, Role.BACKUP, kind.get().backup(), values, settings.suspended());
    Outcome backup = placed.outcome();
    if (backup == Outcome.INVALID || backup == Outcome.CONFLICT) {
      return backup;
    }
    runs.protect(key, Role.BACKUP.of(key).jobId(), settings.schedule(), placed.timeZone(), settings.suspended());
    if (restoreJobs) {
      JobKey restore = Role.RESTORE.of(key);
      Outcome outcome = place(key, Role.RESTORE, kind.get().restore(), values.forJob(restore.jobId()), false).outcome();
      if (outcome == Outcome.INVALID) {
        return outcome;
      }
    } else {
      remove(key, Role.RESTORE, "restore jobs are turned off");
    }
    if (backup == Outcome.CREATED && settings.immediate() && !settings.suspended()) {
      runNow(Role.BACKUP.of(key));
    }
    return backup;
  }

  private void runNow(JobKey backup) throws IOException {
    if (dryRun) {
      log.info("    Dry run: would run {} now ({})", backup, MetaSettings.IMMEDIATE);
      return;
    }
    nomad.forcePeriodic(backup);
    log.info("    Backup run started: {} ({})", backup, MetaSettings.IMMEDIATE);
  }

  /** What placing a job did, and the time zone of its schedule when it was rendered and parsed. */
  private record Placed(Outcome outcome, Optional<String> timeZone) {
    static Placed as(Outcome outcome) {
      return new Placed(outcome, Optional.empty());
    }
  }

  /** Registers the owned job {@code role} of {@code source} from {@code template}, if it differs. */
  private Placed place(JobKey source, Role role, BackupTemplate template, TemplateValues values, boolean suspended)
      throws IOException {
    JobKey key = role.of(source);
    String hcl;
    try {
      hcl = template.render(values);
    } catch (TemplateException e) {
      log.error("    {} not rendered for {}: {}", role.noun, source, e.getMessage());
      return Placed.as(Outcome.INVALID);
    }
    String hash = Ownership.specHash(hcl, suspended);
    Optional<NomadJob> existing = lookup(key);
    if (existing.isPresent() && !Ownership.owns(existing.get(), source)) {
      log.warn("    Conflict: {} exists and is not managed by the operator; leaving it alone", key);
      return Placed.as(Outcome.CONFLICT);
    }
    if (existing.isPresent() && existing.get().version() < 0) {
      // a listing's stub has no version; later listings keep what is learnt here
      existing = versioned(key);
      if (existing.isPresent() && !Ownership.owns(existing.get(), source)) {
        log.warn("    Conflict: {} exists and is not managed by the operator; leaving it alone", key);
        return Placed.as(Outcome.CONFLICT);
      }
    }
    boolean changedByOthers = existing.isPresent() && Ownership.changedByOthers(existing.get());
    if (existing.isPresent()
        && !existing.get().stopped()
        && !changedByOthers
        && hash.equals(existing.get().meta().get(Ownership.SPEC_HASH))) {
      log.debug("    {} unchanged: {}", role.noun, key); // an event's work ends with "--> Done: ... (unchanged)"
      return Placed.as(Outcome.UNCHANGED);
    }
    ObjectNode spec;
    try {
      spec = specs.spec(nomad::parseJob, source.namespace(), template, values, hcl);
    } catch (NomadApiException e) {
      if (e.status() == 400) {
        log.error("    {} for {} does not parse: {}", role.noun, source, NomadApiException.oneLine(e.body()));
        return Placed.as(Outcome.INVALID);
      }
      throw e;
    }
    // Nomad gives a new job version 0 and an updated one the next version: the one recorded here
    long version = existing.map(j -> j.version() + 1).orElse(0L);
    Ownership.stamp(spec, key, source, hash, version);
    if (suspended && spec.path("Periodic").isObject()) {
      ((ObjectNode) spec.get("Periodic")).put("Enabled", false);
    }
    Optional<String> timeZone = Optional.of(spec.path("Periodic").path("TimeZone").asText(""));
    String what = existing.isEmpty() ? "created"
        : changedByOthers && !existing.get().stopped() ? "restored" : "updated";
    String note = (suspended ? " (suspended)" : "")
        + ("restored".equals(what) ? " (changed outside the operator)" : "");
    if (dryRun) {
      log.info("    Dry run: would {} {}{}", existing.isEmpty() ? "create" : "update", key, note);
      return new Placed(existing.isEmpty() ? Outcome.CREATED : Outcome.UPDATED, timeZone);
    }
    try {
      long index = nomad.registerJob(spec, existing.map(NomadJob::jobModifyIndex).orElse(0L), hcl);
      if (cacheable(key)) {
        jobs.written(NomadJob.fromJson(spec).registeredAt(index));
      }
    } catch (NomadApiException e) {
      if (e.status() == 500 || e.status() == 400) {
        // Nomad answers 500 both for its own trouble and for a job it finds invalid: ask which.
        List<String> problems = nomad.validateJob(spec);
        if (!problems.isEmpty()) {
          log.error("    {} for {} rejected by Nomad: {}", role.noun, source,
              NomadApiException.oneLine(String.join("\n", problems)));
          return Placed.as(Outcome.INVALID);
        }
      }
      throw e;
    }
    log.info("    {} {}: {}{}", role.noun, what, key, note);
    if (existing.isPresent() && role == Role.BACKUP) {
      removeRuns(key, true);
    }
    return new Placed(existing.isEmpty() ? Outcome.CREATED : Outcome.UPDATED, timeZone);
  }

  /** A stub has no region; every job the operator watches is in the region it talks to. */
  private String region(NomadJob job) {
    if (job.complete()) {
      return job.region().orElse("global");
    }
    return clusterRegion().orElse("global");
  }

  private Optional<String> clusterRegion() {
    return nomad.region().or(jobs::region);
  }

  private static TemplateValues values(JobKey backup, NomadJob job, Settings.OptedIn settings, String region) {
    return new TemplateValues(
        backup.jobId(),
        job.id(),
        job.namespace(),
        job.datacenters(),
        region,
        settings.schedule(),
        settings.targetDb(),
        settings.meta());
  }
}

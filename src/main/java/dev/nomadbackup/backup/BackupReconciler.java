package dev.nomadbackup.backup;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nomadbackup.controller.Outcome;
import dev.nomadbackup.controller.Reconciler;
import dev.nomadbackup.nomad.JobCache;
import dev.nomadbackup.nomad.JobKey;
import dev.nomadbackup.nomad.NomadApiException;
import dev.nomadbackup.nomad.NomadClient;
import dev.nomadbackup.nomad.NomadJob;
import dev.nomadbackup.backup.template.BackupTemplate;
import dev.nomadbackup.backup.template.TemplateException;
import dev.nomadbackup.backup.template.TemplateValues;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps {@code backup-<id>} in step with job {@code <id>}: registers it from the template while the
 * job opts in, removes it when the job opts out, stops or is gone. Writes only when the rendered
 * spec differs from what the backup job carries, and never touches a job it does not own.
 *
 * <p>With a {@link JobCache} fed by the listings and events (see {@link BackupKeys}), it reads from
 * Nomad only what the cache does not know: a job nothing was heard of since a deregistration or a
 * failure, and a listed job whose settings could sit in its groups' or tasks' meta, which a listing
 * does not carry. Its own writes go into the cache as well.
 */
public final class BackupReconciler implements Reconciler {
  private static final Logger log = LoggerFactory.getLogger(BackupReconciler.class);
  /** Bumped whenever the way a spec is stamped changes, so existing backups are rewritten once. */
  private static final String STAMP_VERSION = "1";

  private final NomadClient nomad;
  private final BackupTemplate template;
  private final boolean dryRun;
  private final Optional<JobCache> jobs;

  /**
   * Reads every job it looks at from Nomad. With {@code dryRun}, every write is logged as what it
   * would have been, and not made.
   */
  public BackupReconciler(NomadClient nomad, BackupTemplate template, boolean dryRun) {
    this(nomad, template, dryRun, Optional.empty());
  }

  /** Takes what {@code jobs} knows instead of reading it, and reads only the rest. */
  public BackupReconciler(NomadClient nomad, BackupTemplate template, boolean dryRun, JobCache jobs) {
    this(nomad, template, dryRun, Optional.of(jobs));
  }

  private BackupReconciler(NomadClient nomad, BackupTemplate template, boolean dryRun, Optional<JobCache> jobs) {
    this.nomad = nomad;
    this.template = template;
    this.dryRun = dryRun;
    this.jobs = jobs;
  }

  @Override
  public Outcome reconcile(JobKey key) throws IOException {
    try {
      return reconcileOnce(key);
    } catch (IOException | RuntimeException e) {
      // what the cache says may be why it failed (a write that lost to someone else's): read again
      jobs.ifPresent(cache -> {
        cache.forget(key);
        cache.forget(new JobKey(key.namespace(), Ownership.backupIdFor(key.jobId())));
      });
      throw e;
    }
  }

  private Outcome reconcileOnce(JobKey key) throws IOException {
    Optional<NomadJob> source = source(key);
    if (source.isPresent()) {
      NomadJob job = source.get();
      if (Ownership.managed(job)) {
        log.info("    Skipped: {} is managed by the operator", key);
        return Outcome.SKIPPED;
      }
      if (job.parentId().isPresent()) {
        log.info("    Skipped: {} is a child of {}", key, job.parentId().get());
        return Outcome.SKIPPED;
      }
    }
    JobKey backupKey = new JobKey(key.namespace(), Ownership.backupIdFor(key.jobId()));
    Settings settings =
        source.isEmpty()
            ? new Settings.OptedOut("job is gone")
            : source.get().stopped() ? new Settings.OptedOut("job is stopped") : MetaSettings.read(source.get());
    if (settings instanceof Settings.Invalid invalid) {
      log.error("    Backup left as it is for {}: {}", key, invalid.reason());
      return Outcome.INVALID;
    }
    if (settings instanceof Settings.OptedIn optedIn) {
      return ensure(key, backupKey, source.get(), optedIn);
    }
    return remove(key, backupKey, ((Settings.OptedOut) settings).why());
  }

  /** The source job, from the cache when a listing's stub or an event tells enough. */
  private Optional<NomadJob> source(JobKey key) throws IOException {
    if (jobs.isPresent() && cacheable(key)) {
      Optional<JobCache.Known> known = jobs.get().lookup(key);
      if (known.isPresent() && known.get().job().map(this::enough).orElse(true)) {
        return known.get().job();
      }
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

  /** The backup job, from the cache when it knows. */
  private Optional<NomadJob> backup(JobKey backupKey) throws IOException {
    if (jobs.isPresent() && cacheable(backupKey)) {
      Optional<JobCache.Known> known = jobs.get().lookup(backupKey);
      if (known.isPresent()) {
        return known.get().job();
      }
    }
    return read(backupKey);
  }

  private Optional<NomadJob> read(JobKey key) throws IOException {
    if (jobs.isEmpty() || !cacheable(key)) {
      return nomad.readJob(key);
    }
    long before = jobs.get().stamp();
    Optional<NomadJob> job = nomad.readJob(key);
    jobs.get().read(key, job, before);
    return job;
  }

  private Outcome remove(JobKey key, JobKey backupKey, String why) throws IOException {
    Optional<NomadJob> backup = backup(backupKey);
    if (backup.isEmpty()) {
      log.debug("    No backup for {} ({})", key, why);
      return Outcome.ABSENT;
    }
    if (!Ownership.owns(backup.get(), key)) {
      log.info("    Left alone: {} is not managed by the operator", backupKey);
      return Outcome.CONFLICT;
    }
    if (dryRun) {
      log.info("    Dry run: would remove {} ({})", backupKey, why);
      return Outcome.REMOVED;
    }
    nomad.purgeJob(backupKey);
    jobs.ifPresent(cache -> cache.purged(backupKey));
    log.info("    Backup removed: {} ({})", backupKey, why);
    return Outcome.REMOVED;
  }

  private Outcome ensure(JobKey key, JobKey backupKey, NomadJob job, Settings.OptedIn settings)
      throws IOException {
    String hcl;
    try {
      hcl = template.render(values(backupKey, job, settings, region(job)));
    } catch (TemplateException e) {
      log.error("    Backup not rendered for {}: {}", key, e.getMessage());
      return Outcome.INVALID;
    }
    String hash = hash(hcl);
    Optional<NomadJob> backup = backup(backupKey);
    if (backup.isPresent() && !Ownership.owns(backup.get(), key)) {
      log.warn("    Conflict: {} exists and is not managed by the operator; leaving it alone", backupKey);
      return Outcome.CONFLICT;
    }
    if (backup.isPresent()
        && !backup.get().stopped()
        && hash.equals(backup.get().meta().get(Ownership.SPEC_HASH))) {
      log.info("    Backup unchanged: {}", backupKey);
      return Outcome.UNCHANGED;
    }
    ObjectNode spec;
    try {
      spec = nomad.parseJob(key.namespace(), hcl);
    } catch (NomadApiException e) {
      if (e.status() == 400) {
        log.error("    Backup for {} does not parse: {}", key, NomadApiException.oneLine(e.body()));
        return Outcome.INVALID;
      }
      throw e;
    }
    stamp(spec, backupKey, key, hash);
    if (dryRun) {
      log.info("    Dry run: would {} {}", backup.isEmpty() ? "create" : "update", backupKey);
      return backup.isEmpty() ? Outcome.CREATED : Outcome.UPDATED;
    }
    try {
      long index = nomad.registerJob(spec, backup.map(NomadJob::jobModifyIndex).orElse(0L));
      if (cacheable(backupKey)) {
        jobs.ifPresent(cache -> cache.written(NomadJob.fromJson(spec).registeredAt(index)));
      }
    } catch (NomadApiException e) {
      if (e.status() == 500 || e.status() == 400) {
        // Nomad answers 500 both for its own trouble and for a job it finds invalid: ask which.
        List<String> problems = nomad.validateJob(spec);
        if (!problems.isEmpty()) {
          log.error("    Backup for {} rejected by Nomad: {}", key,
              NomadApiException.oneLine(String.join("\n", problems)));
          return Outcome.INVALID;
        }
      }
      throw e;
    }
    if (backup.isEmpty()) {
      log.info("    Backup created: {}", backupKey);
      return Outcome.CREATED;
    }
    log.info("    Backup updated: {}", backupKey);
    return Outcome.UPDATED;
  }

  /** A stub has no region; every job the operator watches is in the region it talks to. */
  private String region(NomadJob job) {
    if (job.complete()) {
      return job.region().orElse("global");
    }
    return clusterRegion().orElse("global");
  }

  private Optional<String> clusterRegion() {
    return nomad.region().or(() -> jobs.flatMap(JobCache::region));
  }

  private static TemplateValues values(
      JobKey backupKey, NomadJob job, Settings.OptedIn settings, String region) {
    return new TemplateValues(
        backupKey.jobId(),
        job.id(),
        job.namespace(),
        job.datacenters(),
        region,
        settings.schedule(),
        settings.targetDb(),
        settings.meta());
  }

  /** Whatever the template says, the job lands under our name, in the source's namespace, marked as ours. */
  private static void stamp(ObjectNode spec, JobKey backupKey, JobKey source, String hash) {
    spec.put("ID", backupKey.jobId());
    spec.put("Name", backupKey.jobId());
    spec.put("Namespace", backupKey.namespace());
    ObjectNode meta =
        spec.path("Meta").isObject() ? (ObjectNode) spec.get("Meta") : spec.putObject("Meta");
    meta.put(Ownership.MANAGED, "true");
    meta.put(Ownership.SOURCE, source.jobId());
    meta.put(Ownership.SPEC_HASH, hash);
  }

  static String hash(String hcl) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update(STAMP_VERSION.getBytes(StandardCharsets.UTF_8));
      sha.update((byte) '\n');
      byte[] digest = sha.digest(hcl.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest, 0, 16);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }
}

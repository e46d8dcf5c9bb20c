package dev.nomadbackup.backup;

import dev.nomadbackup.controller.KeyMapper;
import dev.nomadbackup.controller.ListingListener;
import dev.nomadbackup.nomad.JobCache;
import dev.nomadbackup.nomad.JobEvent;
import dev.nomadbackup.nomad.JobKey;
import dev.nomadbackup.nomad.JobList;
import dev.nomadbackup.nomad.NomadJob;
import java.util.List;
import java.util.Optional;

/**
 * Maps jobs to the keys the backup reconciler works on. A listed source job is its own key; a
 * backup job the operator owns stands for its source (so an orphaned backup is found and removed);
 * periodic and dispatched children are never backed up, so they are not listed.
 *
 * <p>With a {@link JobCache}, every listing and event also goes into the cache before its keys are
 * queued, so the reconciler finds there what they said.
 */
public final class BackupKeys implements KeyMapper, ListingListener {
  private final Optional<JobCache> jobs;

  /** Keys only; nothing is cached. */
  public BackupKeys() {
    this.jobs = Optional.empty();
  }

  /** Keys, and every listing and event fed into {@code jobs}. */
  public BackupKeys(JobCache jobs) {
    this.jobs = Optional.of(jobs);
  }

  @Override
  public boolean owned(NomadJob job) {
    return Ownership.managed(job);
  }

  @Override
  public void listed(String namespace, JobList list) {
    jobs.ifPresent(cache -> cache.listed(namespace, list));
  }

  @Override
  public List<JobKey> forListed(NomadJob job) {
    if (Ownership.managed(job)) {
      return Ownership.sourceOf(job).map(List::of).orElse(List.of());
    }
    if (job.parentId().isPresent()) {
      return List.of();
    }
    return List.of(new JobKey(job.namespace(), job.id()));
  }

  /**
   * The job the event names. For one of our backup jobs that was stopped or purged, its source
   * instead: the backup comes back while the source still asks for it, and is not looked for again
   * as if it were a source.
   */
  @Override
  public List<JobKey> forEvent(JobEvent event) {
    jobs.ifPresent(cache -> {
      if ("JobRegistered".equals(event.type()) && event.job().isPresent()) {
        cache.observed(event.job().get());
      } else {
        // stopped or purged: only a read tells which
        cache.invalidate(event.key(), event.index());
      }
    });
    Optional<JobKey> source =
        event.job()
            .filter(job -> !"JobRegistered".equals(event.type()) || job.stopped())
            .flatMap(Ownership::sourceOf);
    return List.of(source.orElse(event.key()));
  }
}

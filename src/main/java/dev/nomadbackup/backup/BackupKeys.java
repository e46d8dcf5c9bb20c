package dev.nomadbackup.backup;

import dev.nomadbackup.controller.KeyMapper;
import dev.nomadbackup.nomad.EventStreamParser;
import dev.nomadbackup.nomad.JobEvent;
import dev.nomadbackup.nomad.JobKey;
import dev.nomadbackup.nomad.NomadJob;
import java.util.List;
import java.util.Optional;

/**
 * Maps jobs to the keys the backup reconciler works on, and does nothing else. A listed source job
 * is its own key; a backup or restore job the operator owns stands for its source (so an orphaned
 * one is found and removed); a run of one of the operator's jobs is its own key (so a leftover is
 * found); other periodic and dispatched children are never backed up, so they are not listed.
 */
public final class BackupKeys implements KeyMapper {

  /** Counts the backup jobs only: restore jobs and runs carry the same marks. */
  @Override
  public boolean owned(NomadJob job) {
    return Ownership.backupJob(job);
  }

  @Override
  public List<JobKey> forListed(NomadJob job) {
    if (job.parentId().isPresent()) {
      return Ownership.managed(job) ? List.of(new JobKey(job.namespace(), job.id())) : List.of();
    }
    if (Ownership.managed(job)) {
      return Ownership.sourceOf(job).map(List::of).orElse(List.of());
    }
    return List.of(new JobKey(job.namespace(), job.id()));
  }

  /**
   * The job the event names. For one of the operator's jobs that was stopped, purged or changed by
   * someone else, its source instead: the job is put back while the source still asks for it, and is
   * not looked for again as if it were a source. The events of the operator's own writes wake
   * nothing.
   */
  @Override
  public List<JobKey> forEvent(JobEvent event) {
    if (!EventStreamParser.KEPT_TYPES.contains(event.type())) {
      // a run's status changed: one of ours is followed, anyone else's is none of our business
      boolean ours = event.job().filter(job -> job.parentId().isPresent() && Ownership.managed(job)).isPresent();
      return ours ? List.of(event.key()) : List.of();
    }
    Optional<JobKey> source =
        event.job()
            .filter(job -> job.parentId().isEmpty())
            .filter(job -> !"JobRegistered".equals(event.type()) || job.stopped() || Ownership.changedByOthers(job))
            .flatMap(Ownership::sourceOf);
    if (source.isEmpty() && event.job().filter(job -> job.parentId().isEmpty() && Ownership.managed(job)).isPresent()) {
      return List.of(); // the operator's own write: nothing to look at again
    }
    return List.of(source.orElse(event.key()));
  }
}

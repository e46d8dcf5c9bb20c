package dev.nomadbackup.nomad;

import java.util.Optional;

/**
 * One event of the Job topic that says a job may need another look.
 *
 * @param job the job as the event carried it; empty when the payload had none
 */
public record JobEvent(String type, JobKey key, long index, Optional<NomadJob> job) {

  /** The job's status as the event carried it, e.g. {@code pending}, or {@code ?} when unknown. */
  public String status() {
    return job.map(NomadJob::status).filter(s -> !s.isEmpty()).orElse("?");
  }
}

package dev.nomadbackup.controller;

import dev.nomadbackup.nomad.JobEvent;
import dev.nomadbackup.nomad.JobKey;
import dev.nomadbackup.nomad.NomadJob;
import java.util.List;

/** Which keys need a look when a job is listed, or when an event names it. */
public interface KeyMapper {
  List<JobKey> forListed(NomadJob job);

  List<JobKey> forEvent(JobEvent event);

  /** True for a job the operator made itself (counted for metrics). */
  default boolean owned(NomadJob job) {
    return false;
  }
}

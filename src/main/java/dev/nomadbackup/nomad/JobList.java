package dev.nomadbackup.nomad;

import java.util.List;

/** Every job of a listing, and the Raft index the listing reflects (where an event stream can start). */
public record JobList(List<NomadJob> jobs, long index) {
  public JobList {
    jobs = List.copyOf(jobs);
  }
}

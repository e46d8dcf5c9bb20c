package dev.nomadbackup.nomad;

import java.io.IOException;
import java.util.List;
import java.util.Optional;

/** What the run tracker reads of one run (a periodic child job): its allocations and why it waits. */
public interface RunSource {
  /** The allocations of job {@code run}. */
  List<Allocation> allocations(JobKey run) throws IOException;

  /**
   * Why Nomad could not place {@code run}: the reasons of its blocked evaluation, e.g. {@code
   * missing host volume "backups"}; empty while nothing failed to place.
   */
  Optional<String> placementFailure(JobKey run) throws IOException;

  /** The last {@code bytes} of a task's stderr ({@code stderr} true) or stdout; empty when there is none. */
  String logTail(String namespace, String allocationId, String task, boolean stderr, int bytes) throws IOException;
}

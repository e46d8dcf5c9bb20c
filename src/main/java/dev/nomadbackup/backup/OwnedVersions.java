package dev.nomadbackup.backup;

import dev.nomadbackup.nomad.JobCache;
import dev.nomadbackup.nomad.JobStore;
import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code Version} of every job the operator owns, listed once per namespace and term into the
 * cache. The drift check compares a job's version with the one the operator's write gave it, and a
 * job list stub has none; without this, every owned job would be read once per term.
 *
 * <p>Nomad keeps the version, so a new term trusts nothing the last one remembered: a job changed
 * while no operator ran shows its new version here. A job changed after this listing has another
 * modify index than its stub, gets no version from it, and is read on its own.
 */
final class OwnedVersions {
  private static final Logger log = LoggerFactory.getLogger(OwnedVersions.class);
  /** The jobs carrying the ownership meta; Nomad's listing leaves their runs out. */
  static final String FILTER = "Meta[\"" + Ownership.MANAGED + "\"] == \"true\"";

  private final JobStore nomad;
  private final JobCache jobs;
  private final Map<String, Boolean> answered = new HashMap<>();

  OwnedVersions(JobStore nomad, JobCache jobs) {
    this.nomad = nomad;
    this.jobs = jobs;
  }

  /**
   * Puts the versions of the owned jobs of {@code namespace} into the cache, unless that was done
   * in this term already. False when Nomad cannot list versions (before 1.8, or the token may not):
   * read each job instead.
   * A failure is thrown, and the next call tries again.
   */
  synchronized boolean learn(String namespace) throws IOException {
    Boolean done = answered.get(namespace);
    if (done != null) {
      return done;
    }
    Optional<List<JobStore.JobVersion>> versions = nomad.versions(namespace, FILTER);
    versions.ifPresent(jobs::versions);
    answered.put(namespace, versions.isPresent());
    if (versions.isPresent()) {
      log.debug("    Versions of the {} jobs the operator owns in namespace {} listed", versions.get().size(), namespace);
    } else {
      log.info("    Nomad does not list job versions in namespace {} (GET /v1/jobs/statuses needs Nomad 1.8 and"
          + " read-job): each job the operator owns there is read once in this term to see whether it was changed"
          + " by hand", namespace);
    }
    return versions.isPresent();
  }
}

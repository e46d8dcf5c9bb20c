package dev.nomadbackup.controller;

import dev.nomadbackup.nomad.JobCache;
import dev.nomadbackup.nomad.JobKey;
import dev.nomadbackup.nomad.JobList;
import dev.nomadbackup.nomad.JobSource;
import dev.nomadbackup.nomad.NomadJob;
import java.io.IOException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lists every job of a namespace, puts the listing into the cache, and queues each key it maps to:
 * the start, the relist after a reconnect, the resync.
 */
final class JobSync {
  private static final Logger log = LoggerFactory.getLogger(JobSync.class);

  private final JobSource nomad;
  private final JobCache jobs;
  private final KeyMapper keys;
  private final WorkQueue<JobKey> queue;
  private final Telemetry telemetry;
  private final Set<String> listed = ConcurrentHashMap.newKeySet();

  JobSync(JobSource nomad, JobCache jobs, KeyMapper keys, WorkQueue<JobKey> queue, Telemetry telemetry) {
    this.nomad = nomad;
    this.jobs = jobs;
    this.keys = keys;
    this.queue = queue;
    this.telemetry = telemetry;
  }

  /** Queues every job of {@code namespace} and returns the index the listing reflects. */
  long sync(String namespace) throws IOException {
    JobList list = nomad.listJobs(namespace);
    jobs.listed(namespace, list);
    int queued = 0;
    int owned = 0;
    for (NomadJob job : list.jobs()) {
      if (keys.owned(job)) {
        owned++;
      }
      for (JobKey key : keys.forListed(job)) {
        queue.add(key);
        queued++;
      }
    }
    listed.add(namespace);
    telemetry.listed(namespace, owned);
    log.debug("Listed {} jobs in namespace {} at index {}; {} keys queued",
        list.jobs().size(), namespace, list.index(), queued);
    return list.index();
  }

  /** True once each of {@code namespaces} was listed at least once. */
  boolean listedAll(Iterable<String> namespaces) {
    for (String namespace : namespaces) {
      if (!listed.contains(namespace)) {
        return false;
      }
    }
    return true;
  }
}

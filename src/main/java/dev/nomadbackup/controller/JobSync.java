package dev.nomadbackup.controller;

import dev.nomadbackup.nomad.JobList;
import dev.nomadbackup.nomad.NomadClient;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Lists every job of a namespace and queues each key it maps to: the start, the relist, the resync. */
final class JobSync {
  private static final Logger log = LoggerFactory.getLogger(JobSync.class);

  private final NomadClient nomad;
  private final KeyMapper keys;
  private final WorkQueue<dev.nomadbackup.nomad.JobKey> queue;
  private final Telemetry telemetry;

  JobSync(NomadClient nomad, KeyMapper keys, WorkQueue<dev.nomadbackup.nomad.JobKey> queue, Telemetry telemetry) {
    this.nomad = nomad;
    this.keys = keys;
    this.queue = queue;
    this.telemetry = telemetry;
  }

  /** Queues every job of {@code namespace} and returns the index the listing reflects. */
  long sync(String namespace) throws IOException {
    JobList list = nomad.listJobs(namespace);
    if (keys instanceof ListingListener listener) {
      listener.listed(namespace, list);
    }
    int queued = 0;
    int owned = 0;
    for (var job : list.jobs()) {
      if (keys.owned(job)) {
        owned++;
      }
      for (var key : keys.forListed(job)) {
        queue.add(key);
        queued++;
      }
    }
    telemetry.listed(namespace, owned);
    log.debug("Listed {} jobs in namespace {} at index {}; {} keys queued",
        list.jobs().size(), namespace, list.index(), queued);
    return list.index();
  }
}

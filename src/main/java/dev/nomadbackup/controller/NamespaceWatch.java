package dev.nomadbackup.controller;

import dev.nomadbackup.nomad.Failures;
import dev.nomadbackup.nomad.JobSource;
import dev.nomadbackup.nomad.Namespaces;
import java.io.IOException;
import java.time.Duration;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows the cluster's namespaces with blocking queries while the operator watches all of them.
 * Nomad resolves a {@code namespace=*} event subscription when it is opened, so a namespace created
 * later sends nothing on it: when the namespaces change, the stream is opened again from a new
 * listing. A deleted namespace's jobs drop out of that listing, and nothing more is asked of it.
 */
final class NamespaceWatch implements Runnable {
  private static final Logger log = LoggerFactory.getLogger(NamespaceWatch.class);
  /** Below the HTTP client's read timeout, which a blocking query must not outlast. */
  static final Duration WAIT = Duration.ofSeconds(20);

  private final JobSource nomad;
  private final Runnable changed;
  private final Backoff backoff;
  private final Duration wait;
  private final Random random = new Random();
  private final CountDownLatch stopped = new CountDownLatch(1);

  /** @param changed called, on this watch's thread, whenever the set of namespaces changed */
  NamespaceWatch(JobSource nomad, Runnable changed, Backoff backoff, Duration wait) {
    this.nomad = nomad;
    this.changed = changed;
    this.backoff = backoff;
    this.wait = wait;
  }

  @Override
  public void run() {
    Set<String> known = null;
    long index = 0;
    int attempt = 0;
    while (stopped.getCount() > 0) {
      try {
        Namespaces now = nomad.namespaces(index, wait);
        attempt = 0;
        // an index that went back means a new cluster state (a restored or rebuilt server)
        index = now.index() < index ? 0 : now.index();
        if (known != null && !known.equals(now.names())) {
          log.info("Namespaces changed ({})", difference(known, now.names()));
          changed.run();
        }
        known = now.names();
      } catch (IOException | RuntimeException e) {
        Duration delay = backoff.delay(attempt, random);
        attempt = attempt == Integer.MAX_VALUE ? attempt : attempt + 1;
        log.debug("Cannot read the namespaces ({}); next try in {} ms", Failures.describe(e), delay.toMillis());
        pause(delay);
      }
    }
  }

  private void pause(Duration delay) {
    try {
      stopped.await(delay.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      stopped.countDown();
    }
  }

  private static String difference(Set<String> before, Set<String> after) {
    Set<String> added = new TreeSet<>(after);
    added.removeAll(before);
    Set<String> removed = new TreeSet<>(before);
    removed.removeAll(new HashSet<>(after));
    StringBuilder b = new StringBuilder();
    added.forEach(n -> b.append(b.length() == 0 ? "" : ", ").append("+").append(n));
    removed.forEach(n -> b.append(b.length() == 0 ? "" : ", ").append("-").append(n));
    return b.toString();
  }

  /** Ends the loop; a blocking query in flight ends by itself within {@link #WAIT}. */
  void stop() {
    stopped.countDown();
  }
}

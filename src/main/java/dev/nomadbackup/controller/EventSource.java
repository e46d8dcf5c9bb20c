package dev.nomadbackup.controller;

import dev.nomadbackup.nomad.EventBatch;
import dev.nomadbackup.nomad.EventStreamParser;
import dev.nomadbackup.nomad.Failures;
import dev.nomadbackup.nomad.JobCache;
import dev.nomadbackup.nomad.JobEvent;
import dev.nomadbackup.nomad.JobKey;
import dev.nomadbackup.nomad.JobSource;
import dev.nomadbackup.nomad.MalformedEventException;
import dev.nomadbackup.nomad.NomadApiException;
import java.io.BufferedReader;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows the Job topic of one namespace ({@code *} for all). Every (re)connection first lists all
 * jobs and queues them, then streams from the listing's index, so nothing that happened while the
 * stream was down is missed. Reconnects with capped, jittered backoff after any end or error, a
 * read that times out included. A line or an event that cannot be read is logged and skipped; the
 * rest of its batch, and the stream, go on. What an event says goes into the {@link JobCache}
 * before its keys are queued.
 *
 * <p>Nomad publishes an event just before it commits the change the event reports, so a worker that
 * read the job at once could find the state before the change: a job just registered not there
 * yet, a stopped one still running. A batch's index is announced ({@link JobSource#announced})
 * before its keys are queued, and a read waits for Nomad to commit it; a reconcile that the
 * event's payload decides reads nothing and waits for nothing.
 */
final class EventSource implements Runnable {
  private static final Logger log = LoggerFactory.getLogger(EventSource.class);
  /** Connections in a row that Nomad closed before sending anything, before we suspect the ACL. */
  private static final int SUSPICIOUS_CLOSES = 3;
  /** A connection that lasted this long resets the backoff. */
  private static final Duration HEALTHY_CONNECTION = Duration.ofMinutes(1);

  private final String namespace;
  private final JobSource nomad;
  private final JobCache jobs;
  private final JobSync sync;
  private final EventStreamParser parser;
  private final KeyMapper keys;
  private final WorkQueue<JobKey> queue;
  private final Set<JobKey> woken;
  private final Duration readTimeout;
  private final Backoff backoff;
  private final Telemetry telemetry;
  private final Random random = new Random();
  private final CountDownLatch stopped = new CountDownLatch(1);
  private volatile InputStream current;
  private volatile boolean connected;
  /** Set when the stream is closed on purpose to be opened again at once, from a new listing. */
  private volatile boolean reopening;

  EventSource(
      String namespace,
      JobSource nomad,
      JobCache jobs,
      JobSync sync,
      EventStreamParser parser,
      KeyMapper keys,
      WorkQueue<JobKey> queue,
      Set<JobKey> woken,
      Duration readTimeout,
      Backoff backoff,
      Telemetry telemetry) {
    this.namespace = namespace;
    this.nomad = nomad;
    this.jobs = jobs;
    this.sync = sync;
    this.parser = parser;
    this.keys = keys;
    this.queue = queue;
    this.woken = woken;
    this.readTimeout = readTimeout;
    this.backoff = backoff;
    this.telemetry = telemetry;
  }

  boolean connected() {
    return connected;
  }

  @Override
  public void run() {
    int attempt = 0;
    int quietCloses = 0;
    while (stopped.getCount() > 0) {
      boolean heardSomething = false;
      long connectedAt = 0;
      boolean opened = false;
      Exception failure;
      reopening = false; // asked for before this attempt: it lists and subscribes afresh anyway
      try {
        // the listing reflects everything up to its index: stream what comes after it
        long index = sync.sync(namespace) + 1;
        try (InputStream in = nomad.openJobEvents(namespace, index, readTimeout)) {
          current = in;
          if (reopening) {
            in.close(); // asked for while connecting, with no stream to close: this one may predate it
          }
          connected = true;
          connectedAt = System.nanoTime();
          opened = true;
          log.info("Watching job events in {} from index {}", label(), index);
          BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
          long last = index - 1;
          String line;
          while ((line = reader.readLine()) != null) {
            if (line.isBlank()) {
              continue;
            }
            heardSomething = true;
            quietCloses = 0;
            last = Math.max(last, handle(line, last));
          }
          throw new EOFException("Nomad closed the event stream");
        }
      } catch (IOException e) {
        failure = e;
      } catch (RuntimeException e) {
        // a bug, or an answer nobody expected: this source must not die of it and go deaf
        failure = e;
      } finally {
        connected = false;
        current = null;
      }
      if (stopped.getCount() == 0) {
        return;
      }
      if (reopening) {
        reopening = false;
        log.info("Reading every job in {} again, and watching from there", label());
        continue;
      }
      quietCloses = failure instanceof EOFException && !heardSomething ? quietCloses + 1 : 0;
      if (opened && System.nanoTime() - connectedAt > HEALTHY_CONNECTION.toNanos()) {
        attempt = 0; // it worked for a while: start the backoff over
      }
      telemetry.streamReconnecting();
      Duration delay = backoff.delay(attempt, random);
      attempt = attempt == Integer.MAX_VALUE ? attempt : attempt + 1;
      if (failure instanceof RuntimeException) {
        log.error("Event stream for {} failed unexpectedly; reconnecting in {} ms", label(), delay.toMillis(), failure);
      } else {
        log.warn("Event stream for {} lost ({}); reconnecting in {} ms", label(), Failures.describe(failure),
            delay.toMillis());
      }
      if (quietCloses == SUSPICIOUS_CLOSES) {
        log.error(
            "Nomad keeps closing the event stream for {} before sending any event. Since Nomad 1.11.2 this"
                + " is how a missing ACL capability shows: the token needs read-job on {}.",
            label(), namespace.equals("*") ? "every namespace" : "namespace " + namespace);
      }
      if (failure instanceof NomadApiException api && api.tokenRejected()) {
        log.error("Nomad refused {}: the token is not valid (deleted or expired); set NOMAD_TOKEN to a valid token",
            api.request());
      } else if (failure instanceof NomadApiException api && api.forbidden()) {
        log.error("Nomad refused {}: the token needs list-jobs and read-job on {}", api.request(), label());
      }
      try {
        if (stopped.await(delay.toMillis(), TimeUnit.MILLISECONDS)) {
          return;
        }
      } catch (InterruptedException ie) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  /** Returns the batch's index when it carried events (heartbeats and re-sent batches give 0). */
  private long handle(String line, long last) throws IOException {
    EventBatch batch;
    try {
      batch = parser.parse(line);
    } catch (MalformedEventException e) {
      log.warn("Skipped a line of the event stream: {}: {}", e.getMessage(), e.excerpt());
      return 0;
    }
    if (batch.heartbeat()) {
      return 0;
    }
    if (batch.index() < last) {
      // Older than what we handled. Not "<=": Nomad can send several lines with one index.
      return 0;
    }
    for (String problem : batch.problems()) {
      log.warn("Event stream: {}", problem);
    }
    telemetry.indexSeen(batch.index());
    if (!batch.events().isEmpty()) {
      nomad.announced(batch.index());
    }
    for (JobEvent event : batch.events()) {
      try {
        telemetry.eventReceived(event.type());
        if (event.job().isPresent()
            && ("JobRegistered".equals(event.type()) || runStatus(event))) {
          jobs.observed(event.job().get());
        } else {
          jobs.invalidate(event.key(), event.index()); // stopped or purged: only a read tells which
        }
        List<JobKey> woke = keys.forEvent(event);
        if (!woke.isEmpty() || EventStreamParser.KEPT_TYPES.contains(event.type())) {
          log.info("==> {}: {} ({})", event.type(), event.key(), event.status());
        }
        for (JobKey key : woke) {
          woken.add(key);
          queue.add(key);
        }
      } catch (RuntimeException e) {
        // one event that trips us up must not cost the rest of the batch
        log.error("Skipped the {} event for {} at index {}", event.type(), event.key(), batch.index(), e);
      }
    }
    return batch.index();
  }

  /** A run's status changed: the event carries the run as it is now. */
  private static boolean runStatus(JobEvent event) {
    return !EventStreamParser.KEPT_TYPES.contains(event.type())
        && event.job().filter(job -> job.parentId().isPresent()).isPresent();
  }

  private String label() {
    return "*".equals(namespace) ? "all namespaces" : "namespace " + namespace;
  }

  /**
   * Closes the stream and opens it again at once from a new listing: a {@code *} subscription sees
   * only the namespaces that existed when it was opened.
   */
  void reopen() {
    reopening = true;
    closeStream();
  }

  /** Ends the loop and the connection it holds. */
  void stop() {
    stopped.countDown();
    closeStream();
  }

  private void closeStream() {
    InputStream in = current;
    if (in != null) {
      try {
        in.close();
      } catch (IOException e) {
        log.debug("Closing the event stream: {}", e.getMessage());
      }
    }
  }
}

package dev.nomadbackup.controller;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.nomadbackup.config.GoDuration;
import dev.nomadbackup.config.OperatorConfig;
import dev.nomadbackup.nomad.EventStreamParser;
import dev.nomadbackup.nomad.JobCache;
import dev.nomadbackup.nomad.JobKey;
import dev.nomadbackup.nomad.JobSource;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * The loop: sources (startup listing, event streams, periodic resync) put job keys on a work queue;
 * workers take them one at a time per key and hand them to the reconciler. A failing reconcile is
 * retried with backoff; an exception never ends a worker. Workers are started as keys arrive, up to
 * {@code OPERATOR_WORKERS}, and end after {@link Schedulers#IDLE} with nothing to do; the resync
 * keeps time on the shared scheduler and lists on the background thread.
 */
public final class Controller implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Controller.class);
  /** Nomad sends a heartbeat every 30 s; two missed ones mean the connection is dead. */
  public static final Duration STREAM_READ_TIMEOUT = Duration.ofSeconds(65);
  /** How long in-flight reconciles may take to finish on shutdown. */
  static final Duration SHUTDOWN_GRACE = Duration.ofSeconds(10);

  private final JobSource nomad;
  private final JobCache jobs;
  private final OperatorConfig config;
  private final Reconciler reconciler;
  private final KeyMapper keys;
  private final WorkQueue<JobKey> queue = new WorkQueue<>(Backoff.retries(), new Random());
  private final Set<JobKey> woken = ConcurrentHashMap.newKeySet();
  private final JobSync sync;
  private final List<EventSource> sources = new ArrayList<>();
  private final List<Thread> threads = new ArrayList<>();
  private final Set<Thread> workers = ConcurrentHashMap.newKeySet();
  private int workersStarted;
  private final Schedulers schedulers;
  private final AtomicBoolean resyncing = new AtomicBoolean();
  private ScheduledFuture<?> resync;
  private final Duration streamReadTimeout;
  private final Telemetry telemetry;
  private final List<NamespaceWatch> watches = new ArrayList<>();
  private volatile boolean caughtUp;

  /**
   * @param jobs this term's cache, which the sources feed and {@code reconciler} reads; a new
   *     leader starts with an empty one
   */
  public Controller(JobSource nomad, JobCache jobs, OperatorConfig config, Reconciler reconciler, KeyMapper keys,
      Telemetry telemetry, Schedulers schedulers) {
    this(nomad, jobs, config, reconciler, keys, telemetry, schedulers, STREAM_READ_TIMEOUT);
  }

  Controller(
      JobSource nomad,
      JobCache jobs,
      OperatorConfig config,
      Reconciler reconciler,
      KeyMapper keys,
      Telemetry telemetry,
      Schedulers schedulers,
      Duration streamReadTimeout) {
    this.nomad = nomad;
    this.jobs = jobs;
    this.config = config;
    this.reconciler = reconciler;
    this.keys = keys;
    this.telemetry = telemetry;
    this.sync = new JobSync(nomad, jobs, keys, queue, telemetry);
    this.streamReadTimeout = streamReadTimeout;
    this.schedulers = schedulers;
  }

  /** Starts one event source per watched namespace and the periodic resync; workers come with work. */
  public synchronized void start() {
    queue.startTakersOnDemand(config.workers(), this::startWorker);
    EventStreamParser parser = new EventStreamParser(new ObjectMapper());
    for (String namespace : config.namespaces()) {
      EventSource source =
          new EventSource(namespace, nomad, jobs, sync, parser, keys, queue, woken, streamReadTimeout,
              Backoff.reconnects(), telemetry);
      sources.add(source);
      threads.add(start(new Thread(source, "events-" + namespace)));
      if (namespace.equals(OperatorConfig.ALL_NAMESPACES)) {
        NamespaceWatch watch = new NamespaceWatch(nomad, source::reopen, Backoff.reconnects(), NamespaceWatch.WAIT);
        watches.add(watch);
        // not joined on close: a blocking query in flight ends by itself, or with the client
        start(daemon(watch, "namespaces"));
      }
    }
    long every = config.resyncInterval().toMillis();
    // the scheduler only keeps time; the listing runs in the background, never two at once
    resync = schedulers.scheduler().scheduleWithFixedDelay(() -> {
      if (resyncing.compareAndSet(false, true)) {
        schedulers.background().execute(this::resync);
      }
    }, every, every, TimeUnit.MILLISECONDS);
  }

  /** Called by the queue, with its lock held, when a key waits and no worker is free for it. */
  private void startWorker() {
    Thread t = new Thread(this::work, "worker-" + workersStarted++);
    workers.add(t);
    t.start();
  }

  /**
   * Ready once every watched namespace was listed and everything that listing queued was
   * reconciled, and while every event stream is connected.
   */
  public boolean ready() {
    if (!caughtUp && sync.listedAll(config.namespaces())) {
      try {
        caughtUp = queue.awaitIdle(Duration.ZERO);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    return caughtUp && streaming();
  }

  /** True while every event source is connected. */
  public boolean streaming() {
    return !sources.isEmpty() && sources.stream().allMatch(EventSource::connected);
  }

  /** Keys waiting to be reconciled. */
  public int queueDepth() {
    return queue.depth();
  }

  /** Waits until no key is waiting, processing or scheduled for a retry. */
  public boolean awaitIdle(Duration timeout) throws InterruptedException {
    return queue.awaitIdle(timeout);
  }

  private void resync() {
    try {
      resyncAll();
    } finally {
      resyncing.set(false);
    }
  }

  private void resyncAll() {
    for (String namespace : config.namespaces()) {
      try {
        sync.sync(namespace);
      } catch (IOException e) {
        log.warn("Resync of {} failed, next try in {}: {}", namespace,
            GoDuration.format(config.resyncInterval()), e.getMessage());
      } catch (RuntimeException e) {
        log.error("Resync of {} failed unexpectedly", namespace, e);
      }
    }
  }

  private void work() {
    try {
      workUntilIdle();
    } finally {
      workers.remove(Thread.currentThread());
    }
  }

  private void workUntilIdle() {
    while (true) {
      JobKey key;
      try {
        key = queue.takeOrLeave(Schedulers.IDLE);
      } catch (InterruptedException e) {
        return;
      }
      if (key == null) {
        return; // shut down, or nothing to do for a while: the queue starts another when needed
      }
      boolean fromEvent = woken.remove(key);
      MDC.put("job", key.toString());
      long started = System.nanoTime();
      try {
        Outcome outcome = reconciler.reconcile(key);
        telemetry.reconciled(key, Optional.of(outcome), System.nanoTime() - started);
        queue.forget(key);
        if (fromEvent) {
          log.info("--> Done: {} ({})", key, outcome.name().toLowerCase(Locale.ROOT));
        }
      } catch (IOException e) {
        telemetry.reconciled(key, Optional.empty(), System.nanoTime() - started);
        Duration delay = queue.retryLater(key);
        log.warn("    Failed for {}, retry in {} ms: {}", key, delay.toMillis(), e.getMessage());
      } catch (RuntimeException e) {
        telemetry.reconciled(key, Optional.empty(), System.nanoTime() - started);
        Duration delay = queue.retryLater(key);
        log.error("    Failed for {}, retry in {} ms", key, delay.toMillis(), e);
      } finally {
        MDC.remove("job");
        queue.done(key);
      }
    }
  }

  @Override
  public synchronized void close() {
    if (resync != null) {
      resync.cancel(false);
    }
    watches.forEach(NamespaceWatch::stop);
    sources.forEach(EventSource::stop);
    queue.shutDown(); // workers finish the key in hand, then take no more; none is started after it
    long deadline = System.nanoTime() + SHUTDOWN_GRACE.toNanos();
    List<Thread> all = new ArrayList<>(threads);
    all.addAll(workers);
    for (Thread t : all) {
      try {
        t.join(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
      if (t.isAlive()) {
        log.warn("{} did not finish within {}; interrupting it", t.getName(), SHUTDOWN_GRACE);
        t.interrupt();
      }
    }
  }

  private static Thread start(Thread t) {
    t.start();
    return t;
  }

  private static Thread daemon(Runnable r, String name) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    return t;
  }
}

package dev.nomadbackup.controller;

import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The threads the operator's concerns share instead of keeping one each. The <em>scheduler</em> is
 * always there: it keeps time (resyncs, retries of the leader lock) and renews the lock, so its
 * tasks must be short and must not wait on other work. The <em>background</em> thread makes the
 * Nomad calls that stay off the workers' way (a resync's listing, status loads and writes, run
 * rechecks); it is started when such work arrives and ends after {@link #IDLE} without any, so an
 * idle operator does not keep it.
 */
public final class Schedulers implements AutoCloseable {
  /** How long the background thread, and a worker, outlive their last piece of work. */
  public static final Duration IDLE = Duration.ofSeconds(1);

  private final ScheduledThreadPoolExecutor scheduler;
  private final ScheduledThreadPoolExecutor background;

  private Schedulers(ScheduledThreadPoolExecutor scheduler, ScheduledThreadPoolExecutor background) {
    this.scheduler = scheduler;
    this.background = background;
  }

  public static Schedulers create() {
    ScheduledThreadPoolExecutor scheduler = new ScheduledThreadPoolExecutor(1, r -> daemon(r, "scheduler"));
    scheduler.setRemoveOnCancelPolicy(true);
    ScheduledThreadPoolExecutor background = new ScheduledThreadPoolExecutor(1, r -> daemon(r, "background"));
    // a thread that finds no task due within IDLE ends, unless a task is still scheduled
    background.setKeepAliveTime(IDLE.toMillis(), TimeUnit.MILLISECONDS);
    background.allowCoreThreadTimeOut(true);
    background.setRemoveOnCancelPolicy(true);
    return new Schedulers(scheduler, background);
  }

  /** Time keeping and the leader lock: short tasks only. */
  public ScheduledExecutorService scheduler() {
    return scheduler;
  }

  /** Nomad calls off the workers' way, one at a time; a task scheduled far ahead keeps its thread. */
  public ScheduledExecutorService background() {
    return background;
  }

  @Override
  public void close() {
    scheduler.shutdownNow();
    background.shutdownNow();
  }

  private static Thread daemon(Runnable r, String name) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    return t;
  }
}

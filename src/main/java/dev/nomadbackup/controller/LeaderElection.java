package dev.nomadbackup.controller;

import dev.nomadbackup.config.GoDuration;
import dev.nomadbackup.nomad.Failures;
import dev.nomadbackup.nomad.NomadApiException;
import dev.nomadbackup.nomad.NomadLocks;
import java.io.IOException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps trying to hold a Nomad Variables lock, much as Nomad's own LockLeaser does: while held,
 * renew every 0.7 × TTL; otherwise try again every 1.1 × TTL, or every 5 s if that is sooner, so a
 * lock released by a leader that stopped cleanly is taken over quickly. The moment a renewal fails the leader steps down,
 * before anyone else can have the lock; on close it releases the lock so a standby takes over at
 * once.
 *
 * <p>It runs on the shared scheduler, a step at a time (an attempt, a renewal), each scheduling the
 * next: no thread of its own waits between them.
 *
 * <p>It keeps the {@link Lease} that every write checks. When it finds the lease run out (the
 * process was paused, or a renewal was answered too late) it ends the term at once, confirms the
 * lock with a renewal, and only then begins a new term: a fresh controller with a fresh view.
 */
public final class LeaderElection {
  private static final Logger log = LoggerFactory.getLogger(LeaderElection.class);
  private static final Duration LONGEST_STANDBY_POLL = Duration.ofSeconds(5);

  /** Told when this copy starts and stops leading; called on the scheduler's thread. */
  public interface Listener {
    void elected();

    void deposed();
  }

  /** The lock operations, as {@link NomadLocks} offers them for one variable. */
  public interface Lock {
    /** The lock's ID when taken; empty when someone else holds it. */
    Optional<String> acquire(Duration ttl) throws IOException;

    void renew(String lockId) throws IOException;

    void release(String lockId) throws IOException;
  }

  private final Lock locks;
  private final String namespace;
  private final String path;
  private final Duration ttl;
  private final Listener listener;
  private final Lease lease;
  private final ScheduledExecutorService scheduler;
  private volatile boolean stopped;
  private volatile boolean leading;
  private volatile boolean decided;
  private volatile String problem = "";
  // touched only by the steps, which run one at a time on the scheduler
  private String lockId;
  private String lastProblem = "";
  private volatile ScheduledFuture<?> next;

  public LeaderElection(NomadLocks locks, String namespace, String path, Lease lease, Duration ttl,
      Listener listener, ScheduledExecutorService scheduler) {
    this(new Lock() {
      @Override
      public Optional<String> acquire(Duration t) throws IOException {
        return locks.acquire(namespace, path, t, t);
      }

      @Override
      public void renew(String lockId) throws IOException {
        locks.renew(namespace, path, lockId);
      }

      @Override
      public void release(String lockId) throws IOException {
        locks.release(namespace, path, lockId);
      }
    }, namespace, path, lease, ttl, listener, scheduler);
  }

  LeaderElection(Lock locks, String namespace, String path, Lease lease, Duration ttl, Listener listener,
      ScheduledExecutorService scheduler) {
    this.scheduler = scheduler;
    this.locks = locks;
    this.lease = lease;
    this.namespace = namespace;
    this.path = path;
    this.ttl = ttl;
    this.listener = listener;
  }

  public boolean leading() {
    return leading;
  }

  /**
   * True once Nomad has said who holds the lock: us, or someone else. An attempt that failed (no
   * permission, Nomad not ready to write variables, no answer) decides nothing.
   */
  public boolean decided() {
    return decided;
  }

  /** Why the last attempt to take the lock failed; empty after one that was answered. */
  public String problem() {
    return problem;
  }

  /** Starts competing for the lock, on the scheduler; returns at once. */
  public void start() {
    scheduler.execute(() -> guarded(this::attempt));
  }

  // every step runs on the scheduler, one at a time, and schedules the next one itself
  private void attempt() {
    if (stopped) {
      return;
    }
    try {
      long sent = lease.now();
      Optional<String> id = locks.acquire(ttl);
      decided = true;
      problem = "";
      lastProblem = "";
      if (id.isPresent()) {
        lockId = id.get();
        lead(sent);
        return;
      }
      log.debug("Leader lock {} is held by another operator; standing by", path);
    } catch (IOException e) {
      decided = false;
      String cause = describe(e);
      problem = cause;
      if (!cause.equals(lastProblem)) { // once per distinct cause, not every retry
        log.error("Cannot take the leader lock {}: {}", path, cause);
        lastProblem = cause;
      }
    }
    later(this::attempt, retryInterval());
  }

  private Duration retryInterval() {
    Duration leaser = ttl.multipliedBy(11).dividedBy(10);
    return leaser.compareTo(LONGEST_STANDBY_POLL) < 0 ? leaser : LONGEST_STANDBY_POLL;
  }

  /** Begins a term whose lease counts from {@code sentAt}; renewals follow every 0.7 × TTL. */
  private void lead(long sentAt) {
    if (stopped) { // taken while stopping: give it back at once
      release();
      return;
    }
    lease.begin(sentAt);
    leading = true;
    log.info("Leading: holding the lock {} (ttl {})", path, GoDuration.format(ttl));
    listener.elected();
    later(this::renew, ttl.multipliedBy(7).dividedBy(10));
  }

  private void renew() {
    if (stopped || !leading) {
      return;
    }
    long sent = lease.now();
    if (!lease.valid()) {
      log.warn("The leader lease {} ran out {} ms ago (was this process paused?); stopping all work",
          path, lease.expiredForMillis());
      endTerm(false);
      reconfirm();
      return;
    }
    try {
      locks.renew(lockId);
    } catch (IOException e) {
      log.error("Lost the leader lock {} ({}); stopping all work", path, describe(e));
      endTerm(false);
      later(this::attempt, retryInterval());
      return;
    }
    if (!lease.extend(sent)) {
      log.warn("The renewal of the leader lock {} was answered {} ms after the lease ran out; stopping all work",
          path, lease.expiredForMillis());
      endTerm(false);
      reconfirm();
      return;
    }
    later(this::renew, ttl.multipliedBy(7).dividedBy(10));
  }

  private void endTerm(boolean releaseLock) {
    lease.end(); // before the listener: no write of this term passes from here on
    leading = false;
    try {
      listener.deposed(); // all work stops before anyone else can take the lock
    } finally {
      if (releaseLock) {
        release();
      }
    }
  }

  /** After a lapsed term: is the lock still ours? A renewal says; the next term counts from it. */
  private void reconfirm() {
    if (stopped) {
      return;
    }
    long sent = lease.now();
    try {
      locks.renew(lockId);
    } catch (IOException e) {
      log.warn("The leader lock {} is no longer ours ({}); standing by", path, describe(e));
      later(this::attempt, retryInterval());
      return;
    }
    log.info("Still holding the leader lock {}: starting over with a fresh view", path);
    lead(sent);
  }

  private void later(Runnable step, Duration delay) {
    if (stopped) {
      return;
    }
    try {
      next = scheduler.schedule(() -> guarded(step), delay.toMillis(), TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      log.debug("The scheduler is shut down; the election ends");
    }
  }

  /** A step that fails unexpectedly ends the term it is in and is tried again, not dropped. */
  private void guarded(Runnable step) {
    try {
      step.run();
    } catch (RuntimeException e) {
      log.error("The leader election failed unexpectedly; trying again in {}", GoDuration.format(retryInterval()), e);
      if (leading) {
        endTerm(true);
      }
      later(this::attempt, retryInterval());
    }
  }

  private void release() {
    try {
      locks.release(lockId);
      log.info("Released the leader lock {}", path);
    } catch (IOException e) {
      log.warn("Could not release the leader lock {} ({}); a standby takes over after its TTL", path, describe(e));
    }
  }

  private String describe(IOException e) {
    if (e instanceof NomadApiException api && api.forbidden()) {
      return api.getMessage() + "; the variables path is " + path + " in namespace " + namespace;
    }
    return Failures.describe(e);
  }

  /**
   * Stops trying; a leader stops its work and releases the lock before this returns (or after
   * {@code timeout}, which the steps in flight may take at most). Call it from another thread than
   * the scheduler's.
   */
  public void stop(Duration timeout) {
    stopped = true;
    Future<?> done;
    try {
      done = scheduler.submit(() -> {
        ScheduledFuture<?> pending = next;
        if (pending != null) {
          pending.cancel(false);
        }
        if (leading) {
          endTerm(true);
        }
      });
    } catch (RejectedExecutionException e) {
      return; // never started, or already stopped
    }
    try {
      done.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException e) {
      log.error("Stopping the leader election failed", e.getCause());
    } catch (TimeoutException e) {
      log.warn("The leader election did not stop within {}", GoDuration.format(timeout));
    }
  }
}

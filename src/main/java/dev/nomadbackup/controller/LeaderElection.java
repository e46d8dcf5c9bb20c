package dev.nomadbackup.controller;

import dev.nomadbackup.config.GoDuration;
import dev.nomadbackup.nomad.Failures;
import dev.nomadbackup.nomad.NomadApiException;
import dev.nomadbackup.nomad.NomadLocks;
import java.io.IOException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps trying to hold a Nomad Variables lock, much as Nomad's own LockLeaser does: while held,
 * renew every 0.7 × TTL; otherwise try again every 1.1 × TTL, or every 5 s if that is sooner, so a
 * lock released by a leader that stopped cleanly is taken over quickly. The moment a renewal fails the leader steps down,
 * before anyone else can have the lock; on close it releases the lock so a standby takes over at
 * once.
 *
 * <p>It keeps the {@link Lease} that every write checks. When it finds the lease run out (the
 * process was paused, or a renewal was answered too late) it ends the term at once, confirms the
 * lock with a renewal, and only then begins a new term: a fresh controller with a fresh view.
 */
public final class LeaderElection implements Runnable {
  private static final Logger log = LoggerFactory.getLogger(LeaderElection.class);
  private static final Duration LONGEST_STANDBY_POLL = Duration.ofSeconds(5);

  /** Told when this copy starts and stops leading; called on the election's own thread. */
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
  private final CountDownLatch stop = new CountDownLatch(1);
  private volatile boolean leading;
  private volatile boolean decided;
  private volatile String problem = "";
  private String lockId;

  public LeaderElection(NomadLocks locks, String namespace, String path, Lease lease, Duration ttl,
      Listener listener) {
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
    }, namespace, path, lease, ttl, listener);
  }

  LeaderElection(Lock locks, String namespace, String path, Lease lease, Duration ttl, Listener listener) {
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

  @Override
  public void run() {
    String lastProblem = "";
    while (stop.getCount() > 0) {
      try {
        long sent = lease.now();
        Optional<String> id = locks.acquire(ttl);
        decided = true;
        problem = "";
        lastProblem = "";
        if (id.isPresent()) {
          lockId = id.get();
          while (lead(sent)) { // the term lapsed: confirm the lock before a new one
            sent = lease.now();
            if (!reconfirm()) {
              break;
            }
          }
        } else {
          log.debug("Leader lock {} is held by another operator; standing by", path);
        }
      } catch (IOException e) {
        decided = false;
        String cause = describe(e);
        problem = cause;
        if (!cause.equals(lastProblem)) { // once per distinct cause, not every retry
          log.error("Cannot take the leader lock {}: {}", path, cause);
          lastProblem = cause;
        }
      }
      if (await(retryInterval())) {
        return;
      }
    }
  }

  private Duration retryInterval() {
    Duration leaser = ttl.multipliedBy(11).dividedBy(10);
    return leaser.compareTo(LONGEST_STANDBY_POLL) < 0 ? leaser : LONGEST_STANDBY_POLL;
  }

  /** Leads one term; true when it ended because the lease ran out, and the lock may still be ours. */
  private boolean lead(long sentAt) {
    lease.begin(sentAt);
    leading = true;
    log.info("Leading: holding the lock {} (ttl {})", path, GoDuration.format(ttl));
    boolean stopping = false;
    try {
      listener.elected();
      Duration every = ttl.multipliedBy(7).dividedBy(10);
      while (!(stopping = await(every))) {
        long sent = lease.now();
        if (!lease.valid()) {
          log.warn("The leader lease {} ran out {} ms ago (was this process paused?); stopping all work",
              path, lease.expiredForMillis());
          return true;
        }
        try {
          locks.renew(lockId);
        } catch (IOException e) {
          log.error("Lost the leader lock {} ({}); stopping all work", path, describe(e));
          return false;
        }
        if (!lease.extend(sent)) {
          log.warn("The renewal of the leader lock {} was answered {} ms after the lease ran out; stopping all work",
              path, lease.expiredForMillis());
          return true;
        }
      }
      return false;
    } finally {
      lease.end(); // before the listener: no write of this term passes from here on
      leading = false;
      listener.deposed(); // all work stops before anyone else can take the lock
      if (stopping) {
        release();
      }
    }
  }

  /** After a lapsed term: is the lock still ours? A renewal says; the next term counts from it. */
  private boolean reconfirm() {
    if (stop.getCount() == 0) {
      return false;
    }
    try {
      locks.renew(lockId);
      log.info("Still holding the leader lock {}: starting over with a fresh view", path);
      return true;
    } catch (IOException e) {
      log.warn("The leader lock {} is no longer ours ({}); standing by", path, describe(e));
      return false;
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

  private boolean await(Duration d) {
    try {
      return stop.await(d.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return true;
    }
  }

  private String describe(IOException e) {
    if (e instanceof NomadApiException api && api.forbidden()) {
      return api.getMessage() + "; the variables path is " + path + " in namespace " + namespace;
    }
    return Failures.describe(e);
  }

  /** Stops trying; a leader stops its work and releases the lock before {@link #run} returns. */
  public void stop() {
    stop.countDown();
  }
}

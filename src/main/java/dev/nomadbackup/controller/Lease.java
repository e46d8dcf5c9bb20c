package dev.nomadbackup.controller;

import dev.nomadbackup.nomad.Fence;
import dev.nomadbackup.nomad.LeaseExpiredException;
import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * How long this copy of the operator may still write, by its own monotonic clock: until the moment
 * its last successful lock request (acquire or renewal) was <em>sent</em>, plus the lock's TTL,
 * less a safety margin. Nomad cannot have freed the lock before then, since it counts the TTL from
 * when it handled that request, which came later. A process that was paused (SIGSTOP, a long GC, a
 * frozen VM) finds the time gone when it resumes, and writes nothing until the election has
 * confirmed the lock again and begun a new term.
 *
 * <p>Each leadership term has its own {@link #fence()}: a write of an earlier term is refused even
 * once a later term holds a valid lease, so a reconcile that began on a stale view is never
 * finished by it. Thread-safe.
 */
public final class Lease {
  private final long ttlNanos;
  private final long marginNanos;
  private final LongSupplier clock;
  private long term;
  private boolean open;
  private long validUntil;

  /** A lease for a lock of {@code ttl}, with a margin of a tenth of it, on {@link System#nanoTime}. */
  public Lease(Duration ttl) {
    this(ttl, ttl.dividedBy(10), System::nanoTime);
  }

  Lease(Duration ttl, Duration margin, LongSupplier clock) {
    if (margin.isNegative() || margin.compareTo(ttl) >= 0) {
      throw new IllegalArgumentException("margin " + margin + " must be shorter than the TTL " + ttl);
    }
    this.ttlNanos = ttl.toNanos();
    this.marginNanos = margin.toNanos();
    this.clock = clock;
  }

  /** Now, on the lease's clock: take it right before sending a lock request. */
  long now() {
    return clock.getAsLong();
  }

  /** The lock was taken (or confirmed after a lapse) by a request sent at {@code sentAt}: a new term. */
  synchronized void begin(long sentAt) {
    term++;
    open = true;
    validUntil = sentAt + ttlNanos - marginNanos;
  }

  /**
   * A renewal sent at {@code sentAt} succeeded. False when the lease had already run out by the
   * time it was answered: the term is over all the same, since writes were refused in between and
   * others may have changed the cluster; the caller ends it and begins a new one.
   */
  synchronized boolean extend(long sentAt) {
    if (!open || clock.getAsLong() - validUntil > 0) {
      return false;
    }
    validUntil = Math.max(validUntil, sentAt + ttlNanos - marginNanos);
    return true;
  }

  /** The term is over: every fence of it refuses from now on. */
  synchronized void end() {
    open = false;
  }

  /** True while the current term may write. */
  synchronized boolean valid() {
    return open && clock.getAsLong() - validUntil <= 0;
  }

  /** How long ago the lease ran out, in milliseconds; 0 or less while it runs. */
  synchronized long expiredForMillis() {
    return (clock.getAsLong() - validUntil) / 1_000_000;
  }

  /** The fence of the current term: it lets writes through only while this term's lease runs. */
  public synchronized Fence fence() {
    long mine = term;
    return () -> check(mine);
  }

  /** A fence for whatever term is current when a write is made (for state shared by all terms). */
  public Fence current() {
    return () -> {
      long now;
      synchronized (this) {
        now = term;
      }
      check(now);
    };
  }

  private synchronized void check(long mine) throws LeaseExpiredException {
    if (!open || term != mine) {
      throw new LeaseExpiredException("not leading: leadership term " + mine + " is over; not writing");
    }
    long late = clock.getAsLong() - validUntil;
    if (late > 0) {
      throw new LeaseExpiredException(
          "not leading: the lease expired " + late / 1_000_000 + " ms ago; not writing");
    }
  }
}

package dev.nomadbackup.controller;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.random.RandomGenerator;

/**
 * A work queue of keys with per-key retry backoff and the semantics of client-go's workqueue, as
 * used by controller-runtime.
 *
 * <ul>
 *   <li>A key is <em>waiting</em> (added and not yet taken), <em>processing</em> (taken and not yet
 *       {@link #done done}), <em>scheduled</em> (by {@link #addAfter} or {@link #retryLater}, not yet
 *       due), or unknown to the queue.
 *   <li>Adding a waiting key does nothing. Adding a processing key marks it dirty: when its worker
 *       calls {@code done}, it is appended once, however many adds arrived meanwhile. Any other add
 *       appends the key; waiting keys are handed out in the order they were appended.
 *   <li>A key is never handed to two workers at once.
 *   <li>A scheduled key is added when its delay has passed. Each key has at most one schedule;
 *       scheduling it again keeps whichever of the two is due first.
 *   <li>{@link #shutDown} discards waiting and scheduled keys and failure counts, wakes every
 *       {@link #take}, and makes later takes return {@code null} and later adds do nothing. Keys
 *       already processing stay so until {@code done}, and are not appended again.
 * </ul>
 *
 * <p>Takers can come and go with the work: {@link #startTakersOnDemand} names how to start one, and
 * {@link #takeOrLeave} lets a taker leave once the queue has given it nothing for a while. A
 * taker is started whenever a key is waiting with no taker free to take it, or a key is scheduled
 * with no taker alive to promote it when it is due, up to the maximum; one that leaves does so
 * only when nothing is waiting or scheduled, so no key is ever left without a taker.
 *
 * <p>A key leaves no trace once it is done, not dirty, not scheduled and forgotten. Keys must not be
 * {@code null} and must have consistent {@code equals}/{@code hashCode}. All methods are thread-safe.
 * A worker typically runs:
 *
 * <pre>{@code
 * for (K key; (key = queue.take()) != null; ) {
 *   try {
 *     reconcile(key);
 *     queue.forget(key);
 *   } catch (Exception e) {
 *     queue.retryLater(key);
 *   } finally {
 *     queue.done(key);
 *   }
 * }
 * }</pre>
 *
 * @param <K> the key type
 */
final class WorkQueue<K> {

  private record Timer<K>(K key, long dueAt, long sequence) {}

  private final Backoff backoff;
  private final RandomGenerator random;
  private final long origin = System.nanoTime();

  private final ReentrantLock lock = new ReentrantLock();
  // signalled when a key is appended, the earliest timer moves forward, or on shutdown
  private final Condition changed = lock.newCondition();
  private final Condition idle = lock.newCondition();

  private final ArrayDeque<K> waiting = new ArrayDeque<>();
  // keys that are waiting, or processing and added again since they were taken
  private final Set<K> dirty = new HashSet<>();
  private final Set<K> processing = new HashSet<>();
  private final TreeSet<Timer<K>> timers = new TreeSet<>(
      Comparator.<Timer<K>>comparingLong(Timer::dueAt).thenComparingLong(Timer::sequence));
  private final Map<K, Timer<K>> timerByKey = new HashMap<>();
  private final Map<K, Integer> failures = new HashMap<>();
  private long nextSequence;
  private boolean shutDown;
  // takers started by this queue that have not left yet: each holds a key or is coming to take one
  private int takersAlive;
  private int maxTakers;
  private Runnable startTaker;

  /**
   * @param backoff the delays of {@link #retryLater}
   * @param random the jitter of those delays; only used while holding the queue's lock, so it need
   *     not be thread-safe
   */
  WorkQueue(Backoff backoff, RandomGenerator random) {
    this.backoff = Objects.requireNonNull(backoff, "backoff");
    this.random = Objects.requireNonNull(random, "random");
  }

  /**
   * From now on, calls {@code startTaker} (with the queue's lock held, so it must only start a
   * thread) whenever a taker is needed and fewer than {@code maxTakers} it started are alive. Each
   * taker it starts must loop on {@link #takeOrLeave} until that returns {@code null}.
   */
  void startTakersOnDemand(int maxTakers, Runnable startTaker) {
    if (maxTakers < 1) {
      throw new IllegalArgumentException("maxTakers must be at least 1");
    }
    lock.lock();
    try {
      this.maxTakers = maxTakers;
      this.startTaker = Objects.requireNonNull(startTaker, "startTaker");
      startTakersIfNeeded();
    } finally {
      lock.unlock();
    }
  }

  /** Appends {@code key} unless it is already waiting; marks it dirty instead if it is processing. */
  void add(K key) {
    Objects.requireNonNull(key, "key");
    lock.lock();
    try {
      if (!shutDown) {
        append(key);
      }
    } finally {
      lock.unlock();
    }
  }

  /**
   * Schedules {@link #add add(key)} after {@code delay}; a delay that is zero or negative adds at
   * once. If {@code key} is already scheduled, the earlier of the two schedules is kept.
   */
  void addAfter(K key, Duration delay) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(delay, "delay");
    lock.lock();
    try {
      if (shutDown) {
        return;
      }
      if (delay.isNegative() || delay.isZero()) {
        append(key);
        return;
      }
      long now = now();
      long delayNanos = Nanos.saturated(delay);
      long dueAt = delayNanos > Long.MAX_VALUE - now ? Long.MAX_VALUE : now + delayNanos;
      Timer<K> existing = timerByKey.get(key);
      if (existing != null) {
        if (existing.dueAt() <= dueAt) {
          return;
        }
        timers.remove(existing);
      }
      Timer<K> timer = new Timer<>(key, dueAt, nextSequence++);
      timers.add(timer);
      timerByKey.put(key, timer);
      if (timers.first() == timer) {
        changed.signalAll(); // takers waiting for a later timer must wait less
      }
      startTakersIfNeeded();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Counts a failure of {@code key} and schedules it again after the backoff delay for its previous
   * failure count (so the first retry waits about {@link Backoff#initial}).
   *
   * @return the delay chosen, or zero if the queue is shut down (nothing is then scheduled or counted)
   */
  Duration retryLater(K key) {
    Objects.requireNonNull(key, "key");
    lock.lock();
    try {
      if (shutDown) {
        return Duration.ZERO;
      }
      int attempt = failures.getOrDefault(key, 0);
      failures.put(key, attempt == Integer.MAX_VALUE ? attempt : attempt + 1);
      Duration delay = backoff.delay(attempt, random);
      addAfter(key, delay);
      return delay;
    } finally {
      lock.unlock();
    }
  }

  /** Resets the failure count of {@code key}; call it after a success or when the key is gone. */
  void forget(K key) {
    lock.lock();
    try {
      failures.remove(key);
    } finally {
      lock.unlock();
    }
  }

  /** How many times {@link #retryLater} was called for {@code key} since it was last forgotten. */
  int failures(K key) {
    lock.lock();
    try {
      return failures.getOrDefault(key, 0);
    } finally {
      lock.unlock();
    }
  }

  /**
   * Blocks until a key is waiting, then hands it out; it is processing until {@link #done done(key)}.
   *
   * @return the key, or {@code null} once the queue is shut down
   * @throws InterruptedException if interrupted while waiting
   */
  K take() throws InterruptedException {
    return takeOrLeave(null);
  }

  /**
   * As {@link #take()}, but gives up once nothing was waiting or scheduled for {@code idle}; a taker
   * this queue started leaves when it returns {@code null}, and is no longer counted from then on.
   *
   * @param idle how long to wait with nothing waiting or scheduled; {@code null}: for ever
   * @return the key, or {@code null} once the queue is shut down or was idle for {@code idle}
   * @throws InterruptedException if interrupted while waiting; the taker has then left as well
   */
  K takeOrLeave(Duration idle) throws InterruptedException {
    long idleNanos = idle == null ? Long.MAX_VALUE : Nanos.saturated(idle);
    lock.lockInterruptibly();
    try {
      while (!shutDown) {
        promoteDueTimers();
        K key = waiting.poll();
        if (key != null) {
          dirty.remove(key);
          processing.add(key);
          return key;
        }
        if (!timers.isEmpty()) {
          changed.awaitNanos(timers.first().dueAt() - now()); // never leave a schedule unattended
        } else if (idle == null) {
          changed.await();
        } else if (idleNanos <= 0) {
          return leave();
        } else {
          idleNanos = changed.awaitNanos(idleNanos);
        }
      }
      return idle == null ? null : leave();
    } catch (InterruptedException e) {
      if (idle != null) {
        leave();
        startTakersIfNeeded();
      }
      if (!waiting.isEmpty()) {
        changed.signal(); // pass on a wake-up this taker may have consumed
      }
      throw e;
    } finally {
      lock.unlock();
    }
  }

  private K leave() {
    if (takersAlive > 0) {
      takersAlive--;
    }
    return null;
  }

  /**
   * Ends the processing of {@code key}, appending it once if it was added meanwhile. Does nothing if
   * {@code key} is not processing.
   */
  void done(K key) {
    lock.lock();
    try {
      if (!processing.remove(key)) {
        return;
      }
      if (dirty.contains(key)) {
        waiting.add(key);
        changed.signal();
        startTakersIfNeeded();
      }
      signalIfIdle();
    } finally {
      lock.unlock();
    }
  }

  /** How many keys are waiting to be taken, including scheduled keys that are due. */
  int depth() {
    lock.lock();
    try {
      promoteDueTimers();
      return waiting.size();
    } finally {
      lock.unlock();
    }
  }

  /** How many keys are processing. */
  int processingCount() {
    lock.lock();
    try {
      return processing.size();
    } finally {
      lock.unlock();
    }
  }

  /** Shuts the queue down as described in the class documentation; calling it again does nothing. */
  void shutDown() {
    lock.lock();
    try {
      shutDown = true;
      waiting.clear();
      dirty.clear();
      timers.clear();
      timerByKey.clear();
      failures.clear();
      changed.signalAll();
      signalIfIdle();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Waits until no key is waiting, processing or scheduled.
   *
   * @return {@code true} if the queue became idle, {@code false} if {@code timeout} elapsed first
   * @throws InterruptedException if interrupted while waiting
   */
  boolean awaitIdle(Duration timeout) throws InterruptedException {
    long nanos = timeout.isNegative() ? 0 : Nanos.saturated(timeout);
    lock.lockInterruptibly();
    try {
      while (!isIdle()) {
        if (nanos <= 0) {
          return false;
        }
        nanos = idle.awaitNanos(nanos);
      }
      return true;
    } finally {
      lock.unlock();
    }
  }

  private void append(K key) {
    if (dirty.add(key) && !processing.contains(key)) {
      waiting.add(key);
      changed.signal();
      startTakersIfNeeded();
    }
  }

  // a key waiting that no free taker will take, or a schedule that no taker is alive to promote
  private void startTakersIfNeeded() {
    if (startTaker == null || shutDown) {
      return;
    }
    while (takersAlive < maxTakers
        && (waiting.size() > takersAlive - processing.size() || (takersAlive == 0 && !timers.isEmpty()))) {
      takersAlive++;
      startTaker.run();
    }
  }

  private void promoteDueTimers() {
    long now = now();
    while (!timers.isEmpty() && timers.first().dueAt() <= now) {
      Timer<K> timer = timers.pollFirst();
      timerByKey.remove(timer.key());
      append(timer.key());
    }
  }

  private boolean isIdle() {
    return waiting.isEmpty() && processing.isEmpty() && timers.isEmpty();
  }

  private void signalIfIdle() {
    if (isIdle()) {
      idle.signalAll();
    }
  }

  // nanoseconds since this queue was created, so dueAt values compare without wrapping
  private long now() {
    return System.nanoTime() - origin;
  }

}

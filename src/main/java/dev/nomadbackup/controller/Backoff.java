package dev.nomadbackup.controller;

import java.time.Duration;
import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * An immutable, jittered exponential backoff strategy.
 *
 * <p>The delay for attempt {@code n} (counting from 0) starts from the base
 * {@code min(max, initial * factor^n)} and is shortened by a random fraction of at most {@code jitter}
 * of that base, so every delay lies in {@code [(1 - jitter) * base, base]} and never exceeds {@code max}.
 * Delays are computed in nanoseconds with {@code double} arithmetic, so beyond about 50 days the lower
 * bound holds only to within rounding (a few nanoseconds or more); the upper bound holds exactly. A
 * {@code max} beyond what a {@code long} of nanoseconds can hold (about 292 years) is treated as that
 * limit.
 *
 * @param initial the base delay of attempt 0; positive
 * @param max the cap on every delay; at least {@code initial}
 * @param factor the growth of the base from one attempt to the next; finite and at least 1
 * @param jitter the largest fraction by which a delay is shortened at random; in {@code [0, 1)}
 */
public record Backoff(Duration initial, Duration max, double factor, double jitter) {

  public Backoff {
    Objects.requireNonNull(initial, "initial");
    Objects.requireNonNull(max, "max");
    if (initial.isNegative() || initial.isZero()) {
      throw new IllegalArgumentException("initial must be positive: " + initial);
    }
    if (max.compareTo(initial) < 0) {
      throw new IllegalArgumentException("max " + max + " must not be below initial " + initial);
    }
    if (!(factor >= 1) || Double.isInfinite(factor)) {
      throw new IllegalArgumentException("factor must be finite and at least 1: " + factor);
    }
    if (!(jitter >= 0 && jitter < 1)) {
      throw new IllegalArgumentException("jitter must be in [0, 1): " + jitter);
    }
  }

  /** Retries of a failed reconcile: 500 ms, doubling up to 5 min, up to 20 % shorter at random. */
  static Backoff retries() {
    return new Backoff(Duration.ofMillis(500), Duration.ofMinutes(5), 2, 0.2);
  }

  /** Waiting for Nomad at start: 1 s, doubling up to 30 s, exactly (a person reads these lines). */
  public static Backoff startup() {
    return new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(30), 2, 0);
  }

  /** Reconnects of a lost event stream: 1 s, doubling up to 30 s, up to 20 % shorter at random. */
  static Backoff reconnects() {
    return new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(30), 2, 0.2);
  }

  /**
   * The delay before attempt {@code attempt}; any non-negative attempt is valid, however large.
   *
   * @param attempt how many attempts have failed before this one, from 0
   * @param random the source of the jitter; not called when {@code jitter} is 0
   * @throws IllegalArgumentException if {@code attempt} is negative
   */
  public Duration delay(int attempt, RandomGenerator random) {
    if (attempt < 0) {
      throw new IllegalArgumentException("attempt must not be negative: " + attempt);
    }
    long maxNanos = Nanos.saturated(max);
    // pow may reach infinity; the cast to long saturates at Long.MAX_VALUE, so the min is the cap.
    long base = Math.min((long) (Nanos.saturated(initial) * Math.pow(factor, attempt)), maxNanos);
    if (jitter == 0) {
      return Duration.ofNanos(base);
    }
    long reduction = (long) (base * jitter * random.nextDouble());
    return Duration.ofNanos(base - reduction);
  }

}

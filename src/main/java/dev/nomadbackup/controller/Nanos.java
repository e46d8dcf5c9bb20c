package dev.nomadbackup.controller;

import java.time.Duration;

/** Durations as nanoseconds for {@link System#nanoTime()} arithmetic. */
final class Nanos {
  private Nanos() {}

  /** {@code d} in nanoseconds, {@link Long#MAX_VALUE} where it would overflow; for d ≥ 0. */
  static long saturated(Duration d) {
    try {
      return d.toNanos();
    } catch (ArithmeticException e) {
      return Long.MAX_VALUE; // longer than 292 years: as good as forever
    }
  }
}

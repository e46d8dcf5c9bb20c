package dev.nomadbackup.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

final class BackoffTest {

  // nextDouble() of these is exactly 0 and the largest double below 1
  private static final RandomGenerator NO_REDUCTION = () -> 0L;
  private static final RandomGenerator FULL_REDUCTION = () -> -1L;

  @Test
  void growsByFactorFromInitialUntilCappedAtMax() {
    Backoff backoff = new Backoff(Duration.ofMillis(500), Duration.ofSeconds(5), 2, 0);

    assertEquals(Duration.ofMillis(500), backoff.delay(0, NO_REDUCTION));
    assertEquals(Duration.ofSeconds(1), backoff.delay(1, NO_REDUCTION));
    assertEquals(Duration.ofSeconds(2), backoff.delay(2, NO_REDUCTION));
    assertEquals(Duration.ofSeconds(4), backoff.delay(3, NO_REDUCTION));
    assertEquals(Duration.ofSeconds(5), backoff.delay(4, NO_REDUCTION));
    assertEquals(Duration.ofSeconds(5), backoff.delay(30, NO_REDUCTION));
  }

  @Test
  void supportsFractionalFactors() {
    Backoff backoff = new Backoff(Duration.ofSeconds(1), Duration.ofMinutes(1), 1.5, 0);

    assertEquals(Duration.ofMillis(1500), backoff.delay(1, NO_REDUCTION));
    assertEquals(Duration.ofMillis(2250), backoff.delay(2, NO_REDUCTION));
  }

  @Test
  void factorOfOneKeepsDelayConstant() {
    Backoff backoff = new Backoff(Duration.ofSeconds(3), Duration.ofSeconds(3), 1, 0);

    assertEquals(Duration.ofSeconds(3), backoff.delay(0, NO_REDUCTION));
    assertEquals(Duration.ofSeconds(3), backoff.delay(Integer.MAX_VALUE, NO_REDUCTION));
  }

  @Test
  void jitterShortensDelayByAtMostItsFractionAcrossManyDraws() {
    Backoff backoff = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(30), 2, 0.3);
    SplittableRandom random = new SplittableRandom(42);

    for (int attempt = 0; attempt <= 12; attempt++) {
      long base = Math.min(100_000_000L << attempt, 30_000_000_000L);
      long smallest = Long.MAX_VALUE;
      long largest = 0;
      for (int draw = 0; draw < 5_000; draw++) {
        long nanos = backoff.delay(attempt, random).toNanos();
        assertTrue(nanos <= base, () -> "above base " + base + ": " + nanos);
        assertTrue(nanos >= 0.7 * base, () -> "more than 30% below base " + base + ": " + nanos);
        smallest = Math.min(smallest, nanos);
        largest = Math.max(largest, nanos);
      }
      // the draws actually spread over the jitter range
      assertTrue(smallest < 0.72 * base, "smallest " + smallest + " of base " + base);
      assertTrue(largest > 0.98 * base, "largest " + largest + " of base " + base);
    }
  }

  @Test
  void extremeRandomDrawsStayWithinBounds() {
    Backoff backoff = new Backoff(Duration.ofSeconds(10), Duration.ofSeconds(10), 2, 0.5);

    assertEquals(Duration.ofSeconds(10), backoff.delay(0, NO_REDUCTION));
    Duration shortest = backoff.delay(0, FULL_REDUCTION);
    assertTrue(shortest.compareTo(Duration.ofSeconds(5)) >= 0, shortest::toString);
    assertTrue(shortest.compareTo(Duration.ofMillis(5001)) < 0, shortest::toString);
  }

  @Test
  void neverExceedsMaxNorOverflowsForHugeAttempts() {
    Backoff backoff = Backoff.retries();
    SplittableRandom random = new SplittableRandom(7);

    for (int attempt : new int[] {62, 63, 64, 1000, Integer.MAX_VALUE}) {
      for (int draw = 0; draw < 1_000; draw++) {
        Duration delay = backoff.delay(attempt, random);
        assertTrue(delay.compareTo(Duration.ofMinutes(5)) <= 0, delay::toString);
        assertTrue(delay.compareTo(Duration.ofMinutes(4)) >= 0, delay::toString);
      }
    }
    assertEquals(Duration.ofMinutes(5), backoff.delay(1000, NO_REDUCTION));
  }

  @Test
  void treatsMaxBeyondNanosecondRangeAsThatRange() {
    Backoff backoff = new Backoff(Duration.ofDays(1), Duration.ofSeconds(Long.MAX_VALUE), 10, 0.1);

    assertEquals(Duration.ofNanos(Long.MAX_VALUE), backoff.delay(1000, NO_REDUCTION));
    // at this size a double resolves about a microsecond, so compare the fraction kept
    double kept = backoff.delay(1000, FULL_REDUCTION).toNanos() / (double) Long.MAX_VALUE;
    assertTrue(kept >= 0.9 - 1e-12 && kept < 0.9 + 1e-12, () -> "kept " + kept);
  }

  @Test
  void withoutJitterIsDeterministicAndDoesNotDrawRandomNumbers() {
    Backoff backoff = new Backoff(Duration.ofMillis(250), Duration.ofSeconds(10), 2, 0);
    RandomGenerator forbidden = () -> {
      throw new AssertionError("random drawn without jitter");
    };

    assertEquals(Duration.ofSeconds(1), backoff.delay(2, forbidden));
  }

  @Test
  void retriesStartAtHalfASecondAndCapAtFiveMinutes() {
    Backoff retries = Backoff.retries();

    assertEquals(new Backoff(Duration.ofMillis(500), Duration.ofMinutes(5), 2, 0.2), retries);
    assertEquals(Duration.ofMillis(500), retries.delay(0, NO_REDUCTION));
    Duration shortest = retries.delay(0, FULL_REDUCTION);
    assertTrue(shortest.compareTo(Duration.ofMillis(400)) >= 0, shortest::toString);
    assertTrue(shortest.compareTo(Duration.ofMillis(401)) < 0, shortest::toString);
    assertEquals(Duration.ofMinutes(5), retries.delay(20, NO_REDUCTION));
  }

  @Test
  void reconnectsStartAtOneSecondAndCapAtThirtySeconds() {
    Backoff reconnects = Backoff.reconnects();

    assertEquals(new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(30), 2, 0.2), reconnects);
    assertEquals(Duration.ofSeconds(1), reconnects.delay(0, NO_REDUCTION));
    assertEquals(Duration.ofSeconds(16), reconnects.delay(4, NO_REDUCTION));
    assertEquals(Duration.ofSeconds(30), reconnects.delay(5, NO_REDUCTION));
  }

  @Test
  void rejectsNegativeAttempt() {
    assertThrows(IllegalArgumentException.class, () -> Backoff.retries().delay(-1, NO_REDUCTION));
  }

  static Stream<Arguments> invalidParameters() {
    Duration second = Duration.ofSeconds(1);
    return Stream.of(
        Arguments.of("zero initial", Duration.ZERO, second, 2.0, 0.0),
        Arguments.of("negative initial", Duration.ofMillis(-1), second, 2.0, 0.0),
        Arguments.of("max below initial", second, Duration.ofMillis(999), 2.0, 0.0),
        Arguments.of("factor below one", second, second, 0.5, 0.0),
        Arguments.of("NaN factor", second, second, Double.NaN, 0.0),
        Arguments.of("infinite factor", second, second, Double.POSITIVE_INFINITY, 0.0),
        Arguments.of("negative jitter", second, second, 2.0, -0.1),
        Arguments.of("jitter of one", second, second, 2.0, 1.0),
        Arguments.of("NaN jitter", second, second, 2.0, Double.NaN));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("invalidParameters")
  void rejectsInvalidParameters(String name, Duration initial, Duration max, double factor, double jitter) {
    assertThrows(IllegalArgumentException.class, () -> new Backoff(initial, max, factor, jitter));
  }

  @Test
  void rejectsMissingDurations() {
    assertThrows(NullPointerException.class, () -> new Backoff(null, Duration.ofSeconds(1), 2, 0));
    assertThrows(NullPointerException.class, () -> new Backoff(Duration.ofSeconds(1), null, 2, 0));
  }
}

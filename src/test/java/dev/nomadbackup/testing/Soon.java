package dev.nomadbackup.testing;

import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.concurrent.Callable;
import org.awaitility.core.ThrowingRunnable;

/**
 * Waiting for in-memory work on another thread: polled every few milliseconds, so a unit test
 * waits no longer than the work takes, with a deadline that only a broken test reaches.
 */
public final class Soon {
  public static final Duration DEADLINE = Duration.ofSeconds(10);
  private static final Duration POLL = Duration.ofMillis(2);

  private Soon() {}

  public static void until(Callable<Boolean> condition) {
    await().atMost(DEADLINE).pollDelay(Duration.ZERO).pollInterval(POLL).until(condition);
  }

  public static void untilAsserted(ThrowingRunnable assertion) {
    await().atMost(DEADLINE).pollDelay(Duration.ZERO).pollInterval(POLL).untilAsserted(assertion);
  }
}

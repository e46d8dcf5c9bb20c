package dev.nomadbackup.testing;

import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.awaitility.core.ThrowingRunnable;

/** Waiting with a deadline for something the operator does asynchronously. */
public final class Waits {
  /** Long enough for a reconcile on a loaded machine, short enough to fail a broken test quickly. */
  public static final Duration DEADLINE = Duration.ofSeconds(30);

  private Waits() {}

  /** Waits until the assertion holds. */
  public static void eventually(ThrowingRunnable assertion) {
    await().atMost(DEADLINE).pollInterval(Duration.ofMillis(100)).untilAsserted(assertion);
  }

  /** Waits until the supplier has a value and returns it. */
  public static <T> T awaitPresent(java.util.concurrent.Callable<Optional<T>> supplier) {
    AtomicReference<T> value = new AtomicReference<>();
    await().atMost(DEADLINE).pollInterval(Duration.ofMillis(100)).until(() -> {
      Optional<T> v = supplier.call();
      v.ifPresent(value::set);
      return v.isPresent();
    });
    return value.get();
  }
}

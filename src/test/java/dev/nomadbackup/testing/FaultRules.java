package dev.nomadbackup.testing;

import dev.nomadbackup.testing.FaultProxy.Fault;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;

/**
 * The faults a test asked {@link FaultProxy} for: each rule meets the next so many requests whose
 * method and path match it, in the order the rules were added; and the requests a {@link
 * Fault.Hold} keeps until they are released.
 */
final class FaultRules {
  private record Rule(String method, Pattern path, AtomicInteger remaining, Fault fault) {}

  private final List<Rule> rules = new CopyOnWriteArrayList<>();
  private final AtomicInteger holding = new AtomicInteger();
  private volatile CountDownLatch hold = new CountDownLatch(1);

  void add(int times, String method, String pathRegex, Fault fault) {
    rules.add(new Rule(method, Pattern.compile(pathRegex), new AtomicInteger(times), fault));
  }

  /** Faults still to be handed out. */
  int pending() {
    return rules.stream().mapToInt(r -> Math.max(0, r.remaining().get())).sum();
  }

  /** The fault this request meets, or null; counts it as handed out. */
  Fault match(String method, String path) {
    for (Rule rule : rules) {
      if (rule.method().equals(method) && rule.path().matcher(path).matches()
          && rule.remaining().getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
        return rule.fault();
      }
    }
    return null;
  }

  /** Requests being held now. */
  int held() {
    return holding.get();
  }

  void releaseHeld() {
    CountDownLatch old = hold;
    hold = new CountDownLatch(1);
    old.countDown();
  }

  /** Holds the calling request until {@link #releaseHeld}. */
  void awaitRelease() throws IOException {
    holding.incrementAndGet();
    try {
      hold.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    } finally {
      holding.decrementAndGet();
    }
  }
}

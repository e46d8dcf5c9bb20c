package dev.nomadbackup.controller;

import static dev.nomadbackup.testing.FakeNomad.NAMESPACES;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nomadbackup.nomad.Namespaces;
import dev.nomadbackup.testing.FakeNomad;
import dev.nomadbackup.testing.LogCapture;
import dev.nomadbackup.testing.Soon;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The blocking-query loop over the cluster's namespaces, against scripted answers. */
@Timeout(30)
final class NamespaceWatchTest {
  private static final Duration BLOCKING_WAIT = Duration.ofMillis(10);
  private static final Duration PAUSE = Duration.ofMillis(30);

  private final FakeNomad nomad = new FakeNomad();
  private final AtomicInteger changes = new AtomicInteger();
  private final LogCapture log = LogCapture.attach();
  private NamespaceWatch watch;
  private Thread thread;

  @AfterEach
  void stop() throws InterruptedException {
    if (watch != null) {
      watch.stop();
      thread.join(Soon.DEADLINE.toMillis());
    }
    log.close();
  }

  @Test
  void callsBackWhenTheSetOfNamespacesChanges() {
    answer(1, "default");
    answer(2, "default", "team-a");
    answer(3, "team-a");
    start(new Backoff(PAUSE, PAUSE, 1, 0));

    Soon.until(() -> changes.get() == 2);

    assertTrue(log.contains("Namespaces changed (+team-a)"), log.lines().toString());
    assertTrue(log.contains("Namespaces changed (-default)"), log.lines().toString());
  }

  @Test
  void doesNotCallBackWhenOnlyTheIndexMoves() {
    answer(1, "default", "team-a");
    answer(2, "team-a", "default");
    answer(7, "default", "team-a");
    start(new Backoff(PAUSE, PAUSE, 1, 0));

    Soon.until(() -> nomad.calls(NAMESPACES).size() >= 5);

    assertEquals(0, changes.get());
  }

  @Test
  void asksFromTheLastIndexAndStartsOverWhenTheIndexGoesBack() {
    answer(5, "default");
    answer(9, "default");
    answer(3, "default");
    start(new Backoff(PAUSE, PAUSE, 1, 0));

    Soon.until(() -> nomad.calls(NAMESPACES).size() >= 4);

    assertEquals(List.of("0", "5", "9", "0"), nomad.calls(NAMESPACES).subList(0, 4));
  }

  @Test
  void backsOffAfterAnErrorAndGoesOn() {
    List<Long> askedAt = new CopyOnWriteArrayList<>();
    answer(1, "default");
    nomad.answerNamespaces(() -> {
      askedAt.add(System.nanoTime());
      throw new IOException("connection refused");
    });
    nomad.answerNamespaces(() -> {
      askedAt.add(System.nanoTime());
      throw new IllegalStateException("an answer nobody expected");
    });
    nomad.answerNamespaces(() -> {
      askedAt.add(System.nanoTime());
      return new Namespaces(Set.of("default", "team-b"), 4);
    });
    start(new Backoff(PAUSE, PAUSE, 1, 0));

    Soon.until(() -> changes.get() == 1);

    assertEquals(List.of("0", "1", "1", "1"), nomad.calls(NAMESPACES).subList(0, 4),
        "a failed query is asked again from the same index");
    assertTrue(askedAt.get(1) - askedAt.get(0) >= PAUSE.toNanos(), "paused after the IOException");
    assertTrue(askedAt.get(2) - askedAt.get(1) >= PAUSE.toNanos(), "paused after the RuntimeException");
    assertTrue(thread.isAlive());
  }

  @Test
  void stopEndsTheLoop() throws InterruptedException {
    answer(1, "default");
    start(new Backoff(PAUSE, PAUSE, 1, 0));
    Soon.until(() -> nomad.calls(NAMESPACES).size() >= 2);

    watch.stop();

    thread.join(Soon.DEADLINE.toMillis());
    assertFalse(thread.isAlive());
  }

  private void answer(long index, String... names) {
    nomad.answerNamespaces(() -> new Namespaces(Set.of(names), index));
  }

  private void start(Backoff backoff) {
    watch = new NamespaceWatch(nomad, changes::incrementAndGet, backoff, BLOCKING_WAIT);
    thread = new Thread(watch, "namespaces-test");
    thread.setDaemon(true);
    thread.start();
  }
}

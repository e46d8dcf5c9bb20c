package dev.nomadbackup.controller;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.ref.WeakReference;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
final class WorkQueueTest {

  private static final Backoff TEN_MS_DOUBLING = new Backoff(Duration.ofMillis(10), Duration.ofSeconds(1), 2, 0);
  private static final Duration AN_HOUR = Duration.ofHours(1);
  private static final Duration BLOCKED_FOR = Duration.ofMillis(150);

  private final WorkQueue<String> queue = new WorkQueue<>(TEN_MS_DOUBLING, new SplittableRandom(1));
  private final ExecutorService threads = Executors.newCachedThreadPool();

  @AfterEach
  void tearDown() {
    queue.shutDown();
    threads.shutdownNow();
  }

  @Test
  void ignoresAddOfKeyThatIsAlreadyWaiting() throws InterruptedException {
    queue.add("a");
    queue.add("a");
    queue.add("b");
    queue.add("a");

    assertEquals(2, queue.depth());
    assertEquals("a", queue.take());
    assertEquals("b", queue.take());
    assertEquals(0, queue.depth());
  }

  @Test
  void handsOutWaitingKeysInFifoOrder() throws InterruptedException {
    List<String> added = List.of("c", "a", "d", "b");
    added.forEach(queue::add);

    List<String> taken = new ArrayList<>();
    for (int i = 0; i < added.size(); i++) {
      taken.add(queue.take());
    }

    assertEquals(added, taken);
  }

  @Test
  void foldsEventsArrivingDuringProcessingIntoOneFollowUp() throws InterruptedException {
    queue.add("a");
    assertEquals("a", queue.take());

    for (int i = 0; i < 5; i++) {
      queue.add("a");
    }
    assertEquals(0, queue.depth());
    assertEquals(1, queue.processingCount());

    queue.done("a");
    assertEquals(1, queue.depth());
    assertEquals("a", queue.take());
    queue.done("a");

    assertEquals(0, queue.depth());
    assertEquals(0, queue.processingCount());
    assertTrue(queue.awaitIdle(Duration.ZERO));
  }

  @Test
  void withholdsKeyFromSecondWorkerUntilFirstIsDone() throws Exception {
    queue.add("a");
    assertEquals("a", queue.take());
    queue.add("a");

    Future<String> second = threads.submit(queue::take);
    await().during(BLOCKED_FOR).atMost(Duration.ofSeconds(5)).until(() -> !second.isDone());

    queue.done("a");
    assertEquals("a", second.get(5, SECONDS));
  }

  @Test
  void handsOutOtherKeysWhileOneIsProcessing() throws InterruptedException {
    queue.add("a");
    assertEquals("a", queue.take());

    queue.add("a");
    queue.add("b");

    assertEquals("b", queue.take());
    assertEquals(2, queue.processingCount());
  }

  @Test
  void neverHandsOneKeyToTwoWorkersAndProcessesEveryKeyAfterItsLastAdd() throws Exception {
    WorkQueue<Integer> stressed = new WorkQueue<>(
        new Backoff(Duration.ofMillis(1), Duration.ofMillis(4), 2, 0.5), new SplittableRandom(3));
    int keys = 200;
    int producers = 4;
    int rounds = 50;
    int workers = 8;
    AtomicLong clock = new AtomicLong();
    ConcurrentHashMap<Integer, Long> lastAdded = new ConcurrentHashMap<>();
    ConcurrentHashMap<Integer, Long> lastStarted = new ConcurrentHashMap<>();
    ConcurrentHashMap<Integer, AtomicInteger> holders = new ConcurrentHashMap<>();
    AtomicInteger mostConcurrentHolders = new AtomicInteger();
    AtomicInteger retries = new AtomicInteger();

    List<Future<?>> workerRuns = new ArrayList<>();
    for (int w = 0; w < workers; w++) {
      workerRuns.add(threads.submit(() -> {
        for (Integer key; (key = stressed.take()) != null; ) {
          lastStarted.merge(key, clock.incrementAndGet(), Math::max);
          AtomicInteger holding = holders.computeIfAbsent(key, k -> new AtomicInteger());
          mostConcurrentHolders.accumulateAndGet(holding.incrementAndGet(), Math::max);
          Thread.yield(); // widen the window in which a second holder would show
          holding.decrementAndGet();
          if (stressed.failures(key) < 2 && ThreadLocalRandom.current().nextInt(10) == 0) {
            stressed.retryLater(key);
            retries.incrementAndGet();
          } else {
            stressed.forget(key);
          }
          stressed.done(key);
        }
        return null;
      }));
    }
    List<Future<?>> producerRuns = new ArrayList<>();
    for (int p = 0; p < producers; p++) {
      producerRuns.add(threads.submit(() -> {
        List<Integer> order = new ArrayList<>(IntStream.range(0, keys).boxed().toList());
        for (int round = 0; round < rounds; round++) {
          Collections.shuffle(order);
          for (Integer key : order) {
            lastAdded.merge(key, clock.incrementAndGet(), Math::max);
            stressed.add(key);
          }
        }
        return null;
      }));
    }
    for (Future<?> run : producerRuns) {
      run.get(30, SECONDS);
    }

    assertTrue(stressed.awaitIdle(Duration.ofSeconds(30)), "queue did not drain");
    assertEquals(1, mostConcurrentHolders.get());
    assertTrue(retries.get() > 0, "the load exercised no retries");
    for (int key = 0; key < keys; key++) {
      assertTrue(lastStarted.containsKey(key), "never processed: " + key);
      assertTrue(lastStarted.get(key) > lastAdded.get(key), "not processed after its last add: " + key);
      assertEquals(0, stressed.failures(key), "failure count left for " + key);
    }

    stressed.shutDown();
    for (Future<?> run : workerRuns) {
      run.get(5, SECONDS);
    }
  }

  @Test
  void retryLaterBacksOffExponentiallyPerKeyAndForgetResets() {
    assertEquals(Duration.ofMillis(10), queue.retryLater("a"));
    assertEquals(Duration.ofMillis(20), queue.retryLater("a"));
    assertEquals(Duration.ofMillis(40), queue.retryLater("a"));
    assertEquals(3, queue.failures("a"));

    assertEquals(Duration.ofMillis(10), queue.retryLater("b"));
    assertEquals(1, queue.failures("b"));

    queue.forget("a");
    assertEquals(0, queue.failures("a"));
    assertEquals(Duration.ofMillis(10), queue.retryLater("a"));
    assertEquals(1, queue.failures("b"));
  }

  @Test
  void retryLaterRedeliversKeyNoSoonerThanItsDelay() throws InterruptedException {
    WorkQueue<String> slow = new WorkQueue<>(
        new Backoff(Duration.ofMillis(300), Duration.ofSeconds(1), 2, 0), new SplittableRandom(1));
    long start = System.nanoTime();

    Duration delay = slow.retryLater("a");
    assertEquals(0, slow.depth());
    assertEquals("a", slow.take());

    assertTrue(Duration.ofNanos(System.nanoTime() - start).compareTo(delay) >= 0);
    slow.shutDown();
  }

  @Test
  void retryDueWhileKeyIsProcessingRedeliversItOnceDone() throws InterruptedException {
    queue.add("a");
    assertEquals("a", queue.take());

    queue.retryLater("a");
    // once the 10 ms have passed the retry is due, but the key still is not handed out
    await().pollDelay(Duration.ofMillis(50)).atMost(Duration.ofSeconds(5)).until(() -> queue.depth() == 0);
    assertFalse(queue.awaitIdle(Duration.ZERO));

    queue.done("a");
    assertEquals(1, queue.depth());
    assertEquals("a", queue.take());
  }

  @Test
  void addAfterKeepsTheEarlierScheduleOfAKey() throws InterruptedException {
    queue.addAfter("a", AN_HOUR);
    queue.addAfter("a", Duration.ofMillis(20));
    assertEquals("a", queue.take());
    queue.done("a");
    assertTrue(queue.awaitIdle(Duration.ZERO), "the hour-long schedule of a is still pending");

    queue.addAfter("b", Duration.ofMillis(20));
    queue.addAfter("b", AN_HOUR);
    assertEquals("b", queue.take());
    queue.done("b");
    assertTrue(queue.awaitIdle(Duration.ZERO), "the hour-long schedule of b is still pending");
  }

  @Test
  void addAfterWithoutPositiveDelayAddsAtOnce() throws InterruptedException {
    queue.addAfter("a", Duration.ZERO);
    queue.addAfter("b", Duration.ofSeconds(-1));

    assertEquals(2, queue.depth());
    assertEquals("a", queue.take());
    assertEquals("b", queue.take());
  }

  @Test
  void blockedTakerWakesForNewlyScheduledEarlierKey() throws Exception {
    Future<String> first = threads.submit(queue::take);
    await().during(BLOCKED_FOR).atMost(Duration.ofSeconds(5)).until(() -> !first.isDone());
    queue.addAfter("soon", Duration.ofMillis(20));
    assertEquals("soon", first.get(5, SECONDS));

    queue.addAfter("later", AN_HOUR);
    Future<String> second = threads.submit(queue::take);
    await().during(BLOCKED_FOR).atMost(Duration.ofSeconds(5)).until(() -> !second.isDone());
    queue.addAfter("sooner", Duration.ofMillis(20));
    assertEquals("sooner", second.get(5, SECONDS));
  }

  @Test
  void shutDownWakesBlockedTakersWithNull() throws Exception {
    List<Future<String>> takers = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      takers.add(threads.submit(queue::take));
    }
    await().during(BLOCKED_FOR).atMost(Duration.ofSeconds(5))
        .until(() -> takers.stream().noneMatch(Future::isDone));

    queue.shutDown();

    for (Future<String> taker : takers) {
      assertNull(taker.get(5, SECONDS));
    }
    assertNull(queue.take());
  }

  @Test
  void shutDownDropsWaitingAndScheduledKeysButLetsProcessingFinish() throws Exception {
    queue.add("a");
    queue.add("b");
    assertEquals("a", queue.take());
    queue.add("a");
    queue.addAfter("c", AN_HOUR);
    queue.retryLater("d");

    queue.shutDown();

    assertEquals(0, queue.depth());
    assertEquals(1, queue.processingCount());
    assertEquals(0, queue.failures("d"));
    assertFalse(queue.awaitIdle(Duration.ZERO));
    Future<Boolean> idle = threads.submit(() -> queue.awaitIdle(Duration.ofSeconds(30)));
    await().during(BLOCKED_FOR).atMost(Duration.ofSeconds(5)).until(() -> !idle.isDone());

    queue.done("a");

    assertTrue(idle.get(5, SECONDS));
    assertEquals(0, queue.depth());
    assertNull(queue.take());
  }

  @Test
  void ignoresEverythingButDoneAfterShutDown() throws InterruptedException {
    queue.shutDown();

    queue.add("a");
    queue.addAfter("b", Duration.ofMillis(1));
    assertEquals(Duration.ZERO, queue.retryLater("c"));

    assertEquals(0, queue.depth());
    assertEquals(0, queue.failures("c"));
    assertTrue(queue.awaitIdle(Duration.ZERO));
    assertNull(queue.take());
    queue.shutDown();
  }

  @Test
  void awaitIdleWaitsUntilNothingIsWaitingProcessingOrScheduled() throws Exception {
    assertTrue(queue.awaitIdle(Duration.ZERO));

    queue.add("a");
    assertFalse(queue.awaitIdle(Duration.ZERO));
    assertEquals("a", queue.take());
    assertFalse(queue.awaitIdle(Duration.ofMillis(50)));

    Future<Boolean> idle = threads.submit(() -> queue.awaitIdle(Duration.ofSeconds(30)));
    await().during(BLOCKED_FOR).atMost(Duration.ofSeconds(5)).until(() -> !idle.isDone());
    queue.done("a");
    assertTrue(idle.get(5, SECONDS));

    queue.addAfter("b", Duration.ofMillis(20));
    assertFalse(queue.awaitIdle(Duration.ZERO));
    Future<String> worker = threads.submit(() -> {
      String key = queue.take();
      queue.done(key);
      return key;
    });
    assertTrue(queue.awaitIdle(Duration.ofSeconds(30)));
    assertEquals("b", worker.get(5, SECONDS));
  }

  @Test
  void interruptingBlockedTakerThrowsAndLeavesQueueUsable() throws InterruptedException {
    AtomicReference<Throwable> thrown = new AtomicReference<>();
    Thread taker = new Thread(() -> {
      try {
        queue.take();
      } catch (Throwable t) {
        thrown.set(t);
      }
    });
    taker.start();
    await().atMost(Duration.ofSeconds(5)).until(() -> taker.getState() == Thread.State.WAITING);

    taker.interrupt();

    await().atMost(Duration.ofSeconds(5)).until(() -> thrown.get() != null);
    assertInstanceOf(InterruptedException.class, thrown.get());
    queue.add("a");
    assertEquals("a", queue.take());
  }

  @Test
  void ignoresDoneForKeyThatIsNotProcessing() throws InterruptedException {
    queue.done("unknown");
    queue.add("a");
    queue.done("a");

    assertEquals(1, queue.depth());
    assertEquals(0, queue.processingCount());
    assertEquals("a", queue.take());
  }

  @Test
  void retainsNoReferenceToKeyOnceDoneAndForgotten() throws InterruptedException {
    WorkQueue<Object> objects = new WorkQueue<>(TEN_MS_DOUBLING, new SplittableRandom(1));

    WeakReference<Object> key = cycleThroughEveryState(objects);

    await().atMost(Duration.ofSeconds(20)).until(() -> {
      System.gc();
      return key.get() == null;
    });
    objects.shutDown();
  }

  /** Runs a fresh key through waiting, processing, dirty, scheduled and failed, then finishes it. */
  private static WeakReference<Object> cycleThroughEveryState(WorkQueue<Object> objects)
      throws InterruptedException {
    Object key = new Object();
    objects.add(key);
    assertTrue(objects.take() == key);
    objects.retryLater(key);
    objects.done(key);
    assertTrue(objects.take() == key);
    objects.add(key);
    objects.done(key);
    assertTrue(objects.take() == key);
    assertEquals(1, objects.failures(key));
    objects.forget(key);
    objects.done(key);
    assertTrue(objects.awaitIdle(Duration.ZERO));
    return new WeakReference<>(key);
  }

  /** Takers the queue starts on demand, each looping until the queue lets it leave. */
  private final class OnDemand {
    final List<Thread> started = Collections.synchronizedList(new ArrayList<>());
    final List<String> handled = Collections.synchronizedList(new ArrayList<>());
    final AtomicInteger busy = new AtomicInteger();
    final AtomicInteger mostBusy = new AtomicInteger();

    final CountDownLatch gate;

    OnDemand(WorkQueue<String> q, int max, Duration idle, boolean gated) {
      gate = new CountDownLatch(gated ? 1 : 0);
      q.startTakersOnDemand(max, () -> {
        Thread t = new Thread(() -> {
          try {
            for (String key; (key = q.takeOrLeave(idle)) != null; ) {
              mostBusy.accumulateAndGet(busy.incrementAndGet(), Math::max);
              gate.await(); // a reconcile that takes until the test opens the gate
              handled.add(key);
              busy.decrementAndGet();
              q.done(key);
            }
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        });
        started.add(t);
        t.start();
      });
    }

    boolean allLeft() {
      synchronized (started) {
        return started.stream().noneMatch(Thread::isAlive);
      }
    }
  }

  @Test
  void startsNoTakerWithoutWorkAndOneForAWaitingKeyThatLeavesOnceIdle() {
    OnDemand takers = new OnDemand(queue, 4, Duration.ofMillis(50), false);
    assertTrue(takers.started.isEmpty());

    queue.add("a");
    await().atMost(Duration.ofSeconds(5)).until(() -> takers.handled.contains("a"));
    assertEquals(1, takers.started.size(), "one key, one taker");
    await().atMost(Duration.ofSeconds(5)).until(takers::allLeft);

    queue.add("b"); // a taker that left is replaced when work comes again
    await().atMost(Duration.ofSeconds(5)).until(() -> takers.handled.contains("b"));
    assertEquals(2, takers.started.size());
  }

  @Test
  void startsNoMoreTakersThanTheMaximumAndHandlesEveryKey() {
    OnDemand takers = new OnDemand(queue, 3, Duration.ofMillis(50), true);
    IntStream.range(0, 60).forEach(i -> queue.add("k" + i));
    await().atMost(Duration.ofSeconds(5)).until(() -> takers.busy.get() == 3);
    assertEquals(3, takers.started.size(), "every taker allowed is busy, and no more were started");
    takers.gate.countDown();
    await().atMost(Duration.ofSeconds(10)).until(() -> takers.handled.size() == 60);
    assertEquals(3, takers.mostBusy.get());
    assertEquals(3, takers.started.size());
    await().atMost(Duration.ofSeconds(5)).until(takers::allLeft);
  }

  @Test
  void aScheduledKeyKeepsATakerUntilItIsDueThoughItOutlastsTheIdleTime() {
    OnDemand takers = new OnDemand(queue, 2, Duration.ofMillis(20), false);
    queue.addAfter("later", Duration.ofMillis(300));
    assertEquals(1, takers.started.size(), "a schedule needs a taker alive to hand it out");
    await().atMost(Duration.ofSeconds(5)).until(() -> takers.handled.contains("later"));
    await().atMost(Duration.ofSeconds(5)).until(takers::allLeft);
  }

  @Test
  void aRetryOfAKeyIsHandedOutAfterItsWorkerWouldHaveLeft() {
    WorkQueue<String> slow = new WorkQueue<>(
        new Backoff(Duration.ofMillis(200), Duration.ofSeconds(1), 2, 0), new SplittableRandom(1));
    OnDemand takers = new OnDemand(slow, 1, Duration.ofMillis(20), false);
    slow.retryLater("failed");
    await().atMost(Duration.ofSeconds(5)).until(() -> takers.handled.contains("failed"));
    slow.shutDown();
    await().atMost(Duration.ofSeconds(5)).until(takers::allLeft);
  }

  @Test
  void shutDownEndsEveryTakerItStarted() {
    OnDemand takers = new OnDemand(queue, 2, AN_HOUR, false);
    queue.add("a");
    queue.add("b");
    await().atMost(Duration.ofSeconds(5)).until(() -> takers.handled.size() == 2);
    queue.shutDown();
    await().atMost(Duration.ofSeconds(5)).until(takers::allLeft);
  }

  @Test
  void rejectsNullKeys() {
    assertThrows(NullPointerException.class, () -> queue.add(null));
    assertThrows(NullPointerException.class, () -> queue.addAfter(null, Duration.ZERO));
    assertThrows(NullPointerException.class, () -> queue.retryLater(null));
  }
}

package dev.nomadbackup.controller;

import static dev.nomadbackup.testing.EventLines.registered;
import static dev.nomadbackup.testing.FakeNomad.LIST;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nomadbackup.config.OperatorConfig;
import dev.nomadbackup.nomad.JobCache;
import dev.nomadbackup.nomad.JobEvent;
import dev.nomadbackup.nomad.JobKey;
import dev.nomadbackup.nomad.NomadJob;
import dev.nomadbackup.testing.FakeEventStream;
import dev.nomadbackup.testing.FakeNomad;
import dev.nomadbackup.testing.LogCapture;
import dev.nomadbackup.testing.Soon;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The worker loop with its sources, against the fake Nomad and a scripted reconciler. Retries use
 * the production backoff (the first waits 400 to 500 ms), so the retry tests take about that long.
 */
@Timeout(30)
final class ControllerTest {
  private static final Pattern RETRY_DELAY = Pattern.compile("Failed for (\\S+), retry in (\\d+) ms");
  /** The first retry waits {@link Backoff#retries()}'s 500 ms, shortened by at most 20 %. */
  private static final long FIRST_RETRY_MIN_MS = 400;
  private static final long FIRST_RETRY_MAX_MS = 500;

  private final FakeNomad nomad = new FakeNomad();
  private final ScriptedReconciler reconciler = new ScriptedReconciler();
  private final List<Optional<Outcome>> reported = new CopyOnWriteArrayList<>();
  private final List<CountDownLatch> gates = new CopyOnWriteArrayList<>();
  private final LogCapture log = LogCapture.attach();
  private Controller controller;
  private final Schedulers schedulers = Schedulers.create();

  @AfterEach
  void close() {
    gates.forEach(CountDownLatch::countDown);
    if (controller != null) {
      controller.close();
    }
    schedulers.close();
    log.close();
  }

  @Test
  void retriesAReconcileThatFailedWithBackoff() {
    nomad.put(FakeNomad.service("default", "web", Map.of()));
    reconciler.script("web", fail(new IOException("Nomad is away")), answer(Outcome.CREATED));
    start(List.of("default"), 1);

    Soon.until(() -> reconciler.calls("web").size() == 2);

    List<Long> at = reconciler.calls("web");
    long waitedMs = TimeUnit.NANOSECONDS.toMillis(at.get(1) - at.get(0));
    assertTrue(waitedMs >= FIRST_RETRY_MIN_MS, "retried after " + waitedMs + " ms");
    long logged = retryDelays("web").get(0);
    assertTrue(logged >= FIRST_RETRY_MIN_MS && logged <= FIRST_RETRY_MAX_MS, "logged delay " + logged);
    assertEquals(List.of("WARN"), levels("Failed for web, retry in"));
    assertTrue(log.contains("Failed for web, retry in " + logged + " ms: Nomad is away"), log.lines().toString());
    Soon.untilAsserted(() -> assertEquals(List.of(Optional.empty(), Optional.of(Outcome.CREATED)), reported));
  }

  @Test
  void aRuntimeExceptionNeverEndsAWorker() {
    nomad.put(FakeNomad.service("default", "web", Map.of()));
    nomad.put(FakeNomad.service("default", "api", Map.of()));
    reconciler.script("web", fail(new IllegalStateException("a bug")), answer(Outcome.UPDATED));
    start(List.of("default"), 1);

    Soon.until(() -> reconciler.calls("api").size() == 1 && reconciler.calls("web").size() == 2);

    assertEquals(List.of("ERROR"), levels("Failed for web, retry in"));
  }

  @Test
  void aSuccessForgetsTheFailuresOfItsKey() {
    nomad.put(FakeNomad.service("default", "web", Map.of()));
    reconciler.script("web",
        fail(new IOException("first")), answer(Outcome.CREATED),
        fail(new IOException("second")), answer(Outcome.UNCHANGED));
    FakeEventStream events = nomad.connect();
    start(List.of("default"), 1);
    Soon.until(() -> reconciler.calls("web").size() == 2);

    events.send(registered(100, "default", "web", Map.of()));

    Soon.until(() -> reconciler.calls("web").size() == 4);
    List<Long> delays = retryDelays("web");
    assertEquals(2, delays.size(), log.lines().toString());
    for (long delay : delays) {
      assertTrue(delay >= FIRST_RETRY_MIN_MS && delay <= FIRST_RETRY_MAX_MS,
          "each failure after a success waits as a first one: " + delays);
    }
  }

  @Test
  void logsDoneOnlyForKeysAnEventWoke() {
    nomad.put(FakeNomad.service("default", "listed", Map.of()));
    reconciler.script("listed", answer(Outcome.UNCHANGED));
    reconciler.script("evented", answer(Outcome.CREATED));
    FakeEventStream events = nomad.connect();
    start(List.of("default"), 2);
    Soon.until(() -> reconciler.calls("listed").size() == 1 && controller.streaming());

    events.send(registered(100, "default", "evented", Map.of()));

    Soon.until(() -> log.contains("--> Done: evented (created)"));
    assertEquals(0, log.count("--> Done: listed"), log.lines().toString());
    assertEquals(1, log.count("--> Done:"));
  }

  @Test
  void isReadyOnlyOnceTheListingWasReconciled() throws InterruptedException {
    CountDownLatch listing = gate();
    CountDownLatch reconciling = gate();
    nomad.beforeList(ns -> await(listing));
    nomad.put(FakeNomad.service("default", "web", Map.of()));
    reconciler.block("web", reconciling);
    nomad.connect();
    start(List.of("default"), 1);

    Soon.until(() -> nomad.calls(LIST).size() == 1);
    assertFalse(controller.ready(), "not listed yet");

    listing.countDown();
    Soon.until(() -> reconciler.calls("web").size() == 1 && controller.streaming());
    assertFalse(controller.ready(), "listed and streaming, but web is still being reconciled");

    reconciling.countDown();
    Soon.until(controller::ready);
  }

  @Test
  void isReadyOnlyOnceEveryWatchedNamespaceWasListed() throws InterruptedException {
    CountDownLatch second = gate();
    nomad.beforeList(ns -> {
      if (ns.equals("team-b")) {
        await(second);
      }
    });
    nomad.put(FakeNomad.service("team-a", "web", Map.of()));
    nomad.connect();
    nomad.connect();
    start(List.of("team-a", "team-b"), 1);

    Soon.until(() -> reconciler.calls("web").size() == 1 && nomad.calls(LIST).size() == 2);
    assertTrue(controller.awaitIdle(Soon.DEADLINE));
    assertFalse(controller.ready(), "team-b was not listed yet");

    second.countDown();
    Soon.until(controller::ready);
  }

  @Test
  void isNotReadyWhileAStreamIsDown() {
    FakeEventStream events = nomad.connect();
    start(List.of("default"), 1);
    Soon.until(controller::ready);

    events.end();

    Soon.until(() -> !controller.ready());
  }

  // --- helpers ----------------------------------------------------------------------------------

  private void start(List<String> namespaces, int workers) {
    OperatorConfig config = new OperatorConfig(namespaces, Duration.ofHours(1), workers, Optional.empty(),
        OperatorConfig.DEFAULT_STARTUP_TIMEOUT, false, Optional.empty(), OperatorConfig.DEFAULT_LOCK_PATH,
        OperatorConfig.DEFAULT_LOCK_TTL, true, Optional.empty());
    Telemetry telemetry = new Telemetry() {
      @Override
      public void reconciled(JobKey key, Optional<Outcome> outcome, long nanos) {
        reported.add(outcome);
      }
    };
    controller = new Controller(nomad, new JobCache(), config, reconciler, new OwnKeys(), telemetry, schedulers,
        Duration.ofSeconds(5));
    controller.start();
  }

  private CountDownLatch gate() {
    CountDownLatch latch = new CountDownLatch(1);
    gates.add(latch);
    return latch;
  }

  private List<String> levels(String fragment) {
    return log.matching(fragment).stream().map(LogCapture.Entry::level).toList();
  }

  /** The delays the worker logged for retries of {@code jobId}, in order. */
  private List<Long> retryDelays(String jobId) {
    List<Long> delays = new ArrayList<>();
    for (String line : log.lines()) {
      Matcher m = RETRY_DELAY.matcher(line);
      if (m.find() && m.group(1).equals(jobId)) {
        delays.add(Long.parseLong(m.group(2)));
      }
    }
    return delays;
  }

  private static void await(CountDownLatch latch) throws IOException {
    try {
      if (!latch.await(Soon.DEADLINE.toMillis(), TimeUnit.MILLISECONDS)) {
        throw new IOException("the test never opened the gate");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new java.io.InterruptedIOException();
    }
  }

  private static Step fail(Exception e) {
    return () -> {
      if (e instanceof IOException io) {
        throw io;
      }
      throw (RuntimeException) e;
    };
  }

  private static Step answer(Outcome outcome) {
    return () -> outcome;
  }

  @FunctionalInterface
  private interface Step {
    Outcome run() throws IOException;
  }

  /** Every job is its own key. */
  private static final class OwnKeys implements KeyMapper {
    @Override
    public List<JobKey> forListed(NomadJob job) {
      return List.of(new JobKey(job.namespace(), job.id()));
    }

    @Override
    public List<JobKey> forEvent(JobEvent event) {
      return List.of(event.key());
    }
  }

  /**
   * Answers each key's calls from its script, in order, and {@code UNCHANGED} when the script is
   * spent; records when each call came.
   */
  private static final class ScriptedReconciler implements Reconciler {
    private final Map<String, Deque<Step>> scripts = new ConcurrentHashMap<>();
    private final Map<String, List<Long>> calls = new ConcurrentHashMap<>();

    void script(String jobId, Step... steps) {
      scripts.put(jobId, new ArrayDeque<>(List.of(steps)));
    }

    /** The next call for {@code jobId} waits for {@code gate}. */
    void block(String jobId, CountDownLatch gate) {
      script(jobId, () -> {
        ControllerTest.await(gate);
        return Outcome.UNCHANGED;
      });
    }

    List<Long> calls(String jobId) {
      return List.copyOf(calls.getOrDefault(jobId, List.of()));
    }

    @Override
    public Outcome reconcile(JobKey key) throws IOException {
      calls.computeIfAbsent(key.jobId(), k -> new CopyOnWriteArrayList<>()).add(System.nanoTime());
      Deque<Step> script = scripts.get(key.jobId());
      Step step;
      synchronized (this) {
        step = script == null ? null : script.poll();
      }
      return step == null ? Outcome.UNCHANGED : step.run();
    }
  }
}

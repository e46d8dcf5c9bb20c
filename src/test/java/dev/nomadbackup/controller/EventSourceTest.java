package dev.nomadbackup.controller;

import static dev.nomadbackup.testing.EventLines.batch;
import static dev.nomadbackup.testing.EventLines.deregistered;
import static dev.nomadbackup.testing.EventLines.event;
import static dev.nomadbackup.testing.EventLines.registered;
import static dev.nomadbackup.testing.FakeNomad.ANNOUNCED;
import static dev.nomadbackup.testing.FakeNomad.LIST;
import static dev.nomadbackup.testing.FakeNomad.OPEN;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.nomadbackup.nomad.ApiErrors;
import dev.nomadbackup.nomad.EventStreamParser;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The stream loop of one namespace, fed by connections the test writes to. */
@Timeout(30)
final class EventSourceTest {
  /** Reconnects in a millisecond or few: a test that waits for a reconnect waits for nothing else. */
  private static final Backoff FAST = new Backoff(Duration.ofMillis(1), Duration.ofMillis(4), 2, 0);
  /** Reconnects after an hour: a test that sees a reconnect at all sees one that skipped the backoff. */
  private static final Backoff AN_HOUR = new Backoff(Duration.ofHours(1), Duration.ofHours(1), 1, 0);
  private static final String NS = "default";

  private final FakeNomad nomad = new FakeNomad();
  private final JobCache cache = new JobCache();
  private final WorkQueue<JobKey> queue = new WorkQueue<>(FAST, new Random(1));
  private final Set<JobKey> woken = ConcurrentHashMap.newKeySet();
  private final RecordingKeys keys = new RecordingKeys();
  private final RecordingTelemetry telemetry = new RecordingTelemetry();
  private final LogCapture log = LogCapture.attach();
  private EventSource source;
  private Thread thread;

  @AfterEach
  void stop() throws InterruptedException {
    if (source != null) {
      source.stop();
      thread.join(Soon.DEADLINE.toMillis());
    }
    queue.shutDown();
    log.close();
  }

  // --- events, the cache and the queue ---------------------------------------------------------

  @Test
  void putsARegisteredJobIntoTheCacheBeforeQueuingItsKey() throws InterruptedException {
    nomad.connect().send(registered(20, NS, "web", Map.of("auto-backup", "true")));
    start(FAST);

    JobKey key = queue.take();

    assertEquals(new JobKey(NS, "web"), key);
    assertTrue(woken.contains(key), "marked as woken by an event");
    JobCache.Lookup seen = keys.cacheWhenMapped.get(0);
    NomadJob cached = assertInstanceOf(JobCache.Lookup.Present.class, seen).job();
    assertEquals("true", cached.meta().get("auto-backup"));
    assertEquals(20, cached.modifyIndex());
    assertInstanceOf(JobCache.Lookup.Present.class, cache.lookup(key));
    assertTrue(log.contains("==> JobRegistered: web (pending)"), log.lines().toString());
  }

  @Test
  void invalidatesADeregisteredJobBeforeQueuingItsKey() throws InterruptedException {
    nomad.put(FakeNomad.service(NS, "web", Map.of()));
    nomad.connect().send(deregistered(30, NS, "web"));
    keys.listedKeys = false;
    start(FAST);

    JobKey key = queue.take();

    assertEquals(new JobKey(NS, "web"), key);
    assertInstanceOf(JobCache.Lookup.Unknown.class, keys.cacheWhenMapped.get(0),
        "the listing's stub no longer counts: only a read tells stopped from purged");
  }

  @Test
  void invalidatesARegisteredJobWhoseEventCarriesNoJob() throws InterruptedException {
    nomad.put(FakeNomad.service(NS, "web", Map.of()));
    keys.listedKeys = false;
    nomad.connect().send("{\"Index\":31,\"Events\":[{\"Topic\":\"Job\",\"Type\":\"JobRegistered\","
        + "\"Key\":\"web\",\"Namespace\":\"default\",\"Index\":31,\"Payload\":{}}]}");
    start(FAST);

    assertEquals(new JobKey(NS, "web"), queue.take());

    assertInstanceOf(JobCache.Lookup.Unknown.class, keys.cacheWhenMapped.get(0));
  }

  @Test
  void announcesTheBatchIndexBeforeItQueuesItsKeysAndWaitsForNothing() throws InterruptedException {
    List<Integer> depthWhenAnnounced = new CopyOnWriteArrayList<>();
    nomad.onAnnounced(index -> depthWhenAnnounced.add(queue.depth()));
    FakeEventStream stream = nomad.connect();
    start(FAST);
    stream.send(registered(20, NS, "web", Map.of()));

    assertEquals(new JobKey(NS, "web"), queue.take());

    assertEquals(List.of("20"), nomad.calls(ANNOUNCED), "the batch's own index");
    assertEquals(List.of(0), depthWhenAnnounced, "announced before the key was queued");
  }

  @Test
  void skipsAMalformedLineAndReadsOn() throws InterruptedException {
    nomad.connect()
        .send("{\"Index\": 20, \"Events\": [")
        .send("[1, 2]")
        .send(registered(21, NS, "web", Map.of()));
    start(FAST);

    assertEquals(new JobKey(NS, "web"), queue.take());

    assertEquals(2, log.count("Skipped a line of the event stream"), log.lines().toString());
    assertEquals(1, nomad.calls(OPEN).size(), "the same connection goes on");
  }

  @Test
  void anEventThatCannotBeReadCostsNothingElseOfItsBatch() throws InterruptedException {
    String line = "{\"Index\":22,\"Events\":[\"not an event\","
        + event(22, "JobRegistered", NS, "web", Map.of()) + "]}";
    nomad.connect().send(line);
    start(FAST);

    assertEquals(new JobKey(NS, "web"), queue.take());

    assertTrue(log.contains("Event stream: event 1 at index 22 is not a JSON object"), log.lines().toString());
  }

  @Test
  void anEventThatTripsTheLoopCostsNothingElseOfItsBatch() throws InterruptedException {
    keys.explodeOn = "boom";
    nomad.connect().send(batch(23,
        event(23, "JobRegistered", NS, "boom", Map.of()),
        event(23, "JobRegistered", NS, "web", Map.of())));
    start(FAST);

    assertEquals(new JobKey(NS, "web"), queue.take());

    assertTrue(log.contains("Skipped the JobRegistered event for boom at index 23"), log.lines().toString());
    assertEquals(1, nomad.calls(OPEN).size());
  }

  @Test
  void ignoresHeartbeats() throws InterruptedException {
    nomad.connect().send("{}").send("{}").send("").send(registered(24, NS, "web", Map.of()));
    start(FAST);

    assertEquals(new JobKey(NS, "web"), queue.take());

    assertEquals(List.of("24"), nomad.calls(ANNOUNCED), "heartbeats announce nothing");
    assertEquals(List.of(24L), telemetry.indexes);
    assertEquals(1, nomad.calls(OPEN).size());
  }

  @Test
  void skipsABatchOlderThanOneAlreadyHandledButNotOneOfTheSameIndex() throws InterruptedException {
    nomad.connect()
        .send(registered(30, NS, "a", Map.of()))
        .send(registered(30, NS, "b", Map.of()))
        .send(registered(25, NS, "old", Map.of()))
        .send(registered(31, NS, "c", Map.of()));
    start(FAST);

    List<String> taken = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      taken.add(queue.take().jobId());
    }

    assertEquals(List.of("a", "b", "c"), taken);
    assertFalse(woken.contains(new JobKey(NS, "old")));
  }

  // --- connections -------------------------------------------------------------------------------

  @Test
  void afterTheStreamEndsListsAgainAndStreamsFromTheNewListing() throws InterruptedException {
    nomad.advanceIndex(10);
    FakeEventStream first = nomad.connect();
    nomad.connect();
    start(FAST);
    Soon.until(() -> nomad.calls(OPEN).size() == 1);
    nomad.put(FakeNomad.service(NS, "made-while-away", Map.of()));
    nomad.advanceIndex(42);

    first.end();

    Soon.until(() -> nomad.calls(OPEN).size() == 2);
    assertEquals(List.of("default@11", "default@43"), nomad.calls(OPEN));
    assertEquals(List.of(NS, NS), nomad.calls(LIST));
    assertEquals(new JobKey(NS, "made-while-away"), queue.take(), "the new listing's jobs are queued");
    assertEquals(1, telemetry.reconnects.get());
    Soon.until(source::connected);
  }

  @Test
  void retriesAFailedListingWithBackoff() {
    nomad.failNext(LIST, new IOException("connection reset"));
    nomad.connect();
    start(FAST);

    Soon.until(source::connected);

    assertEquals(List.of(NS, NS), nomad.calls(LIST));
    assertEquals(1, nomad.calls(OPEN).size(), "no stream without a listing to start from");
    assertTrue(log.contains("Event stream for namespace default lost (connection reset); reconnecting in"),
        log.lines().toString());
  }

  @Test
  void namesTheCapabilitiesWhenNomadRefusesTheListing() {
    nomad.failNext(LIST, ApiErrors.of(403, "GET /v1/jobs", "Permission denied"));
    nomad.connect();
    start(FAST);

    Soon.until(source::connected);

    assertTrue(log.contains("Nomad refused GET /v1/jobs: the token needs list-jobs and read-job on namespace default"),
        log.lines().toString());
  }

  @Test
  void hintsAtTheAclOnceAfterThreeQuietClosesInARow() {
    for (int i = 0; i < 5; i++) {
      nomad.connect(FakeEventStream.ended());
    }
    nomad.connect();
    start(FAST);

    Soon.until(() -> nomad.calls(OPEN).size() == 6 && source.connected()); // the one left open

    assertEquals(1, log.count("Nomad keeps closing the event stream for namespace default before sending any event"),
        log.lines().toString());
    assertTrue(log.contains("the token needs read-job on namespace default"));
  }

  @Test
  void aCloseAfterSomethingWasHeardIsNotQuiet() {
    nomad.connect(FakeEventStream.ended());
    nomad.connect(FakeEventStream.ended());
    FakeEventStream spoke = new FakeEventStream().send("{}");
    spoke.end();
    nomad.connect(spoke);
    nomad.connect(FakeEventStream.ended());
    nomad.connect(FakeEventStream.ended());
    nomad.connect();
    start(FAST);

    Soon.until(() -> nomad.calls(OPEN).size() == 6 && source.connected()); // the one left open

    assertEquals(0, log.count("Nomad keeps closing the event stream"), log.lines().toString());
  }

  @Test
  void reopenConnectsAgainAtOnceFromANewListing() {
    FakeEventStream first = nomad.connect();
    nomad.connect();
    start(AN_HOUR);
    Soon.until(source::connected);
    nomad.advanceIndex(50);

    source.reopen();

    Soon.until(() -> nomad.calls(OPEN).size() == 2);
    assertTrue(first.closed());
    assertEquals(List.of(NS, NS), nomad.calls(LIST));
    assertEquals("default@51", nomad.calls(OPEN).get(1));
    assertEquals(0, telemetry.reconnects.get(), "not counted as a lost stream");
    assertTrue(log.contains("Reading every job in namespace default again, and watching from there"));
  }

  @Test
  void aReopenAskedForWhileTheStreamIsDownDoesNotPassALaterLossOffAsAReopen() {
    // long enough that the reopen below surely lands in it, on a loaded machine too
    Backoff pause = new Backoff(Duration.ofMillis(500), Duration.ofMillis(500), 1, 0);
    FakeEventStream first = nomad.connect();
    FakeEventStream second = nomad.connect();
    nomad.connect();
    start(pause);
    Soon.until(source::connected);
    first.end();
    Soon.until(() -> log.contains("reconnecting in 500 ms"));

    source.reopen(); // the namespaces changed while it waits: the coming connection lists anyway
    Soon.until(() -> nomad.calls(OPEN).size() == 2 && source.connected());
    second.end(); // and this one is lost, nobody asked for it

    Soon.until(() -> log.count("Event stream for namespace default lost") == 2
        || log.contains("Reading every job in namespace default"));
    assertEquals(2, telemetry.reconnects.get(), log.lines().toString());
    assertEquals(2, log.count("Event stream for namespace default lost"), log.lines().toString());
    assertEquals(0, log.count("Reading every job in namespace default again"), log.lines().toString());
  }

  @Test
  void aReopenAskedForWhileConnectingReopensTheStreamOnceItIsOpen() {
    CountDownLatch listing = new CountDownLatch(1);
    nomad.beforeList(ns -> {
      if (nomad.calls(LIST).size() == 1) {
        await(listing);
      }
    });
    FakeEventStream first = nomad.connect();
    nomad.connect();
    start(AN_HOUR);
    Soon.until(() -> nomad.calls(LIST).size() == 1);

    source.reopen(); // no stream to close yet; the one about to open may predate the change
    listing.countDown();

    Soon.until(() -> nomad.calls(OPEN).size() == 2 && source.connected());
    assertTrue(first.closed());
    assertEquals(List.of(NS, NS), nomad.calls(LIST));
    assertEquals(0, telemetry.reconnects.get());
  }

  @Test
  void stopEndsTheLoopAndClosesTheStream() throws InterruptedException {
    FakeEventStream stream = nomad.connect();
    start(FAST);
    Soon.until(source::connected);

    source.stop();

    thread.join(Soon.DEADLINE.toMillis());
    assertFalse(thread.isAlive());
    assertTrue(stream.closed());
    assertFalse(source.connected());
    assertEquals(1, nomad.calls(OPEN).size(), "no reconnect after a stop");
  }

  @Test
  void stopEndsTheLoopWhileItWaitsToReconnect() throws InterruptedException {
    FakeEventStream stream = nomad.connect();
    start(AN_HOUR);
    Soon.until(source::connected);
    stream.end();
    Soon.until(() -> log.contains("reconnecting in 3600000 ms"));

    source.stop();

    thread.join(Soon.DEADLINE.toMillis());
    assertFalse(thread.isAlive());
    assertEquals(1, nomad.calls(LIST).size());
  }

  // --- helpers ----------------------------------------------------------------------------------------

  private void start(Backoff backoff) {
    JobSync sync = new JobSync(nomad, cache, keys, queue, telemetry);
    source = new EventSource(NS, nomad, cache, sync, new EventStreamParser(new ObjectMapper()), keys, queue, woken,
        Controller.STREAM_READ_TIMEOUT, backoff, telemetry);
    thread = new Thread(source, "events-test");
    thread.setDaemon(true);
    thread.start();
  }

  private static void await(CountDownLatch latch) throws IOException {
    try {
      if (!latch.await(Soon.DEADLINE.toMillis(), TimeUnit.MILLISECONDS)) {
        throw new IOException("the test never released the latch");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new java.io.InterruptedIOException();
    }
  }

  /** Every job is its own key; records what the cache said of an event's job when it was mapped. */
  private final class RecordingKeys implements KeyMapper {
    final List<JobCache.Lookup> cacheWhenMapped = new CopyOnWriteArrayList<>();
    volatile boolean listedKeys = true;
    volatile String explodeOn = "";

    @Override
    public List<JobKey> forListed(NomadJob job) {
      return listedKeys ? List.of(new JobKey(job.namespace(), job.id())) : List.of();
    }

    @Override
    public List<JobKey> forEvent(JobEvent event) {
      if (event.key().jobId().equals(explodeOn)) {
        throw new IllegalStateException("a bug in the key mapper");
      }
      cacheWhenMapped.add(cache.lookup(event.key()));
      return List.of(event.key());
    }
  }

  private static final class RecordingTelemetry implements Telemetry {
    final List<Long> indexes = new CopyOnWriteArrayList<>();
    final AtomicInteger reconnects = new AtomicInteger();

    @Override
    public void indexSeen(long index) {
      indexes.add(index);
    }

    @Override
    public void streamReconnecting() {
      reconnects.incrementAndGet();
    }
  }
}

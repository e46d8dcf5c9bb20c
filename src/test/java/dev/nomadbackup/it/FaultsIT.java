package dev.nomadbackup.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.nomadbackup.config.GoDuration;
import dev.nomadbackup.config.NomadConfig;
import dev.nomadbackup.nomad.EventStreamParser;
import dev.nomadbackup.nomad.JobEvent;
import dev.nomadbackup.nomad.JobKey;
import dev.nomadbackup.nomad.NomadClient;
import dev.nomadbackup.testing.Backups;
import dev.nomadbackup.testing.DedicatedNomadAgent;
import dev.nomadbackup.testing.FaultProxy;
import dev.nomadbackup.testing.FaultProxy.Fault;
import dev.nomadbackup.testing.Jobs;
import dev.nomadbackup.testing.LogCapture;
import dev.nomadbackup.testing.NomadAgentExtension;
import dev.nomadbackup.testing.OperatorRun;
import dev.nomadbackup.testing.OperatorTestExtension;
import dev.nomadbackup.testing.TestNomad;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.awaitility.core.ThrowingRunnable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Faults between the operator and a real Nomad: Nomad missing at start, restarting, going quiet,
 * dropping a slow reader, losing events, failing or timing out on writes, and sending lines that
 * make no sense. Each test ends by checking the backup jobs Nomad holds: none missing, none extra.
 *
 * <p>The agent is this class's own, with {@code event_buffer_size = 10} so that a handful of job
 * changes overflow what Nomad keeps for a reader that fell behind.
 */
@ExtendWith(NomadAgentExtension.class)
class FaultsIT {
  static final int EVENT_BUFFER = 10;
  /** Enough for convergence after the operator's reconnect backoff, which grows to 30 s. */
  static final Duration CONVERGE = Duration.ofSeconds(60);

  static DedicatedNomadAgent agent;

  @RegisterExtension final OperatorTestExtension cleanup = new OperatorTestExtension();
  /** What each test runs on the agent, purged after it; made per test, once the agent is up. */
  final TestNomad nomad = cleanup.track(agent.api());

  @BeforeAll
  static void startAgent() {
    agent = DedicatedNomadAgent.start("nomad-faults", "event_buffer_size = " + EVENT_BUFFER);
  }

  @AfterAll
  static void stopAgent() {
    if (agent != null) {
      agent.close();
    }
  }

  static void eventually(Duration deadline, ThrowingRunnable assertion) {
    await().atMost(deadline).pollInterval(Duration.ofMillis(200)).untilAsserted(assertion);
  }

  static Map<String, String> via(FaultProxy proxy, String... more) {
    Map<String, String> env = new HashMap<>(proxy.env());
    for (int i = 0; i < more.length; i += 2) {
      env.put(more[i], more[i + 1]);
    }
    return env;
  }

  static Set<String> ids(String prefix, int... numbers) {
    return IntStream.of(numbers).mapToObj(n -> prefix + "-" + n).collect(Collectors.toCollection(TreeSet::new));
  }

  static Set<String> range(String prefix, int from, int to) {
    return ids(prefix, IntStream.rangeClosed(from, to).toArray());
  }

  @Test
  void nomadDownAtStartIsRetriedWithCappedBackoffAndTheOperatorConvergesWhenItAppears() throws Exception {
    String p = Jobs.uniqueId("down");
    nomad.run(Jobs.service(p + "-1", Jobs.optIn("@daily")));
    nomad.run(Jobs.service(p + "-2", Map.of("team", "web")));
    agent.stop();
    OperatorRun.Starting starting = OperatorRun.startInBackground(agent, Map.of("OPERATOR_STARTUP_TIMEOUT", "2m"));
    LogCapture log = starting.log();
    try {
      // The retry lines (WARN, naming Nomad's address, the delay as their last word) are the only
      // sign of each attempt while Nomad is away: they are found by those stable parts, not by
      // their wording.
      String address = agent.address().toString();
      eventually(CONVERGE, () -> assertTrue(retries(log, address).size() >= 3, log.lines().toString()));
      assertFalse(starting.run().isDone(), "the operator must not report itself started without Nomad");
      assertFalse(log.contains("Watching job events"), "no event stream without Nomad");
      List<String> whileDown = log.lines();

      agent.start();
      OperatorRun run = starting.run().get(CONVERGE.toSeconds(), TimeUnit.SECONDS);
      try {
        eventually(CONVERGE, () -> assertEquals(ids(p, 1), Backups.running(nomad, "default", p).keySet()));

        // One line per attempt, each announcing a delay no shorter than the one before and at most
        // 30 s, and the next attempt no sooner than announced: no flood while Nomad is away.
        List<LogCapture.Entry> tries = retries(log, address);
        List<Duration> announced = new ArrayList<>();
        Pattern next = Pattern.compile("(\\S+)$");
        for (LogCapture.Entry e : tries) {
          Matcher m = next.matcher(e.message());
          assertTrue(m.find(), e.message());
          announced.add(goDuration(m.group(1)));
        }
        for (int i = 1; i < announced.size(); i++) {
          assertTrue(announced.get(i).compareTo(announced.get(i - 1)) >= 0, "backoff shrank: " + announced);
          assertTrue(announced.get(i).compareTo(Duration.ofSeconds(30)) <= 0, "backoff not capped: " + announced);
          long gap = Duration.between(tries.get(i - 1).time(), tries.get(i).time()).toMillis();
          assertTrue(gap >= announced.get(i - 1).toMillis() - 100,
              "attempt " + i + " came " + gap + " ms after announcing " + announced.get(i - 1));
        }
        List<String> noisy = whileDown.stream()
            .filter(l -> l.startsWith("WARN") || l.startsWith("ERROR"))
            .filter(l -> !(l.startsWith("WARN") && l.contains(address)))
            .toList();
        assertEquals(List.of(), noisy, "only the retry lines while Nomad is down");
        System.out.printf("[faults] Nomad down at start: %d attempts logged, delays announced %s%n",
            tries.size(), announced.stream().map(GoDuration::format).toList());
      } finally {
        run.close();
      }
    } finally {
      if (!starting.run().isDone()) {
        starting.run().completeExceptionally(new IllegalStateException("test over"));
      }
      if (!agent.running()) {
        agent.start();
      }
    }
  }

  @Test
  void nomadRestartingMidStreamEndsWithExactlyTheRightBackups() throws Exception {
    String p = Jobs.uniqueId("restart");
    try (FaultProxy proxy = FaultProxy.start(agent.address());
        OperatorRun run = OperatorRun.start(agent, via(proxy))) {
      for (int i = 1; i <= 4; i++) {
        nomad.run(Jobs.service(p + "-" + i, Jobs.optIn("@daily")));
      }
      eventually(CONVERGE, () -> assertEquals(range(p, 1, 4), Backups.running(nomad, "default", p).keySet()));
      int streams = proxy.streamsOpened();

      assertEquals(200, health(run));
      agent.stop();
      eventually(CONVERGE, () -> assertEquals(503, health(run), "ready while Nomad is away: the loss went unnoticed"));
      proxy.down(); // the operator stays away while the jobs change on the restarted agent
      agent.start();
      nomad.purge("default", p + "-1");
      nomad.stop("default", p + "-2");
      Map<String, String> optOut = Jobs.optIn("@daily");
      optOut.put("auto-backup", "false");
      nomad.run(Jobs.service(p + "-3", optOut));
      nomad.run(Jobs.service(p + "-4", Jobs.optIn("@weekly")));
      for (int i = 5; i <= 5 + EVENT_BUFFER; i++) { // more changes than the event buffer holds
        nomad.run(Jobs.service(p + "-" + i, Jobs.optIn("@hourly")));
      }
      nomad.run(Jobs.service(p + "-plain", Map.of("team", "web")));
      proxy.up();

      Set<String> expected = range(p, 4, 5 + EVENT_BUFFER);
      eventually(CONVERGE, () -> {
        assertEquals(expected, Backups.managed(nomad, "default", p).keySet(), "backups after the restart");
        assertEquals("@weekly", nomad.job("backup-" + p + "-4").map(Jobs::cronOf).orElse("none"));
      });
      assertTrue(run.idle(CONVERGE));
      assertEquals(expected, Backups.managed(nomad, "default", p).keySet(), "and nothing more once idle");
      assertTrue(proxy.streamsOpened() > streams, "the operator reconnected");
      eventually(CONVERGE, () -> assertEquals(200, health(run), "ready again"));
      assertOnlyBackupsWritten(proxy, p);
      System.out.printf("[faults] Nomad restart: %d streams opened%n", proxy.streamsOpened());
    }
  }

  /** Every job the operator changed through the proxy is a backup or restore job of one of this test's jobs. */
  static void assertOnlyBackupsWritten(FaultProxy proxy, String prefix) {
    List<FaultProxy.JobWrite> writes = proxy.jobWrites();
    assertFalse(writes.isEmpty(), "the operator wrote nothing");
    for (FaultProxy.JobWrite w : writes) {
      assertTrue(w.jobId().startsWith("backup-" + prefix) || w.jobId().startsWith("restore-" + prefix),
          "the operator changed " + w);
      assertEquals("default", w.namespace(), w.toString());
    }
  }

  /** The status {@code /health/ready} answers. */
  static int health(OperatorRun run) throws Exception {
    int port = run.operator.httpPort().orElseThrow();
    java.net.http.HttpResponse<String> r = java.net.http.HttpClient.newHttpClient().send(
        java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + port + "/health/ready"))
            .timeout(Duration.ofSeconds(5)).build(),
        java.net.http.HttpResponse.BodyHandlers.ofString());
    return r.statusCode();
  }

  @Test
  void aReaderThatNomadDropsAfterTheBufferOverflowedRelistsAndMissesNothing() throws Exception {
    String p = Jobs.uniqueId("paused");
    int changes = 3 * EVENT_BUFFER;
    try (FaultProxy proxy = FaultProxy.start(agent.address());
        OperatorRun run = OperatorRun.start(agent, via(proxy))) {
      nomad.run(Jobs.service(p + "-0", Jobs.optIn("@daily")));
      eventually(CONVERGE, () -> assertEquals(ids(p, 0), Backups.running(nomad, "default", p).keySet()));
      int opened = proxy.streamsOpened();
      int endedByNomad = proxy.streamsEndedByNomad();

      proxy.pauseStreams(); // the operator reads no more events: Nomad's side backs up
      // Large jobs, so that the events fill the socket buffers between Nomad and the proxy (up to
      // 4 MB on Linux) and Nomad's subscriber falls behind its buffer of raft entries.
      Map<String, String> big = Jobs.optIn("@daily");
      big.put("filler", "x".repeat(256 * 1024));
      for (int i = 1; i <= changes; i++) {
        nomad.run(Jobs.service(p + "-" + i, big));
      }
      proxy.resumeStreams();

      eventually(CONVERGE, () -> assertEquals(range(p, 0, changes), Backups.running(nomad, "default", p).keySet()));
      assertTrue(run.idle(CONVERGE));
      assertEquals(range(p, 0, changes), Backups.managed(nomad, "default", p).keySet());
      assertTrue(proxy.streamsEndedByNomad() > endedByNomad,
          "Nomad should have ended the stream of a reader " + changes + " jobs behind a buffer of " + EVENT_BUFFER);
      assertTrue(proxy.streamsOpened() > opened, "the operator reconnected");
      long unseen = range(p, 1, changes).stream()
          .filter(id -> !run.log.contains("==> JobRegistered: " + id + " ("))
          .count();
      assertTrue(unseen > 0, "every event arrived after all: the test did not overflow the buffer");
      System.out.printf("[faults] paused reader: %d of %d registrations never arrived as events%n", unseen, changes);
    }
  }

  @Test
  void eventsLostOnAStreamThatStaysUpAreRepairedByTheResync() throws Exception {
    String p = Jobs.uniqueId("lost");
    try (FaultProxy proxy = FaultProxy.start(agent.address());
        OperatorRun run = OperatorRun.start(agent, via(proxy, "OPERATOR_RESYNC_INTERVAL", "2s"))) {
      nomad.run(Jobs.service(p + "-keep", Jobs.optIn("@daily")));
      nomad.run(Jobs.service(p + "-gone", Jobs.optIn("@daily")));
      eventually(CONVERGE, () -> assertEquals(Set.of(p + "-gone", p + "-keep"), Backups.running(nomad, "default", p).keySet()));
      int opened = proxy.streamsOpened();
      int dropped = proxy.linesDropped();

      proxy.dropEvents(true);
      nomad.run(Jobs.service(p + "-new", Jobs.optIn("@daily")));
      nomad.stop("default", p + "-gone");
      nomad.run(Jobs.service(p + "-keep", Jobs.optIn("@weekly")));

      eventually(CONVERGE, () -> {
        assertEquals(Set.of(p + "-keep", p + "-new"), Backups.managed(nomad, "default", p).keySet());
        assertEquals("@weekly", nomad.job("backup-" + p + "-keep").map(Jobs::cronOf).orElse("none"));
      });
      assertTrue(proxy.linesDropped() > dropped, "the proxy dropped no event");
      assertEquals(opened, proxy.streamsOpened(), "the stream stayed up: the resync did the repair");
      assertFalse(run.log.contains("==> JobRegistered: " + p + "-new ("), "the event got through");
      assertFalse(run.log.contains("==> JobDeregistered: " + p + "-gone ("), "the event got through");
    }
  }

  @Test
  void errorsAndTimeoutsOnParseRegisterAndDeregisterAreRetriedWithoutDuplicatesOrLeaks() throws Exception {
    String p = Jobs.uniqueId("flaky");
    int workers = 4;
    Set<Thread> before = Set.copyOf(Thread.getAllStackTraces().keySet());
    FaultProxy proxy = FaultProxy.start(agent.address());
    OperatorRun run = OperatorRun.start(agent, via(proxy, "OPERATOR_WORKERS", Integer.toString(workers)));
    try {
      nomad.run(Jobs.service(p + "-old1", Jobs.optIn("@daily")));
      nomad.run(Jobs.service(p + "-old2", Jobs.optIn("@daily")));
      eventually(CONVERGE, () -> assertEquals(Set.of(p + "-old1", p + "-old2"), Backups.running(nomad, "default", p).keySet()));
      assertTrue(run.idle(CONVERGE));
      // workers and the background thread come with work and leave once idle
      eventually(CONVERGE, () -> assertTrue(threadsSince(before).stream()
          .noneMatch(t -> t.startsWith("worker-") || t.equals("background")), threadsSince(before).toString()));
      List<String> steadyThreads = threadsSince(before);

      proxy.failNext(2, "POST", "/v1/jobs/parse", Fault.status(500));
      proxy.failNext(1, "POST", "/v1/jobs/parse", Fault.status(503));
      proxy.failNext(1, "POST", "/v1/jobs/parse", new Fault.Drop());
      proxy.failNext(2, "POST", "/v1/jobs", Fault.status(500));
      proxy.failNext(1, "POST", "/v1/jobs", Fault.status(502));
      proxy.failNext(1, "POST", "/v1/jobs", new Fault.LoseAnswer());
      proxy.failNext(1, "POST", "/v1/jobs", new Fault.Hold());
      proxy.failNext(2, "DELETE", "/v1/job/backup-" + p + ".*", Fault.status(500));
      proxy.failNext(1, "DELETE", "/v1/job/backup-" + p + ".*", new Fault.LoseAnswer());
      proxy.failNext(1, "GET", "/v1/job/" + p + ".*", Fault.status(504));
      int faults = proxy.faultsPending();

      for (int i = 1; i <= 6; i++) {
        // a shape of its own each (i datacenters), so that each backup is parsed (see SpecCache)
        String datacenters = IntStream.rangeClosed(1, i).mapToObj(d -> "\"dc" + d + "\"")
            .collect(Collectors.joining(", ", "[", "]"));
        nomad.run(Jobs.service(p + "-" + i, Jobs.optIn("@daily"), datacenters));
      }
      nomad.stop("default", p + "-old1");
      nomad.stop("default", p + "-old2");

      // The held register: the operator's client gives up after its read timeout (30 s) and
      // retries; only then does Nomad get the first attempt, late.
      await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200))
          .until(() -> run.log.contains("Read timed out"));
      assertEquals(1, proxy.held());
      proxy.releaseHeld();

      Set<String> expected = range(p, 1, 6);
      eventually(CONVERGE, () -> {
        assertEquals(0, proxy.inFlight());
        assertEquals(expected, Backups.managed(nomad, "default", p).keySet());
      });
      assertTrue(run.idle(CONVERGE));
      assertEquals(expected, Backups.managed(nomad, "default", p).keySet(), "nothing more once idle");
      for (String id : expected) {
        JsonNode backup = nomad.job("backup-" + id).orElseThrow();
        assertEquals(0, backup.path("Version").asInt(), "backup-" + id + " was written more than once");
      }
      assertEquals(0, proxy.faultsPending(), "every injected fault was met");
      long injected = proxy.requests().stream()
          .filter(r -> r.outcome().startsWith("fault") || r.outcome().equals("dropped")
              || r.outcome().endsWith("answer lost") || r.outcome().endsWith("after hold"))
          .count();
      assertEquals(faults, injected);

      assertOnlyBackupsWritten(proxy, p);
      eventually(CONVERGE, () -> assertEquals(steadyThreads, threadsSince(before), "threads after the faults"));
      int pool = workers + 1 + 4; // the operator's pool: a connection per worker and stream, and 4 more
      assertTrue(proxy.openConnections() <= pool, proxy.openConnections() + " connections open");
      System.out.printf("[faults] write faults: %d injected, %d backups each written once, %d operator threads, "
              + "%d connections open%n", injected, expected.size(), steadyThreads.size(), proxy.openConnections());
    } finally {
      run.close();
      try {
        eventually(CONVERGE, () -> {
          assertEquals(List.of(), proxy.describeOpenConnections(), "connections left open by the stopped operator");
          assertEquals(List.of(), threadsSince(before), "threads left by the stopped operator");
        });
      } finally {
        proxy.close();
      }
    }
  }

  @Test
  void linesThatMakeNoSenseAreLoggedAndSkippedAndTheRestOfTheBatchIsHandled() throws Exception {
    String p = Jobs.uniqueId("garbled");
    try (FaultProxy proxy = FaultProxy.start(agent.address());
        OperatorRun run = OperatorRun.start(agent, via(proxy))) {
      nomad.run(Jobs.service(p + "-seen", Jobs.optIn("@daily")));
      eventually(CONVERGE, () -> assertEquals(Set.of(p + "-seen"), Backups.running(nomad, "default", p).keySet()));
      assertTrue(run.idle(CONVERGE));
      int opened = proxy.streamsOpened();

      proxy.dropEvents(true); // Nomad's own events about the next jobs are lost: only ours arrive
      for (String s : List.of("a", "b", "c")) {
        nomad.run(Jobs.service(p + "-" + s, Jobs.optIn("@daily")));
      }
      JsonNode c = nomad.job(p + "-c").orElseThrow();
      long index = c.path("ModifyIndex").asLong();
      int linesBefore = run.log.lines().size();
      proxy.inject("{\"Index\":" + index + ",\"Events\":[{\"Topic\":\"Job\",");
      proxy.inject("this is not JSON");
      proxy.inject("[\"a\",\"list\"]");
      proxy.inject("{\"Index\":" + index + ",\"Events\":["
          + "{\"Topic\":\"Job\",\"Type\":\"JobSomethingNew\",\"Key\":\"" + p + "-x\",\"Namespace\":\"default\"},"
          + "{\"Topic\":\"Job\",\"Type\":\"JobRegistered\",\"Namespace\":\"default\"},"
          + "42,"
          + "{\"Topic\":\"Job\",\"Type\":\"JobRegistered\",\"Key\":\"" + p + "-a\",\"Namespace\":\"default\"},"
          + "{\"Topic\":\"Job\",\"Type\":\"JobRegistered\",\"Key\":\"" + p + "-b\",\"Namespace\":\"default\","
          + "\"Payload\":{\"Job\":\"garbage\"}},"
          + "{\"Topic\":\"Job\",\"Type\":\"JobRegistered\",\"Key\":\"" + p + "-c\",\"Namespace\":\"default\","
          + "\"Index\":" + index + ",\"Payload\":{\"Job\":" + c + "}}"
          + "]}");

      eventually(CONVERGE, () -> assertEquals(Set.of(p + "-seen", p + "-a", p + "-b", p + "-c"),
          Backups.running(nomad, "default", p).keySet()));
      // Each of the three unreadable lines and the five bad events is reported once, as a WARN: the
      // only sign that it was noticed rather than dropped unseen. What the reports say is
      // EventStreamParserTest's business; here only their number and what they name are checked.
      List<String> warnings = run.log.lines().subList(linesBefore, run.log.lines().size()).stream()
          .filter(l -> l.startsWith("WARN")).toList();
      assertEquals(3 + 5, warnings.size(), warnings.toString());
      for (String named : List.of("\"JobSomethingNew\"", p + "-a ", p + "-b ")) {
        assertEquals(1, warnings.stream().filter(l -> l.contains(named)).count(), named + " in " + warnings);
      }
      assertEquals(opened, proxy.streamsOpened(), "bad lines must not cost the connection");

      proxy.dropEvents(false);
      nomad.run(Jobs.service(p + "-after", Jobs.optIn("@daily")));
      eventually(CONVERGE, () -> assertTrue(Backups.running(nomad, "default", p).containsKey(p + "-after")));
      assertTrue(run.log.contains("==> JobRegistered: " + p + "-after ("), "the stream still delivers");
    }
  }

  /**
   * Nomad publishes an event just before it commits the change (see {@link
   * FaultProxy#staleReadsAfterEvents}): a worker that reads the job the moment the event arrives
   * can find the state before it, here a new job not there yet. Seen for real in 1 to 4 of 250
   * jobs registered one after another under load; the proxy makes it happen to every new job. With
   * the resync ten minutes away, every backup has to come from its event, read once Nomad has
   * committed it.
   */
  @Test
  void aJobReadOnItsEventIsSeenAsTheEventReportsIt() throws Exception {
    String p = Jobs.uniqueId("race");
    try (FaultProxy proxy = FaultProxy.start(agent.address());
        OperatorRun run = OperatorRun.start(agent, via(proxy))) {
      proxy.staleReadsAfterEvents(true);
      for (int i = 1; i <= 5; i++) {
        nomad.run(Jobs.service(p + "-" + i, Jobs.optIn("@daily")));
      }
      eventually(Duration.ofSeconds(30), () -> assertEquals(range(p, 1, 5), Backups.running(nomad, "default", p).keySet(),
          "new jobs read before Nomad committed them were taken for gone: reads must wait for the "
              + "index their event announced (docs/architecture.md, the commit wait)"));
      assertFalse(run.log.contains("--> Done: " + p + "-1 (absent)"), "a new job was taken for gone");
      System.out.printf("[faults] reads before commit: %d stale answers served, all 5 backups made%n",
          proxy.staleReadsServed());
    }
  }

  /**
   * The mechanism under the test above, on the client alone: once an event's index is announced,
   * a read of the job it reports waits until Nomad has committed that index, however early it is
   * made. (The operator itself rarely reads on an event any more: a registration's payload decides
   * most reconciles.)
   */
  @Test
  void aReadAfterAnAnnouncedEventWaitsForNomadToCommitIt() throws Exception {
    String id = Jobs.uniqueId("announced");
    try (FaultProxy proxy = FaultProxy.start(agent.address());
        NomadClient client = NomadClient.create(NomadConfig.fromEnvironment(proxy.env()), 4)) {
      proxy.staleReadsAfterEvents(true);
      long from = client.listJobs("default").index() + 1;
      try (InputStream in = client.openJobEvents("default", from, Duration.ofSeconds(30));
          BufferedReader lines = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
        nomad.run(Jobs.service(id, Map.of()));
        long index = registrationIndex(lines, id);
        client.announced(index);

        assertTrue(client.readJob(new JobKey("default", id)).isPresent(),
            "a read right after the event must not answer from before it");
        assertEquals(0, proxy.staleReadsServed(), "the read waited for the commit first");
      }
    }
  }

  /** Reads events until the registration of {@code id}; its index. */
  private static long registrationIndex(BufferedReader lines, String id) throws Exception {
    EventStreamParser parser = new EventStreamParser(new ObjectMapper());
    String line;
    while ((line = lines.readLine()) != null) {
      if (line.isBlank()) {
        continue;
      }
      for (JobEvent event : parser.parse(line).events()) {
        if (event.type().equals("JobRegistered") && event.key().jobId().equals(id)) {
          return event.index();
        }
      }
    }
    throw new AssertionError("the stream ended before " + id + " was registered");
  }

  /** The WARN lines of attempts to reach Nomad at {@code address}. */
  static List<LogCapture.Entry> retries(LogCapture log, String address) {
    return log.entries().stream().filter(e -> e.level().equals("WARN") && e.message().contains(address)).toList();
  }

  /** A duration as the operator logs it ({@code 1s}, {@code 1m30s}, {@code 500ms}). */
  static Duration goDuration(String text) {
    Matcher part = Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|s|m|h)").matcher(text);
    double millis = 0;
    int end = 0;
    while (part.find() && part.start() == end) {
      double n = Double.parseDouble(part.group(1));
      millis += switch (part.group(2)) {
        case "ms" -> n;
        case "s" -> n * 1_000;
        case "m" -> n * 60_000;
        default -> n * 3_600_000;
      };
      end = part.end();
    }
    assertEquals(text.length(), end, "not a duration: " + text);
    return Duration.ofMillis(Math.round(millis));
  }

  /** Live threads that were not there at {@code before}, leaving out the test's own helpers. */
  static List<String> threadsSince(Set<Thread> before) {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(t -> !before.contains(t) && t.isAlive())
        .map(Thread::getName)
        .filter(n -> !n.startsWith("fault-proxy") && !n.startsWith("HttpClient-") && !n.startsWith("awaitility")
            && !n.startsWith("ForkJoinPool") && !n.startsWith("Attach Listener"))
        .sorted()
        .toList();
  }
}

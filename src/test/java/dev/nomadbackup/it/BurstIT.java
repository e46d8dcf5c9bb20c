package dev.nomadbackup.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nomadbackup.testing.Backups;
import dev.nomadbackup.testing.DedicatedNomadAgent;
import dev.nomadbackup.testing.Jobs;
import dev.nomadbackup.testing.NomadAgentExtension;
import dev.nomadbackup.testing.OperatorRun;
import dev.nomadbackup.testing.TestNomad;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A thousand job changes, made from eight threads at once while the operator runs: every job ends
 * with the backup it asks for, the work queue drains, and the heap goes back near where it was.
 * On an agent of its own, so the thousand jobs disturb nobody.
 */
@ExtendWith(NomadAgentExtension.class)
class BurstIT {
  static final int OPTED_IN = 500;
  static final int PLAIN = 200;
  static final int RESCHEDULED = 100; // opted-in jobs whose schedule then changes
  static final int OPTED_OUT = 100; // opted-in jobs that then opt out
  static final int PURGED = 100; // opted-in jobs that are then purged
  static final int CHANGES = OPTED_IN + PLAIN + RESCHEDULED + OPTED_OUT + PURGED;
  /** How far above its baseline the heap may stay once the burst is over. */
  static final long HEAP_SLACK = 48L * 1024 * 1024;
  static final Duration DEADLINE = Duration.ofMinutes(3);

  @Test
  void aThousandChangesEndInTheRightStateTheQueueDrainsAndMemoryReturns() throws Exception {
    assertEquals(1000, CHANGES);
    try (DedicatedNomadAgent agent = DedicatedNomadAgent.start("nomad-burst", "");
        OperatorRun run = OperatorRun.start(agent)) {
      TestNomad nomad = agent.api();
      // Periodic sources: registering one makes no evaluation, so Nomad's scheduler stays out of
      // the way and the operator is what is measured.
      ObjectNode template = nomad.parse("default", Jobs.periodic("template", Map.of()));
      assertTrue(run.idle(Duration.ofSeconds(30)));
      long baseline = usedHeapAfterGc();
      long started = System.nanoTime();
      // what the burst does to the operator on the way: the deepest queue and the fullest heap seen
      AtomicInteger deepest = new AtomicInteger();
      AtomicLong fullest = new AtomicLong();
      ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor();
      sampler.scheduleAtFixedRate(() -> {
        run.operator.controller().ifPresent(c -> deepest.accumulateAndGet(c.queueDepth(), Math::max));
        fullest.accumulateAndGet(ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed(), Math::max);
      }, 0, 20, TimeUnit.MILLISECONDS);

      ExecutorService clients = Executors.newFixedThreadPool(8);
      try {
        List<Runnable> first = new ArrayList<>();
        for (int i = 0; i < OPTED_IN; i++) {
          String id = "src-" + i;
          first.add(() -> nomad.register("default", job(template, id, Jobs.optIn("@daily"))));
        }
        for (int i = 0; i < PLAIN; i++) {
          String id = "plain-" + i;
          first.add(() -> nomad.register("default", job(template, id, Map.of("team", "web"))));
        }
        runAll(clients, first);
        List<Runnable> second = new ArrayList<>();
        for (int i = 0; i < RESCHEDULED; i++) {
          String id = "src-" + i;
          second.add(() -> nomad.register("default", job(template, id, Jobs.optIn("@weekly"))));
        }
        for (int i = RESCHEDULED; i < RESCHEDULED + OPTED_OUT; i++) {
          String id = "src-" + i;
          Map<String, String> meta = Jobs.optIn("@daily");
          meta.put("auto-backup", "false");
          second.add(() -> nomad.register("default", job(template, id, meta)));
        }
        for (int i = RESCHEDULED + OPTED_OUT; i < RESCHEDULED + OPTED_OUT + PURGED; i++) {
          String id = "src-" + i;
          second.add(() -> nomad.purge("default", id));
        }
        runAll(clients, second);
      } finally {
        clients.shutdown();
      }
      long sent = System.nanoTime();

      Map<String, String> expected = new TreeMap<>();
      for (int i = 0; i < RESCHEDULED; i++) {
        expected.put("src-" + i, "@weekly");
      }
      for (int i = RESCHEDULED + OPTED_OUT + PURGED; i < OPTED_IN; i++) {
        expected.put("src-" + i, "@daily");
      }
      await().atMost(DEADLINE).pollInterval(Duration.ofMillis(500)).untilAsserted(() ->
          assertEquals(expected.keySet(), Backups.managed(nomad, "default", "").keySet()));
      await().atMost(DEADLINE).pollInterval(Duration.ofSeconds(1)).untilAsserted(() ->
          assertEquals(expected, schedules(nomad)));
      assertTrue(run.idle(DEADLINE), "the queue did not drain");
      assertEquals(0, run.operator.controller().orElseThrow().queueDepth());
      assertEquals(expected, schedules(nomad), "and nothing changes once the queue is empty");
      long settled = System.nanoTime();
      sampler.shutdownNow();

      await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500))
          .until(() -> usedHeapAfterGc() < baseline + HEAP_SLACK);
      long after = usedHeapAfterGc();
      System.out.printf(
          "[burst] %d changes sent in %d ms; %d backups right %d ms after the last change; deepest queue %d; "
              + "heap after GC %d MB before, %d MB after (at most %d MB in use during the burst)%n",
          CHANGES, (sent - started) / 1_000_000, expected.size(), (settled - sent) / 1_000_000, deepest.get(),
          baseline >> 20, after >> 20, fullest.get() >> 20);
    }
  }

  /** The backups there are, by source, with their schedule. */
  private static Map<String, String> schedules(TestNomad nomad) {
    Map<String, String> found = new TreeMap<>();
    Backups.managed(nomad, "default", "").forEach((source, stub) -> {
      JsonNode job = nomad.job("backup-" + source).orElseThrow();
      found.put(source, job.path("Stop").asBoolean() ? "stopped" : Jobs.cronOf(job));
    });
    return found;
  }

  private static ObjectNode job(ObjectNode template, String id, Map<String, String> meta) {
    ObjectNode job = template.deepCopy();
    job.put("ID", id).put("Name", id);
    ObjectNode m = job.putObject("Meta");
    meta.forEach(m::put);
    return job;
  }

  private static void runAll(ExecutorService pool, List<Runnable> tasks) throws Exception {
    List<Future<?>> futures = new ArrayList<>();
    for (Runnable t : tasks) {
      futures.add(pool.submit(t));
    }
    for (Future<?> f : futures) {
      f.get(2, TimeUnit.MINUTES);
    }
  }

  private static long usedHeapAfterGc() {
    MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    System.gc();
    return memory.getHeapMemoryUsage().getUsed();
  }
}

package dev.nomadbackup.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nomadbackup.testing.FaultProxy;
import dev.nomadbackup.testing.FaultProxy.Fault;
import dev.nomadbackup.testing.Jobs;
import dev.nomadbackup.testing.NomadAgent;
import dev.nomadbackup.testing.OperatorProcess;
import dev.nomadbackup.testing.OperatorTest;
import dev.nomadbackup.testing.TestNomad;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.stream.Collectors;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Two operators, one lock: only the leader writes; when it dies without a word (kill -9) the other
 * takes over once the lock expires, and when it stops cleanly the other takes over at once.
 */
@OperatorTest
class HighAvailabilityIT {
  private static final Duration TTL = Duration.ofSeconds(10);
  /** An unrenewed lock is free after about 2 × TTL plus the lock delay (= TTL); a standby asks every 5 s. */
  private static final Duration FAILOVER = TTL.multipliedBy(2).plus(TTL).plusSeconds(5 + 10);

  @Test
  void standbyTakesOverWhenTheLeaderIsKilledAndNeverBothWrite(NomadAgent agent, TestNomad nomad) throws Exception {
    String lockPath = "nomad-backup-operator/" + Jobs.uniqueId("ha");
    Map<String, String> env = new HashMap<>(agent.operatorEnv());
    env.put("OPERATOR_LOCK_PATH", lockPath);
    env.put("OPERATOR_LOCK_TTL", "10s");
    String before = Jobs.uniqueId("before");
    String after = Jobs.uniqueId("after");
    try (OperatorProcess a = OperatorProcess.start("ha-a", env)) {
      await().atMost(Duration.ofSeconds(30)).until(() -> a.get("/health/ready").status() == 200);
      try (OperatorProcess b = OperatorProcess.start("ha-b", env)) {
        await().atMost(Duration.ofSeconds(30)).until(() -> b.get("/health/ready").status() == 200);
        assertTrue(a.get("/metrics").body().contains("nomad_backup_leader 1.0"), a.get("/metrics").body());
        assertTrue(b.get("/metrics").body().contains("nomad_backup_leader 0.0"), b.get("/metrics").body());
        assertTrue(b.get("/health/ready").body().startsWith("standby"));

        nomad.run(Jobs.service(before, Jobs.optIn("@daily")));
        await().atMost(Duration.ofSeconds(30)).until(() -> nomad.job("backup-" + before).isPresent());
        assertTrue(a.log().contains("Backup created: backup-" + before));

        a.kill();
        nomad.run(Jobs.service(after, Jobs.optIn("@daily")));
        await().atMost(FAILOVER).until(() -> nomad.job("backup-" + after).isPresent());
        assertTrue(b.log().contains("Leading: holding the lock " + lockPath), b.log());
        assertTrue(b.log().contains("Backup created: backup-" + after), b.log());

        // b wrote nothing while a led: its first write comes after it took the lock
        String bLog = b.log();
        assertTrue(bLog.indexOf("Leading:") < bLog.indexOf("Backup created"), bLog);
        assertFalse(bLog.contains("Backup created: backup-" + before), "both wrote the same backup");
        for (String id : new String[] {before, after}) {
          JsonNode backup = nomad.job("backup-" + id).orElseThrow();
          assertEquals(0, backup.path("Version").asInt(), "backup-" + id + " was written more than once");
        }
        assertTrue(b.get("/metrics").body().contains("nomad_backup_leader 1.0"));

        // a clean stop hands over at once: no waiting for the TTL
        assertEquals(0, b.terminate(Duration.ofSeconds(20)), b.log());
        assertTrue(b.log().contains("Released the leader lock"), b.log());
      }
    }
  }

  /**
   * The leader is frozen (SIGSTOP) until the standby has taken the lock and changed things; then
   * it goes on with its stale cache and the events buffered meanwhile, and its first lock request
   * is held back a few seconds (a slow answer), which is when a leader without a fence acts on
   * what it believes. It must write nothing: every write of its term is refused by its own clock.
   */
  @Test
  void aLeaderPausedPastItsLeaseWritesNothingWhenItResumes(NomadAgent agent, TestNomad nomad) throws Exception {
    String lockName = Jobs.uniqueId("pause");
    String lockPath = "nomad-backup-operator/" + lockName;
    Map<String, String> env = new HashMap<>(agent.operatorEnv());
    env.put("OPERATOR_LOCK_PATH", lockPath);
    env.put("OPERATOR_LOCK_TTL", "10s");
    String src = Jobs.uniqueId("src");
    String gone = Jobs.uniqueId("gone");
    String fresh = Jobs.uniqueId("fresh");
    try (FaultProxy proxy = FaultProxy.start(agent.address())) {
      Map<String, String> viaProxy = new HashMap<>(env);
      viaProxy.putAll(proxy.env());
      try (OperatorProcess a = OperatorProcess.start("pause-a", viaProxy)) {
        await().atMost(Duration.ofSeconds(30)).until(() -> a.get("/metrics").body().contains("nomad_backup_leader 1.0"));
        try (OperatorProcess b = OperatorProcess.start("pause-b", env)) {
          await().atMost(Duration.ofSeconds(30)).until(() -> b.get("/health/ready").status() == 200);
          nomad.run(Jobs.service(src, Jobs.optIn("@daily")));
          nomad.run(Jobs.service(gone, Jobs.optIn("@daily")));
          await().atMost(Duration.ofSeconds(30)).until(
              () -> nomad.job("backup-" + src).isPresent() && nomad.job("backup-" + gone).isPresent());

          a.pause();
          long pausedAt = System.nanoTime();
          // while a stands still: a source opts out, one is rescheduled, one opts in
          nomad.run(Jobs.service(gone, Map.of("auto-backup", "false")));
          nomad.run(Jobs.service(src, Jobs.optIn("@weekly")));
          nomad.run(Jobs.service(fresh, Jobs.optIn("@daily")));
          await().atMost(FAILOVER).until(() -> b.get("/metrics").body().contains("nomad_backup_leader 1.0"));
          await().atMost(Duration.ofSeconds(30)).until(() -> nomad.job("backup-" + gone).isEmpty()
              && nomad.job("backup-" + fresh).isPresent()
              && "@weekly".equals(Jobs.cronOf(nomad.job("backup-" + src).orElseThrow())));
          JsonNode srcByB = nomad.job("backup-" + src).orElseThrow();

          proxy.failNext(1, "PUT", "/v1/var/.*" + lockName, new Fault.Hold());
          int mark = proxy.requests().size();
          a.resume();
          long pausedFor = (System.nanoTime() - pausedAt) / 1_000_000;
          // a goes on with what it had while its lock request waits at the proxy: it must write nothing
          await().during(Duration.ofSeconds(8)).atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200))
              .until(() -> writesSince(proxy, mark, lockName).isEmpty());
          proxy.releaseHeld();
          await().atMost(Duration.ofSeconds(30)).until(() -> a.get("/metrics").body().contains("nomad_backup_leader 0.0"));
          await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(4)).pollInterval(Duration.ofMillis(200))
              .until(() -> writesSince(proxy, mark, lockName).isEmpty());

          List<String> writes = writesSince(proxy, mark, lockName);
          String aLog = a.log();
          long refused = aLog.lines().filter(l -> l.contains("not leading:")).count();
          System.out.printf("[pause] leader paused %d ms; after resuming: %d writes sent, %d refused by the lease%n",
              pausedFor, writes.size(), refused);
          assertEquals(List.of(), writes, aLog);
          assertTrue(aLog.contains("The leader lease " + lockPath + " ran out"), aLog);
          assertTrue(aLog.contains("is no longer ours"), aLog);
          // what b did stands
          assertTrue(nomad.job("backup-" + gone).isEmpty());
          assertEquals(0, nomad.job("backup-" + fresh).orElseThrow().path("Version").asInt());
          assertEquals(srcByB.path("JobModifyIndex").asLong(),
              nomad.job("backup-" + src).orElseThrow().path("JobModifyIndex").asLong());
          assertTrue(b.get("/metrics").body().contains("nomad_backup_leader 1.0"));
        }
      }
    }
  }

  @Test
  void aCleanStopHandsTheLockOverWithoutWaitingForItsTtl(NomadAgent agent) throws Exception {
    Map<String, String> env = new HashMap<>(agent.operatorEnv());
    env.put("OPERATOR_LOCK_PATH", "nomad-backup-operator/" + Jobs.uniqueId("handover"));
    env.put("OPERATOR_LOCK_TTL", "60s"); // takeover by expiry would take minutes
    try (OperatorProcess a = OperatorProcess.start("handover-a", env);
        OperatorProcess b = OperatorProcess.start("handover-b", env)) {
      await().atMost(Duration.ofSeconds(30)).until(
          () -> a.get("/health/ready").status() == 200 && b.get("/health/ready").status() == 200);
      OperatorProcess leader = a.get("/metrics").body().contains("nomad_backup_leader 1.0") ? a : b;
      OperatorProcess standby = leader == a ? b : a;
      assertEquals(0, leader.terminate(Duration.ofSeconds(20)), leader.log());
      // released at once; the standby asks every 5 s (expiry would take 2 x 60 s + 60 s)
      await().atMost(Duration.ofSeconds(20)).until(
          () -> standby.get("/metrics").body().contains("nomad_backup_leader 1.0"));
    }
  }

  /** The writes the proxy saw since request {@code mark}, but for the lock's own renewals. */
  private static List<String> writesSince(FaultProxy proxy, int mark, String lockName) {
    List<FaultProxy.Request> all = proxy.requests();
    return all.subList(mark, all.size()).stream()
        .filter(r -> r.jobWrite().isPresent()
            || (r.write() && r.path().startsWith("/v1/var/") && !r.path().endsWith(lockName)))
        .map(r -> r.method() + " " + r.path() + " " + r.outcome())
        .collect(Collectors.toList());
  }
}

package dev.nomadbackup.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nomadbackup.testing.DedicatedNomadAgent;
import dev.nomadbackup.testing.Jobs;
import dev.nomadbackup.testing.NomadAgentExtension;
import dev.nomadbackup.testing.OperatorRun;
import dev.nomadbackup.testing.TestNomad;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A three-server cluster on loopback loses a server: first its leader while the operator talks to
 * a follower, then the very server the operator talks to. Backups of the jobs made meanwhile exist
 * once the operator is back in touch.
 */
@ExtendWith(NomadAgentExtension.class)
class LeaderLossIT {
  /** Raft elects a new leader within seconds; the leader lock may wait out its TTL and delay. */
  private static final Duration BACK = Duration.ofSeconds(90);
  private static final Map<String, String> ENV = Map.of("OPERATOR_LOCK_TTL", "10s", "OPERATOR_STARTUP_TIMEOUT", "60s");
  private static List<DedicatedNomadAgent> cluster;

  @BeforeAll
  static void startCluster() {
    long started = System.nanoTime();
    cluster = DedicatedNomadAgent.prepareCluster("nomad-cluster", 3);
    cluster.forEach(DedicatedNomadAgent::launchAlone);
    cluster.forEach(DedicatedNomadAgent::awaitLeader);
    System.out.printf("[leader-loss] three servers up with a leader in %.1f s%n", (System.nanoTime() - started) / 1e9);
  }

  @AfterAll
  static void stopCluster() {
    if (cluster != null) {
      cluster.forEach(DedicatedNomadAgent::close);
    }
  }

  @Test
  void backupsOfJobsMadeWhileAServerWasLostExistOnceTheOperatorIsBackInTouch() throws Exception {
    long started = System.nanoTime();
    DedicatedNomadAgent leader = leader();
    DedicatedNomadAgent follower = cluster.stream().filter(a -> a != leader).findFirst().orElseThrow();
    TestNomad viaFollower = follower.api();

    // 1. the operator talks to a follower; the leader dies
    String before = Jobs.uniqueId("loss-before");
    String duringElection = Jobs.uniqueId("loss-election");
    try (OperatorRun run = OperatorRun.start(follower, Optional.empty(), ENV)) {
      viaFollower.run(Jobs.service(before, Jobs.optIn("@daily")));
      await().atMost(BACK).until(() -> viaFollower.job("backup-" + before).isPresent());
      long killed = System.nanoTime();
      leader.kill();
      retrying(() -> viaFollower.run(Jobs.service(duringElection, Jobs.optIn("@daily"))));
      await().atMost(BACK).pollInterval(Duration.ofMillis(200))
          .until(() -> retrying(() -> viaFollower.job("backup-" + duringElection)).isPresent());
      System.out.printf("[leader-loss] leader killed: backup of a job made meanwhile after %.1f s%n",
          (System.nanoTime() - killed) / 1e9);
    }
    leader.start(); // it rejoins as a follower
    await().atMost(BACK).until(() -> leader.api().job("backup-" + duringElection).isPresent());

    // 2. the operator talks to a server that dies and comes back
    String whileAway = Jobs.uniqueId("loss-away");
    DedicatedNomadAgent doomed = leader;
    TestNomad viaOther = cluster.stream().filter(a -> a != doomed).findFirst().orElseThrow().api();
    try (OperatorRun run = OperatorRun.start(doomed, Optional.empty(), ENV)) {
      long killed = System.nanoTime();
      doomed.kill();
      retrying(() -> viaOther.run(Jobs.service(whileAway, Jobs.optIn("@daily"))));
      doomed.start();
      await().atMost(BACK).pollInterval(Duration.ofMillis(200))
          .until(() -> retrying(() -> viaOther.job("backup-" + whileAway)).isPresent());
      System.out.printf("[leader-loss] operator's server killed and restarted: backup of a job made meanwhile"
          + " after %.1f s%n", (System.nanoTime() - killed) / 1e9);
      assertTrue(run.log.contains("Backup created: backup-" + whileAway), run.log.lines().toString());
    }
    System.out.printf("[leader-loss] test took %.1f s%n", (System.nanoTime() - started) / 1e9);
  }

  /** The server that says it leads. */
  private static DedicatedNomadAgent leader() {
    AtomicReference<DedicatedNomadAgent> found = new AtomicReference<>();
    await().atMost(BACK).until(() -> {
      for (DedicatedNomadAgent a : cluster) {
        if ("true".equals(a.api().send("GET", "/v1/agent/self", null).path("stats").path("nomad").path("leader").asText())) {
          found.set(a);
          return true;
        }
      }
      return false;
    });
    return found.get();
  }

  /** A call to a cluster that may be electing a leader: tried again until it answers. */
  private static <T> T retrying(java.util.concurrent.Callable<T> call) {
    AtomicReference<T> result = new AtomicReference<>();
    await().atMost(BACK).pollInterval(Duration.ofMillis(250)).ignoreExceptions().until(() -> {
      result.set(call.call());
      return true;
    });
    return result.get();
  }
}

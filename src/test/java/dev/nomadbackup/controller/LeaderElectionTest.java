package dev.nomadbackup.controller;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Edge cases of the election with a scripted lock; the real lock is tested in HighAvailabilityIT. */
class LeaderElectionTest {
  private final List<String> calls = new CopyOnWriteArrayList<>();
  private final LeaderElection.Listener listener = new LeaderElection.Listener() {
    @Override
    public void elected() {
      calls.add("elected");
    }

    @Override
    public void deposed() {
      calls.add("deposed");
    }
  };

  /** Renewals every 0.7 s with a 1 s TTL would be too fast for Nomad, but fine for a scripted lock. */
  private static final Duration TTL = Duration.ofMillis(300);

  /** An election on a scripted lock, running on a thread of its own. */
  private record Running(LeaderElection election, Thread thread) {
    void stop() throws InterruptedException {
      election.stop();
      thread.join(5_000);
    }
  }

  private Running run(LeaderElection.Lock lock) {
    LeaderElection election = new LeaderElection(lock, "default", "x", TTL, listener);
    Thread thread = new Thread(election);
    thread.start();
    return new Running(election, thread);
  }

  @Test
  void aFailedRenewalStopsTheWorkBeforeAnythingElse() throws Exception {
    AtomicBoolean renewFails = new AtomicBoolean(false);
    AtomicInteger acquired = new AtomicInteger();
    Running running = run(new LeaderElection.Lock() {
      @Override
      public Optional<String> acquire(Duration ttl) {
        acquired.incrementAndGet();
        calls.add("acquire");
        return acquired.get() == 1 ? Optional.of("id-1") : Optional.empty();
      }

      @Override
      public void renew(String lockId) throws IOException {
        calls.add("renew");
        if (renewFails.get()) {
          throw new IOException("500 from PUT /v1/var/x: lock lost");
        }
      }

      @Override
      public void release(String lockId) {
        calls.add("release");
      }
    });
    LeaderElection election = running.election();
    await().atMost(Duration.ofSeconds(5)).until(() -> calls.contains("renew"));
    assertTrue(election.leading());
    renewFails.set(true);
    await().atMost(Duration.ofSeconds(5)).until(() -> calls.contains("deposed"));
    assertFalse(election.leading());
    int deposedAt = calls.indexOf("deposed");
    assertEquals("renew", calls.get(deposedAt - 1), calls.toString());
    assertFalse(calls.contains("release"), "a lost lock is not ours to release");
    await().atMost(Duration.ofSeconds(5)).until(() -> acquired.get() >= 2); // it keeps competing
    running.stop();
    assertFalse(running.thread().isAlive());
  }

  @Test
  void stoppingALeaderStopsTheWorkThenReleasesTheLock() throws Exception {
    Running running = run(new LeaderElection.Lock() {
      @Override
      public Optional<String> acquire(Duration ttl) {
        return Optional.of("id");
      }

      @Override
      public void renew(String lockId) {}

      @Override
      public void release(String lockId) {
        calls.add("release");
      }
    });
    LeaderElection election = running.election();
    await().atMost(Duration.ofSeconds(5)).until(election::leading);
    running.stop();
    assertEquals(List.of("elected", "deposed", "release"), calls);
  }

  @Test
  void aForbiddenLockIsReportedAndRetriedWithoutLeading() throws Exception {
    AtomicInteger tries = new AtomicInteger();
    Running running = run(new LeaderElection.Lock() {
      @Override
      public Optional<String> acquire(Duration ttl) throws IOException {
        tries.incrementAndGet();
        throw new IOException("403 from PUT /v1/var/x: Permission denied");
      }

      @Override
      public void renew(String lockId) {}

      @Override
      public void release(String lockId) {}
    });
    LeaderElection election = running.election();
    await().atMost(Duration.ofSeconds(5)).until(() -> tries.get() >= 3);
    assertFalse(election.decided(), "a refused attempt decides nothing: not leader, not standby");
    assertTrue(election.problem().contains("403"), election.problem());
    assertFalse(election.leading());
    running.stop();
    assertTrue(calls.isEmpty(), calls.toString());
  }
}

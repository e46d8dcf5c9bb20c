package dev.nomadbackup.controller;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import dev.nomadbackup.nomad.Fence;
import dev.nomadbackup.nomad.LeaseExpiredException;
import org.junit.jupiter.api.Test;

/** Edge cases of the election with a scripted lock; the real lock is tested in HighAvailabilityIT. */
class LeaderElectionTest {
  private final List<String> calls = new CopyOnWriteArrayList<>();
  private final List<Fence> fences = new CopyOnWriteArrayList<>();
  private final LeaderElection.Listener listener = new LeaderElection.Listener() {
    @Override
    public void elected() {
      calls.add("elected");
      fences.add(lease.fence());
    }

    @Override
    public void deposed() {
      calls.add("deposed");
    }
  };

  /** Renewals every 0.7 s with a 1 s TTL would be too fast for Nomad, but fine for a scripted lock. */
  private static final Duration TTL = Duration.ofMillis(300);

  /** An election on a scripted lock, running on a scheduler of its own. */
  private record Running(LeaderElection election, ScheduledExecutorService scheduler) {
    void stop() {
      election.stop(Duration.ofSeconds(5));
      scheduler.shutdownNow();
    }
  }

  /** A lease on a clock that stands still unless a test moves it: it never runs out by itself. */
  private final AtomicLong now = new AtomicLong();
  private final Lease lease = new Lease(TTL, Duration.ofMillis(30), now::get);

  private Running run(LeaderElection.Lock lock) {
    ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    LeaderElection election = new LeaderElection(lock, "default", "x", lease, TTL, listener, scheduler);
    election.start();
    return new Running(election, scheduler);
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
    int after = acquired.get();
    await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(2)).until(() -> acquired.get() == after);
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

  /** A lock that is always ours; every call is recorded. */
  private LeaderElection.Lock alwaysOurs(Runnable onRenew) {
    return new LeaderElection.Lock() {
      @Override
      public Optional<String> acquire(Duration ttl) {
        calls.add("acquire");
        return Optional.of("id");
      }

      @Override
      public void renew(String lockId) {
        calls.add("renew");
        onRenew.run();
      }

      @Override
      public void release(String lockId) {
        calls.add("release");
      }
    };
  }

  @Test
  void aLeaderPausedPastItsLeaseWritesNothingUntilItHasConfirmedTheLockInANewTerm() throws Exception {
    Running running = run(alwaysOurs(() -> {}));
    await().atMost(Duration.ofSeconds(5)).until(() -> calls.contains("renew"));
    Fence first = fences.get(0);
    first.check(); // leading, lease running

    now.addAndGet(Duration.ofSeconds(2).toNanos()); // the process was stopped for 2 s
    LeaseExpiredException refused = assertThrows(LeaseExpiredException.class, first::check);
    assertTrue(refused.getMessage().startsWith("not leading: the lease expired "), refused.getMessage());

    await().atMost(Duration.ofSeconds(5)).until(() -> fences.size() == 2);
    // the term ended before the lock was asked about again, and the new one began only after that
    List<String> afterPause = calls.subList(calls.indexOf("deposed"), calls.size());
    assertEquals(List.of("deposed", "renew", "elected"), afterPause.subList(0, 3), calls.toString());
    fences.get(1).check();
    refused = assertThrows(LeaseExpiredException.class, first::check);
    assertEquals("not leading: leadership term 1 is over; not writing", refused.getMessage());
    assertFalse(calls.contains("release"));
    running.stop();
    assertThrows(LeaseExpiredException.class, fences.get(1)::check);
  }

  @Test
  void aRenewalAnsweredAfterTheLeaseRanOutEndsTheTerm() throws Exception {
    AtomicInteger renewals = new AtomicInteger();
    Running running = run(alwaysOurs(() -> {
      if (renewals.incrementAndGet() == 2) {
        now.addAndGet(Duration.ofSeconds(1).toNanos()); // Nomad, or the way there, took 1 s
      }
    }));
    await().atMost(Duration.ofSeconds(5)).until(() -> fences.size() == 2);
    assertThrows(LeaseExpiredException.class, fences.get(0)::check);
    fences.get(1).check();
    assertEquals(List.of("acquire", "elected", "renew", "renew", "deposed", "renew", "elected"),
        calls.subList(0, 7));
    running.stop();
  }

  @Test
  void aLeaseRefusesOnceItsTtlLessTheMarginHasPassedSinceTheRequestWasSent() throws Exception {
    Lease l = new Lease(Duration.ofSeconds(10), Duration.ofSeconds(1), now::get);
    Fence none = l.fence();
    assertThrows(LeaseExpiredException.class, none::check); // no term yet
    now.set(100);
    l.begin(100);
    Fence term = l.fence();
    now.set(100 + Duration.ofSeconds(9).toNanos());
    term.check(); // 9 s after sending: still ours
    assertTrue(l.extend(now.get())); // renewed at 9 s: now valid until 18 s
    now.addAndGet(Duration.ofMillis(9_000).toNanos());
    term.check();
    now.addAndGet(Duration.ofMillis(1).toNanos());
    LeaseExpiredException e = assertThrows(LeaseExpiredException.class, term::check);
    assertTrue(e.getMessage().contains("expired 1 ms ago"), e.getMessage());
    assertFalse(l.extend(now.get()), "a lapsed lease is not extended");
    assertThrows(LeaseExpiredException.class, () -> l.current().check());
  }
}

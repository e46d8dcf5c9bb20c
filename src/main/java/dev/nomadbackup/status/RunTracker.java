package dev.nomadbackup.status;

import dev.nomadbackup.backup.RunLedger;
import dev.nomadbackup.nomad.Allocation;
import dev.nomadbackup.nomad.Failures;
import dev.nomadbackup.nomad.JobKey;
import dev.nomadbackup.nomad.NomadApiException;
import dev.nomadbackup.nomad.RunSource;
import java.io.IOException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows the runs of the backup jobs the operator owns. The event stream already wakes the
 * reconciler for every change of a run's job (launched, running, dead); the job's status tells a
 * run that waits or runs, and for a run that ended the tracker reads its allocations (and a failed
 * task's stderr) and records what they say. One thing has no event of its own: a run that Nomad
 * cannot place stays {@code pending} while its evaluation is blocked, so a run still pending is
 * looked at again a little later (its allocations, its evaluations), and then it is {@code not
 * placed}.
 */
public final class RunTracker implements RunLedger {
  private static final Logger log = LoggerFactory.getLogger(RunTracker.class);
  private static final Pattern PERIODIC = Pattern.compile(".*/periodic-(\\d{1,18})$");
  /** Enough of a task's stderr for its last lines. */
  private static final int TAIL_BYTES = 4096;
  private static final int REASON_LENGTH = 400;
  static final long PENDING_RECHECK_SECONDS = 5;

  private final RunSource nomad;
  private final StatusBook book;
  private final ScheduledExecutorService later;
  private final Set<JobKey> rechecking = ConcurrentHashMap.newKeySet();

  /** @param later runs the one delayed look at a run that is still pending */
  public RunTracker(RunSource nomad, StatusBook book, ScheduledExecutorService later) {
    this.nomad = nomad;
    this.book = book;
    this.later = later;
  }

  @Override
  public void protect(JobKey source, String backupJob, String schedule, Optional<String> timeZone,
      boolean suspended) throws IOException {
    book.protect(source, backupJob, schedule, timeZone, suspended);
  }

  @Override
  public void unprotect(JobKey source) throws IOException {
    book.unprotect(source);
  }

  /**
   * Looks at run {@code run} of {@code source}'s backup job, whose job status Nomad reports as
   * {@code jobStatus} ({@code pending}, {@code running}, {@code dead}). The job status is all a
   * periodic run's start needs (its ID carries its launch): only a run that ended, or one still
   * pending when looked at again, costs a read of its allocations.
   */
  @Override
  public void observe(JobKey source, JobKey run, String jobStatus) throws IOException {
    if (book.knowsFinished(source, run.jobId())) {
      return;
    }
    Optional<Instant> launch = periodicLaunch(run);
    Optional<Run> known = book.lastRun(source).filter(r -> r.id().equals(run.jobId()));
    Run now;
    if (launch.isPresent() && "running".equals(jobStatus)) {
      now = new Run(run.jobId(), launch.get(), Optional.empty(), RunOutcome.RUNNING, "", Optional.empty());
    } else if (launch.isPresent() && "pending".equals(jobStatus)) {
      if (known.filter(r -> r.outcome() == RunOutcome.NOT_PLACED).isPresent()) {
        return; // still waiting for a node, as recorded; placing it is an event of its own
      }
      now = new Run(run.jobId(), launch.get(), Optional.empty(), RunOutcome.PENDING, "", Optional.empty());
    } else {
      now = read(run, jobStatus);
    }
    book.record(source, now);
    if (now.outcome() == RunOutcome.PENDING && rechecking.add(run)) {
      later.schedule(() -> recheck(source, run), PENDING_RECHECK_SECONDS, TimeUnit.SECONDS);
    }
  }

  /**
   * A run still pending a while after it was seen so: placed slowly, or not at all (a blocked
   * evaluation). Looked at once; what happens to it later is an event.
   */
  private void recheck(JobKey source, JobKey run) {
    try {
      boolean stillPending = book.lastRun(source)
          .filter(r -> r.id().equals(run.jobId()) && r.outcome() == RunOutcome.PENDING).isPresent();
      if (stillPending) {
        book.record(source, read(run, "pending"));
      }
    } catch (IOException | RuntimeException e) {
      log.debug("Cannot look at {} again: {}", run, Failures.describe(e));
    } finally {
      rechecking.remove(run);
    }
  }

  Run read(JobKey run, String jobStatus) throws IOException {
    List<Allocation> allocations = nomad.allocations(run);
    Instant launch = launch(run, allocations);
    if (allocations.isEmpty()) {
      Optional<String> unplaced = nomad.placementFailure(run);
      if (unplaced.isPresent()) {
        return new Run(run.jobId(), launch, Optional.empty(), RunOutcome.NOT_PLACED, unplaced.get(), Optional.empty());
      }
      return new Run(run.jobId(), launch, Optional.empty(), RunOutcome.PENDING, "", Optional.empty());
    }
    boolean anyRunning = false;
    boolean anyPending = false;
    Allocation failed = null;
    Instant end = launch;
    for (Allocation a : allocations) {
      switch (a.clientStatus()) {
        case "running" -> anyRunning = true;
        case "pending" -> anyPending = true;
        case "complete" -> {
          if (a.tasks().stream().anyMatch(Allocation.TaskEnd::failed)) {
            failed = a;
          }
        }
        default -> failed = a; // failed, lost, or a status this reader does not know: not a success
      }
      for (Allocation.TaskEnd t : a.tasks()) {
        if (t.finished().isPresent() && t.finished().get().isAfter(end)) {
          end = t.finished().get();
        }
      }
    }
    if (anyRunning || (anyPending && failed == null)) {
      return new Run(run.jobId(), launch, Optional.empty(),
          anyRunning ? RunOutcome.RUNNING : RunOutcome.PENDING, "", Optional.empty());
    }
    if (failed == null && "dead".equals(jobStatus)) {
      return new Run(run.jobId(), launch, Optional.of(end), RunOutcome.SUCCEEDED, "", Optional.empty());
    }
    if (failed == null) {
      return new Run(run.jobId(), launch, Optional.empty(), RunOutcome.RUNNING, "", Optional.empty());
    }
    return failure(run, launch, end, failed);
  }

  private Run failure(JobKey run, Instant launch, Instant end, Allocation failed) {
    Allocation.TaskEnd task = failed.tasks().stream().filter(Allocation.TaskEnd::failed).findFirst()
        .orElse(failed.tasks().isEmpty() ? null : failed.tasks().get(0));
    String reason = "allocation " + failed.clientStatus();
    Optional<Integer> exit = Optional.empty();
    if (task != null) {
      exit = task.exitCode().filter(c -> c != 0);
      reason = lastLine(run, failed, task).orElse(task.lastEvent().isEmpty() ? reason : task.lastEvent());
    }
    return new Run(run.jobId(), launch, Optional.of(end), RunOutcome.FAILED, shorten(reason), exit);
  }

  /** The tool's own words: the last line it wrote to stderr. */
  private Optional<String> lastLine(JobKey run, Allocation alloc, Allocation.TaskEnd task) {
    try {
      String tail = nomad.logTail(run.namespace(), alloc.id(), task.name(), true, TAIL_BYTES);
      String[] lines = tail.split("\n");
      for (int i = lines.length - 1; i >= 0; i--) {
        if (!lines[i].isBlank()) {
          return Optional.of(lines[i].strip());
        }
      }
    } catch (NomadApiException e) {
      if (e.tokenRejected()) {
        log.warn("Cannot read the log of {}: {}", run, e.getMessage());
      } else if (e.forbidden()) {
        log.warn("Cannot read the log of {}: the token needs read-logs on namespace {}", run, run.namespace());
      } else {
        log.debug("Cannot read the log of {}: {}", run, Failures.describe(e));
      }
    } catch (IOException e) {
      log.debug("Cannot read the log of {}: {}", run, Failures.describe(e));
    }
    return Optional.empty();
  }

  /** A periodic run's ID carries its launch time; any other run launched with its first allocation. */
  private static Instant launch(JobKey run, List<Allocation> allocations) {
    return periodicLaunch(run)
        .orElseGet(() -> allocations.stream().map(Allocation::created).min(Instant::compareTo).orElse(Instant.EPOCH));
  }

  private static Optional<Instant> periodicLaunch(JobKey run) {
    Matcher m = PERIODIC.matcher(run.jobId());
    return m.matches() ? Optional.of(Instant.ofEpochSecond(Long.parseLong(m.group(1)))) : Optional.empty();
  }

  private static String shorten(String reason) {
    String one = reason.replaceAll("\\s+", " ").strip();
    return one.length() <= REASON_LENGTH ? one : one.substring(0, REASON_LENGTH - 1) + "…";
  }
}

package dev.nomadbackup.status;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * One run of a backup job: a periodic child such as {@code backup-example/periodic-1764547200}.
 *
 * @param launch when Nomad launched it (the child's submit time)
 * @param end when its last task finished, once it has
 * @param reason what a person can act on when it did not succeed: the tool's own last error line,
 *     the task's last event, or why Nomad could not place it; empty otherwise
 * @param exitCode the failing task's exit code, when one was reported
 */
public record Run(String id, Instant launch, Optional<Instant> end, RunOutcome outcome, String reason,
    Optional<Integer> exitCode) {

  public Optional<Duration> duration() {
    return end.map(e -> Duration.between(launch, e)).filter(d -> !d.isNegative());
  }
}

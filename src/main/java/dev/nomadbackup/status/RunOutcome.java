package dev.nomadbackup.status;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/** Where one backup run stands, as Nomad's allocations and evaluations tell it. */
public enum RunOutcome {
  /** Launched, not yet on a node. */
  PENDING,
  /** Nomad found no node for it; it waits, and blocks the runs after it. */
  NOT_PLACED,
  RUNNING,
  /** Every task exited 0. */
  SUCCEEDED,
  /** A task failed (non-zero exit, or the allocation was lost or failed). */
  FAILED;

  /** {@code not placed}, {@code succeeded}: the word people and the JSON use. */
  public String word() {
    return name().toLowerCase(Locale.ROOT).replace('_', ' ');
  }

  public boolean finished() {
    return this == SUCCEEDED || this == FAILED;
  }

  static Optional<RunOutcome> ofWord(String word) {
    return Arrays.stream(values()).filter(o -> o.word().equals(word)).findFirst();
  }
}

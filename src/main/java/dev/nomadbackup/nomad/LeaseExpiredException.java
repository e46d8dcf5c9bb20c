package dev.nomadbackup.nomad;

import java.io.IOException;

/**
 * A write refused before it left the process: this copy of the operator cannot be sure it still
 * holds the leader lock. The reconcile that wanted the write fails, and the next leadership term
 * (this copy's or another's, with a fresh view of the cluster) does it again if it is still needed.
 */
public final class LeaseExpiredException extends IOException {
  public LeaseExpiredException(String message) {
    super(message);
  }
}

package dev.nomadbackup.controller;

import dev.nomadbackup.nomad.JobKey;
import java.util.Optional;

/**
 * What the controller reports as it runs, for metrics and health. Implementations must be cheap
 * and thread-safe: they are called from the event and worker threads.
 */
public interface Telemetry {
  Telemetry NONE = new Telemetry() {};

  /** An event of a kept type arrived. */
  default void eventReceived(String type) {}

  /** The stream delivered a line at {@code index}. */
  default void indexSeen(long index) {}

  /** An event stream was lost and will be opened again. */
  default void streamReconnecting() {}

  /** A reconcile ended; {@code outcome} is empty when it failed and will be retried. */
  default void reconciled(JobKey key, Optional<Outcome> outcome, long nanos) {}

  /** A full listing of a namespace finished, the first after start or reconnect included. */
  default void listed(String namespace, int managedBackups) {}
}

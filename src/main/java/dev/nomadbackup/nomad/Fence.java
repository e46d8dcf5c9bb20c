package dev.nomadbackup.nomad;

/**
 * Asked right before every write to Nomad: may this copy of the operator still write? It throws
 * when not, so the write never leaves the process.
 */
@FunctionalInterface
public interface Fence {
  /** For what writes without the leader lock: a dry run (which writes nothing) and the tests. */
  Fence NONE = () -> {};

  void check() throws LeaseExpiredException;
}

package dev.nomadbackup.nomad;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Nomad Variables: where the operator keeps what must outlive it and the jobs' garbage collection. */
public interface VariableStore {
  /** One variable's items and the modify index a conditional write needs. */
  record Variable(String namespace, String path, Map<String, String> items, long modifyIndex) {
    public Variable {
      items = Map.copyOf(items);
    }
  }

  /**
   * The variables under {@code prefix} in {@code namespace} ({@code *} for all), without their
   * items (Nomad lists only their paths and indexes).
   */
  List<Variable> list(String namespace, String prefix) throws IOException;

  /** The variable at {@code path}, or empty. */
  Optional<Variable> read(String namespace, String path) throws IOException;

  /**
   * Writes {@code items} if the variable's modify index is still {@code expectedIndex} (0: it must
   * not exist); returns the new modify index. A {@link NomadApiException} with 409 means someone
   * else wrote it meanwhile.
   */
  long write(String namespace, String path, Map<String, String> items, long expectedIndex) throws IOException;

  /** Removes the variable; one that is already gone is not an error. */
  void delete(String namespace, String path) throws IOException;
}

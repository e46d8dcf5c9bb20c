package dev.nomadbackup.nomad;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** A {@link VariableStore} whose writes (write, delete) each pass a {@link Fence} first. */
public final class FencedVariableStore implements VariableStore {
  private final VariableStore vars;
  private final Fence fence;

  public FencedVariableStore(VariableStore vars, Fence fence) {
    this.vars = vars;
    this.fence = fence;
  }

  @Override
  public List<Variable> list(String namespace, String prefix) throws IOException {
    return vars.list(namespace, prefix);
  }

  @Override
  public Optional<Variable> read(String namespace, String path) throws IOException {
    return vars.read(namespace, path);
  }

  @Override
  public long write(String namespace, String path, Map<String, String> items, long expectedIndex)
      throws IOException {
    fence.check();
    return vars.write(namespace, path, items, expectedIndex);
  }

  @Override
  public void delete(String namespace, String path) throws IOException {
    fence.check();
    vars.delete(namespace, path);
  }
}

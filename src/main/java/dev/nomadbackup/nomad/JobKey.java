package dev.nomadbackup.nomad;

/** Names one job: the unit of work the sources produce and the reconciler consumes. */
public record JobKey(String namespace, String jobId) {
  public JobKey {
    if (namespace.isEmpty() || jobId.isEmpty()) {
      throw new IllegalArgumentException("a job key needs a namespace and an ID");
    }
  }

  /** {@code example} in the default namespace, {@code team-a/example} elsewhere. */
  @Override
  public String toString() {
    return "default".equals(namespace) ? jobId : namespace + "/" + jobId;
  }
}

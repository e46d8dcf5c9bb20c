package dev.nomadbackup.testing;

import dev.nomadbackup.nomad.NomadJob;
import dev.nomadbackup.nomad.NomadJob.PlacedMeta;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A {@link NomadJob} for unit tests, named by what a test cares about rather than by eleven
 * positional arguments. Unless told otherwise: a complete, running service job in {@code default},
 * no parent, no datacenters, no region, no meta, both indexes 1.
 */
public final class NomadJobBuilder {
  private String namespace = "default";
  private final String id;
  private Optional<String> parentId = Optional.empty();
  private String type = "service";
  private boolean stopped;
  private String status = "running";
  private List<String> datacenters = List.of();
  private Optional<String> region = Optional.empty();
  private final Map<String, String> meta = new LinkedHashMap<>();
  private List<PlacedMeta> innerMeta = List.of();
  private long jobModifyIndex = 1;
  private long modifyIndex = 1;
  private boolean complete = true;
  private long version = 0;

  private NomadJobBuilder(String id) {
    this.id = id;
  }

  public static NomadJobBuilder job(String id) {
    return new NomadJobBuilder(id);
  }

  public NomadJobBuilder namespace(String namespace) {
    this.namespace = namespace;
    return this;
  }

  /** A child, of a periodic or parameterized job. */
  public NomadJobBuilder parent(Optional<String> parentId) {
    this.parentId = parentId;
    return this;
  }

  public NomadJobBuilder type(String type) {
    this.type = type;
    return this;
  }

  public NomadJobBuilder stopped(boolean stopped) {
    this.stopped = stopped;
    return this;
  }

  public NomadJobBuilder status(String status) {
    this.status = status;
    return this;
  }

  public NomadJobBuilder datacenters(String... datacenters) {
    this.datacenters = List.of(datacenters);
    return this;
  }

  public NomadJobBuilder region(Optional<String> region) {
    this.region = region;
    return this;
  }

  /** Adds to the job's own meta. */
  public NomadJobBuilder meta(Map<String, String> meta) {
    this.meta.putAll(meta);
    return this;
  }

  /** The meta of groups and tasks, in spec order. */
  public NomadJobBuilder innerMeta(List<PlacedMeta> innerMeta) {
    this.innerMeta = innerMeta;
    return this;
  }

  /** Last registered at {@code index}, with nothing changed since. */
  public NomadJobBuilder index(long index) {
    return indexes(index, index);
  }

  /** Last registered at {@code jobModifyIndex}; its status last changed at {@code modifyIndex}. */
  public NomadJobBuilder indexes(long jobModifyIndex, long modifyIndex) {
    this.jobModifyIndex = jobModifyIndex;
    this.modifyIndex = modifyIndex;
    return this;
  }

  /** The job's {@code Version} (a stub's is unknown whatever this says). */
  public NomadJobBuilder version(long version) {
    this.version = version;
    return this;
  }

  /** {@code false} for a job list stub, which carries no groups and no region. */
  public NomadJobBuilder complete(boolean complete) {
    this.complete = complete;
    return this;
  }

  public NomadJob build() {
    return new NomadJob(namespace, id, parentId, type, stopped, status, datacenters, region, meta, innerMeta,
        jobModifyIndex, modifyIndex, complete ? version : -1, complete);
  }
}

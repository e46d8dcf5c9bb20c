package dev.nomadbackup.nomad;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.List;
import java.util.Optional;

/** A {@link JobStore} whose writes (register, purge, periodic force) each pass a {@link Fence} first. */
public final class FencedJobStore implements JobStore {
  private final JobStore nomad;
  private final Fence fence;

  public FencedJobStore(JobStore nomad, Fence fence) {
    this.nomad = nomad;
    this.fence = fence;
  }

  @Override
  public Optional<NomadJob> readJob(JobKey key) throws IOException {
    return nomad.readJob(key);
  }

  @Override
  public ObjectNode parseJob(String namespace, String hcl) throws IOException {
    return nomad.parseJob(namespace, hcl);
  }

  @Override
  public long registerJob(ObjectNode job, long expectedModifyIndex, String hcl) throws IOException {
    fence.check();
    return nomad.registerJob(job, expectedModifyIndex, hcl);
  }

  @Override
  public List<String> validateJob(ObjectNode job) throws IOException {
    return nomad.validateJob(job);
  }

  @Override
  public long purgeJob(JobKey key) throws IOException {
    fence.check();
    return nomad.purgeJob(key);
  }

  @Override
  public void forcePeriodic(JobKey key) throws IOException {
    fence.check();
    nomad.forcePeriodic(key);
  }

  @Override
  public Optional<List<JobVersion>> versions(String namespace, String filter) throws IOException {
    return nomad.versions(namespace, filter);
  }

  @Override
  public List<NomadJob> children(JobKey parent) throws IOException {
    return nomad.children(parent);
  }

  @Override
  public Optional<String> region() {
    return nomad.region();
  }
}

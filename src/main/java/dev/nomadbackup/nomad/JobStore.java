package dev.nomadbackup.nomad;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.List;
import java.util.Optional;

/**
 * The calls the backup reconciler makes on single jobs: read, parse, register, validate, purge, run.
 * {@link NomadClient} is the real one; tests give a fake. (It lives beside the client rather than
 * in the reconciler's package so that the package graph stays one way: nomad ← backup.)
 *
 * <p>Every failure is an {@link IOException}, a {@link NomadApiException} when Nomad answered with
 * an error status.
 */
public interface JobStore {
  /** The job as Nomad has it now, or empty when there is no such job. */
  Optional<NomadJob> readJob(JobKey key) throws IOException;

  /** Parses HCL into a canonical job in {@code namespace}; HCL errors come back as 400. */
  ObjectNode parseJob(String namespace, String hcl) throws IOException;

  /**
   * Registers {@code job} only if its modify index is still {@code expectedModifyIndex} (0: it must
   * not exist), and returns its new modify index. {@code hcl}, the source it was parsed from, is
   * kept with it, so {@code nomad job inspect} and the UI's Definition tab show what was rendered.
   */
  long registerJob(ObjectNode job, long expectedModifyIndex, String hcl) throws IOException;

  /** What Nomad's validation says of {@code job}; empty when it is valid. */
  List<String> validateJob(ObjectNode job) throws IOException;

  /**
   * Stops and purges a job; one that is already gone is not an error. Returns the Raft index of the
   * purge (0 when the job was already gone or Nomad did not say).
   */
  long purgeJob(JobKey key) throws IOException;

  /** Launches a run of the periodic job {@code key} now, as {@code nomad job periodic force} does. */
  void forcePeriodic(JobKey key) throws IOException;

  /**
   * The {@code Version} of every job of {@code namespace} (not its periodic or dispatched children)
   * that {@code filter}, a Nomad filter expression on the job, selects, read page by page, each with
   * the modify index it is valid at; empty when this Nomad has no such listing ({@code GET
   * /v1/jobs/statuses} came with 1.8), cannot read the filter, or the token may not use it. Job list
   * stubs carry no version.
   */
  Optional<List<JobVersion>> versions(String namespace, String filter) throws IOException;

  /** A job's {@code Version} as of its {@code ModifyIndex}. */
  record JobVersion(JobKey key, long version, long modifyIndex) {}

  /** The periodic and dispatched children of {@code parent}, as job list stubs. */
  List<NomadJob> children(JobKey parent) throws IOException;

  /** The region of the cluster, when known. */
  Optional<String> region();
}

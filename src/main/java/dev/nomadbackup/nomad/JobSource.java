package dev.nomadbackup.nomad;

import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;

/**
 * What the controller's sources read and tell: listings, the Job event stream, the index its
 * events announced, and the namespaces. {@link NomadClient} is the real one; tests give a fake. (It
 * lives beside the client rather than in the controller's package so that the package graph stays
 * one way.)
 */
public interface JobSource {
  /** Every job of {@code namespace} ({@code *} for all) with its meta, and the index it reflects. */
  JobList listJobs(String namespace) throws IOException;

  /** Opens the Job topic's event stream of {@code namespace} from {@code index} on. */
  InputStream openJobEvents(String namespace, long index, Duration readTimeout) throws IOException;

  /**
   * Says that an event of {@code index} was handed on: from now on, a read of a job, its children
   * or its allocations first waits until Nomad has committed that index (Nomad publishes an event
   * just before it commits the change). A reconcile that the event's payload decides reads nothing
   * and so waits for nothing.
   */
  void announced(long index);

  /**
   * The namespaces of the cluster once their list has changed since {@code index}, or after {@code
   * wait} (a blocking query); {@code index} 0 answers at once.
   */
  Namespaces namespaces(long index, Duration wait) throws IOException;
}

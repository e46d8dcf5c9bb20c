package dev.nomadbackup.nomad;

import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;

/**
 * What the controller's sources read: listings, the Job event stream, the commit wait and the
 * namespaces. {@link NomadClient} is the real one; tests give a fake. (It lives beside the client
 * rather than in the controller's package so that the package graph stays one way.)
 */
public interface JobSource {
  /** Every job of {@code namespace} ({@code *} for all) with its meta, and the index it reflects. */
  JobList listJobs(String namespace) throws IOException;

  /** Opens the Job topic's event stream of {@code namespace} from {@code index} on. */
  InputStream openJobEvents(String namespace, long index, Duration readTimeout) throws IOException;

  /** Returns once Nomad's job table has reached {@code index}, or after {@code wait}. */
  void awaitJobsIndex(String namespace, long index, Duration wait) throws IOException;

  /**
   * The namespaces of the cluster once their list has changed since {@code index}, or after {@code
   * wait} (a blocking query); {@code index} 0 answers at once.
   */
  Namespaces namespaces(long index, Duration wait) throws IOException;
}

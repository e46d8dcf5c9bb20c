package dev.nomadbackup.backup;

import dev.nomadbackup.nomad.JobKey;
import java.io.IOException;
import java.util.Optional;

/** Where the reconciler reports what it learns about backups: which jobs are protected, and their runs. */
public interface RunLedger {
  /** Records nothing: for tools and tests that do not follow runs. */
  RunLedger NONE = new RunLedger() {
    @Override
    public void protect(JobKey source, String backupJob, String schedule, Optional<String> timeZone,
        boolean suspended) {}

    @Override
    public void unprotect(JobKey source) {}

    @Override
    public void observe(JobKey source, JobKey run, String jobStatus) {}
  };

  /**
   * {@code source} is protected by {@code backupJob} on {@code schedule}; {@code timeZone} is empty
   * when the job was not rendered this time.
   */
  void protect(JobKey source, String backupJob, String schedule, Optional<String> timeZone, boolean suspended)
      throws IOException;

  /** {@code source} is no longer protected. */
  void unprotect(JobKey source) throws IOException;

  /** Something happened to {@code run}, a run of {@code source}'s backup job whose job status is {@code jobStatus}. */
  void observe(JobKey source, JobKey run, String jobStatus) throws IOException;
}

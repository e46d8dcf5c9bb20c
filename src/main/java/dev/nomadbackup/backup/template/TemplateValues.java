package dev.nomadbackup.backup.template;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The values a backup or restore template is rendered with, for one source job.
 *
 * <p>Every component is required; the collections are copied and must not hold nulls.
 *
 * @param jobId the job being rendered: {@code backup-<id>} or {@code restore-<id>}
 * @param backupJobId the backup job of the source, {@code backup-<id>}, in either template
 */
public record TemplateValues(String jobId, String backupJobId, String sourceJobId, String namespace,
    List<String> datacenters, String region, String schedule, String targetDb, Map<String, String> meta) {

  public TemplateValues {
    Objects.requireNonNull(jobId, "jobId");
    Objects.requireNonNull(backupJobId, "backupJobId");
    Objects.requireNonNull(sourceJobId, "sourceJobId");
    Objects.requireNonNull(namespace, "namespace");
    datacenters = List.copyOf(Objects.requireNonNull(datacenters, "datacenters"));
    Objects.requireNonNull(region, "region");
    Objects.requireNonNull(schedule, "schedule");
    Objects.requireNonNull(targetDb, "targetDb");
    meta = Map.copyOf(Objects.requireNonNull(meta, "meta"));
  }

  /** The values of a backup template, where the rendered job is the backup job itself. */
  public TemplateValues(String jobId, String sourceJobId, String namespace, List<String> datacenters,
      String region, String schedule, String targetDb, Map<String, String> meta) {
    this(jobId, jobId, sourceJobId, namespace, datacenters, region, schedule, targetDb, meta);
  }

  /** These values for another job of the same source: its restore job, say. */
  public TemplateValues forJob(String otherJobId) {
    return new TemplateValues(otherJobId, backupJobId, sourceJobId, namespace, datacenters, region,
        schedule, targetDb, meta);
  }

  /** Plausible values for checking at startup that a template renders at all. */
  public static TemplateValues sample() {
    return new TemplateValues("backup-sample", "sample", "default", List.of("dc1"),
        "global", "@daily", "postgres", Map.of());
  }
}

package dev.nomadbackup.backup;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The values a backup template is rendered with, for one source job.
 *
 * <p>Every component is required; the collections are copied and must not hold nulls.
 */
record TemplateValues(String jobId, String sourceJobId, String namespace, List<String> datacenters,
    String region, String schedule, String targetDb, Map<String, String> meta) {

  TemplateValues {
    Objects.requireNonNull(jobId, "jobId");
    Objects.requireNonNull(sourceJobId, "sourceJobId");
    Objects.requireNonNull(namespace, "namespace");
    datacenters = List.copyOf(Objects.requireNonNull(datacenters, "datacenters"));
    Objects.requireNonNull(region, "region");
    Objects.requireNonNull(schedule, "schedule");
    Objects.requireNonNull(targetDb, "targetDb");
    meta = Map.copyOf(Objects.requireNonNull(meta, "meta"));
  }

  /** Plausible values for checking at startup that a template renders at all. */
  static TemplateValues sample() {
    return new TemplateValues("backup-sample", "sample", "default", List.of("dc1"),
        "global", "@daily", "postgres", Map.of());
  }
}

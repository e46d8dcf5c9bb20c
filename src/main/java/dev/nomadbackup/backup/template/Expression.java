package dev.nomadbackup.backup.template;

/**
 * What one placeholder asks for: a variable, the meta key when the variable is {@code .Meta},
 * and the literal to use when the value is missing or empty ({@code null} when there is none).
 */
record Expression(Variable variable, String metaKey, String defaultValue) {

  /** The string value, or {@code null} when a meta key is not set; not for {@code .Datacenters}. */
  String lookup(TemplateValues values) {
    return switch (variable) {
      case JOB_ID -> values.jobId();
      case BACKUP_JOB_ID -> values.backupJobId();
      case SOURCE_JOB_ID -> values.sourceJobId();
      case NAMESPACE -> values.namespace();
      case REGION -> values.region();
      case SCHEDULE -> values.schedule();
      case TARGET_DB -> values.targetDb();
      case META -> values.meta().get(metaKey);
      case DATACENTERS -> throw new IllegalStateException(".Datacenters is a list");
    };
  }
}

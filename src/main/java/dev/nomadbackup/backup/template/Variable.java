package dev.nomadbackup.backup.template;

import java.util.Arrays;
import java.util.Optional;
import java.util.stream.Collectors;

/** The variables a placeholder can name, spelled as in the template after the leading dot. */
enum Variable {
  JOB_ID("JobID"),
  BACKUP_JOB_ID("BackupJobID"),
  SOURCE_JOB_ID("SourceJobID"),
  NAMESPACE("Namespace"),
  REGION("Region"),
  SCHEDULE("Schedule"),
  TARGET_DB("TargetDB"),
  DATACENTERS("Datacenters"),
  META("Meta");

  private final String spelling;

  Variable(String spelling) {
    this.spelling = spelling;
  }

  String spelling() {
    return spelling;
  }

  static Optional<Variable> named(String spelling) {
    return Arrays.stream(values()).filter(v -> v.spelling.equals(spelling)).findFirst();
  }

  static String known() {
    return Arrays.stream(values())
        .map(v -> v == META ? ".Meta.<key>" : "." + v.spelling)
        .collect(Collectors.joining(", "));
  }
}

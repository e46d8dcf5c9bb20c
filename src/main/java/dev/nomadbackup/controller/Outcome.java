package dev.nomadbackup.controller;

/** What one reconcile did. */
public enum Outcome {
  CREATED,
  UPDATED,
  UNCHANGED,
  REMOVED,
  /** Nothing to do: no backup wanted and none there. */
  ABSENT,
  /** Not a job that gets backups (a backup job itself, a periodic or dispatched child). */
  SKIPPED,
  /** A job called like the backup exists but is not the operator's: left alone. */
  CONFLICT,
  /** The settings, the template or the rendered job are wrong; retrying will not help. */
  INVALID
}

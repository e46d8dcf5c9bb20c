package dev.nomadbackup.backup;

import java.util.Map;

/** What a job's meta asks for: no backup, a backup with these settings, or something unreadable. */
sealed interface Settings {
  record OptedOut(String why) implements Settings {}

  /**
   * @param meta every {@code backup-*} key of that block, for the template's {@code .Meta}
   * @param where the meta block the settings came from: {@code job}, or a group or task
   * @param kind the template pair that makes the backup and restore jobs ({@code backup-template})
   * @param suspended the backup job stays, but its schedule does not launch runs ({@code backup-suspend})
   * @param immediate run a backup as soon as the backup job is first created ({@code backup-immediate})
   */
  record OptedIn(String schedule, String targetDb, Map<String, String> meta, String where, String kind,
      boolean suspended, boolean immediate) implements Settings {
    public OptedIn {
      meta = Map.copyOf(meta);
    }
  }

  record Invalid(String reason) implements Settings {}
}

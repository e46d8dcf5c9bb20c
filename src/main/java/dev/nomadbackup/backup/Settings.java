package dev.nomadbackup.backup;

import java.util.Map;

/** What a job's meta asks for: no backup, a backup with these settings, or something unreadable. */
sealed interface Settings {
  record OptedOut(String why) implements Settings {}

  /**
   * @param where the meta block the settings came from: {@code job}, or a group or task
   * @param meta every {@code backup-*} key of that block, for the template's {@code .Meta}
   */
  record OptedIn(String schedule, String targetDb, Map<String, String> meta, String where)
      implements Settings {
    public OptedIn {
      meta = Map.copyOf(meta);
    }
  }

  record Invalid(String reason) implements Settings {}
}

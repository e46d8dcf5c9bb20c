package dev.nomadbackup.backup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nomadbackup.nomad.NomadJob;
import dev.nomadbackup.nomad.NomadJob.PlacedMeta;
import dev.nomadbackup.testing.NomadJobBuilder;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class MetaSettingsTest {

  static NomadJob job(Map<String, String> meta, PlacedMeta... inner) {
    return NomadJobBuilder.job("app").datacenters("dc1").region(Optional.of("global")).meta(meta)
        .innerMeta(List.of(inner)).build();
  }

  @Test
  void optsInWithScheduleTargetAndEveryBackupKey() {
    Settings s = MetaSettings.read(job(Map.of(
        "auto-backup", "true", "backup-schedule", "@daily", "backup-target-db", "postgres",
        "backup-retention", "7", "team", "web", "backup-operator-managed", "true")));
    Settings.OptedIn in = assertInstanceOf(Settings.OptedIn.class, s);
    assertEquals("@daily", in.schedule());
    assertEquals("postgres", in.targetDb());
    assertEquals("job", in.where());
    assertEquals(Map.of("auto-backup", "true", "backup-schedule", "@daily", "backup-target-db", "postgres",
        "backup-retention", "7"), in.meta());
  }

  @Test
  void acceptsWhatGoParseBoolAccepts() {
    for (String yes : new String[] {"1", "t", "T", "TRUE", "true", "True"}) {
      assertInstanceOf(Settings.OptedIn.class,
          MetaSettings.read(job(Map.of("auto-backup", yes, "backup-schedule", "@daily"))), yes);
    }
    for (String no : new String[] {"0", "f", "F", "FALSE", "false", "False"}) {
      assertInstanceOf(Settings.OptedOut.class,
          MetaSettings.read(job(Map.of("auto-backup", no, "backup-schedule", "@daily"))), no);
    }
  }

  @Test
  void yesIsNotABoolean() {
    Settings.Invalid s = assertInstanceOf(Settings.Invalid.class,
        MetaSettings.read(job(Map.of("auto-backup", "yes", "backup-schedule", "@daily"))));
    assertTrue(s.reason().contains("\"yes\" is not a boolean"));
  }

  @Test
  void scheduleIsRequiredWhenEnabled() {
    Settings.Invalid s = assertInstanceOf(Settings.Invalid.class,
        MetaSettings.read(job(Map.of("auto-backup", "true", "backup-schedule", " "))));
    assertTrue(s.reason().contains("backup-schedule is required"));
  }

  @Test
  void noBackupKeysMeansOptedOut() {
    assertInstanceOf(Settings.OptedOut.class, MetaSettings.read(job(Map.of("team", "web"))));
    assertInstanceOf(Settings.OptedOut.class, MetaSettings.read(job(Map.of("backup-schedule", "@daily"))));
  }

  @Test
  void settingsInExactlyOneTaskCount() {
    Settings s = MetaSettings.read(job(Map.of(),
        new PlacedMeta("group \"db\"", Map.of("size", "l")),
        new PlacedMeta("task \"db/server\"", Map.of("auto-backup", "true", "backup-schedule", "@hourly"))));
    Settings.OptedIn in = assertInstanceOf(Settings.OptedIn.class, s);
    assertEquals("@hourly", in.schedule());
    assertEquals("task \"db/server\"", in.where());
  }

  @Test
  void disagreeingPlacesAreNamedAndNothingHappens() {
    Settings s = MetaSettings.read(job(Map.of(),
        new PlacedMeta("task \"db/a\"", Map.of("auto-backup", "true", "backup-schedule", "@hourly")),
        new PlacedMeta("task \"db/b\"", Map.of("auto-backup", "true", "backup-schedule", "@daily"))));
    Settings.Invalid invalid = assertInstanceOf(Settings.Invalid.class, s);
    assertTrue(invalid.reason().contains("task \"db/a\"") && invalid.reason().contains("task \"db/b\""));
  }

  @Test
  void jobMetaWinsOverInnerMeta() {
    Settings s = MetaSettings.read(job(Map.of("auto-backup", "false"),
        new PlacedMeta("task \"db/a\"", Map.of("auto-backup", "true", "backup-schedule", "@hourly"))));
    assertInstanceOf(Settings.OptedOut.class, s);
  }

  @Test
  void settingsSplitBetweenTheJobAndATaskAreAnErrorThatNamesBoth() {
    Settings s = MetaSettings.read(job(Map.of("backup-pg-host", "db.internal"),
        new PlacedMeta("task \"app/db\"", Map.of("auto-backup", "true", "backup-schedule", "@daily"))));
    Settings.Invalid invalid = assertInstanceOf(Settings.Invalid.class, s);
    assertTrue(invalid.reason().contains("task \"app/db\"") && invalid.reason().contains("backup-pg-host"),
        invalid.reason());
  }

  @Test
  void theControlsAreReadAndCheckedAndTheKindDefaultsToPostgres() {
    Settings.OptedIn in = assertInstanceOf(Settings.OptedIn.class, MetaSettings.read(job(Map.of(
        "auto-backup", "true", "backup-schedule", "@daily", "backup-suspend", "true", "backup-immediate", "1",
        "backup-keep", "3"))));
    assertTrue(in.suspended() && in.immediate());
    assertEquals("postgres", in.kind());
    assertEquals("mariadb", ((Settings.OptedIn) MetaSettings.read(job(Map.of("auto-backup", "true",
        "backup-schedule", "@daily", "backup-template", "mariadb")))).kind());
    for (String keep : List.of("0", "-1", "seven", "100000")) {
      assertInstanceOf(Settings.Invalid.class, MetaSettings.read(job(Map.of("auto-backup", "true",
          "backup-schedule", "@daily", "backup-keep", keep))), keep);
    }
    assertInstanceOf(Settings.Invalid.class, MetaSettings.read(job(Map.of("auto-backup", "true",
        "backup-schedule", "@daily", "backup-suspend", "maybe"))));
  }
}

package dev.nomadbackup.status;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class ScheduleTest {
  private static final Instant NOON = Instant.parse("2026-12-01T12:00:00Z");

  @Test
  void readsNomadsThreeLengthsAndItsShortcuts() {
    assertEquals("0 0 0 * * * *", Schedule.sevenFields("@daily"));
    assertEquals("0 30 3 * * * *", Schedule.sevenFields("30 3 * * *"));
    assertEquals("0 30 3 * * * 2027", Schedule.sevenFields("30 3 * * * 2027"));
    assertEquals("15 30 3 * * * *", Schedule.sevenFields("15 30 3 * * * *"));
  }

  @Test
  void theNextDailyRunIsAtMidnightInItsTimeZone() {
    assertEquals(Instant.parse("2026-12-02T00:00:00Z"), Schedule.parse("@daily", "").orElseThrow().next(NOON).orElseThrow());
    assertEquals(Instant.parse("2026-12-01T23:00:00Z"),
        Schedule.parse("@daily", "Europe/Berlin").orElseThrow().next(NOON).orElseThrow());
    assertEquals(Instant.parse("2026-12-01T12:05:00Z"),
        Schedule.parse("*/5 * * * *", "UTC").orElseThrow().next(NOON).orElseThrow());
  }

  @Test
  void theIntervalIsTheLongestGap() {
    assertEquals(Duration.ofDays(1), Schedule.parse("@daily", "").orElseThrow().interval(NOON).orElseThrow());
    assertEquals(Duration.ofHours(1), Schedule.parse("@hourly", "").orElseThrow().interval(NOON).orElseThrow());
    // weekdays only: the weekend is the longest gap
    assertEquals(Duration.ofDays(3), Schedule.parse("0 3 * * 1-5", "").orElseThrow().interval(NOON).orElseThrow());
  }

  @Test
  void aSpecItCannotReadIsEmptyNotAnError() {
    assertTrue(Schedule.parse("every night", "").isEmpty());
    assertTrue(Schedule.parse("@daily", "Mars/Olympus").isEmpty());
  }
}

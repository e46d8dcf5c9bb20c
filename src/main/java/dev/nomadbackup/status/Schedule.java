package dev.nomadbackup.status;

import com.cronutils.model.definition.CronDefinition;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * A backup job's schedule as Nomad reads it: a cron spec of 5 fields (minute to day of week), 6
 * (then the last is the year) or 7 (seconds first, year last), or a shortcut such as {@code @daily},
 * in a time zone. It tells when the next run is due and how long a gap between runs can be.
 */
public final class Schedule {
  private static final Map<String, String> SHORTCUTS = Map.of(
      "@yearly", "0 0 1 1 *", "@annually", "0 0 1 1 *", "@monthly", "0 0 1 * *",
      "@weekly", "0 0 * * 0", "@daily", "0 0 * * *", "@hourly", "0 * * * *");
  /** Seconds, minutes, hours, day of month, month, day of week, year: cronexpr's longest form. */
  private static final CronDefinition NOMAD = CronDefinitionBuilder.defineCron()
      .withSeconds().and()
      .withMinutes().and()
      .withHours().and()
      .withDayOfMonth().supportsL().supportsW().supportsLW().supportsQuestionMark().and()
      .withMonth().and()
      .withDayOfWeek().withValidRange(0, 7).withMondayDoWValue(1).withIntMapping(7, 0)
          .supportsHash().supportsL().supportsQuestionMark().and()
      .withYear().withValidRange(1970, 2099).and()
      .instance();
  private static final CronParser PARSER = new CronParser(NOMAD);
  /** Launches looked at to find the longest gap of an irregular schedule. */
  private static final int GAPS = 8;

  private final String spec;
  private final ZoneId zone;
  private final ExecutionTime times;

  private Schedule(String spec, ZoneId zone, ExecutionTime times) {
    this.spec = spec;
    this.zone = zone;
    this.times = times;
  }

  /** The schedule of {@code spec} in {@code timeZone} (empty: UTC); empty when it cannot be read. */
  public static Optional<Schedule> parse(String spec, String timeZone) {
    try {
      ZoneId zone = timeZone == null || timeZone.isBlank() ? ZoneId.of("UTC") : ZoneId.of(timeZone);
      return Optional.of(new Schedule(spec, zone, ExecutionTime.forCron(PARSER.parse(sevenFields(spec)))));
    } catch (RuntimeException e) {
      return Optional.empty(); // Nomad validated it; one we cannot read only costs the next-run column
    }
  }

  static String sevenFields(String spec) {
    String s = spec.trim();
    String expanded = SHORTCUTS.getOrDefault(s.toLowerCase(Locale.ROOT), s);
    String[] fields = expanded.split("\\s+");
    return switch (fields.length) {
      case 5 -> "0 " + expanded + " *";
      case 6 -> "0 " + expanded;
      default -> expanded;
    };
  }

  public String spec() {
    return spec;
  }

  /** The first launch after {@code after}. */
  public Optional<Instant> next(Instant after) {
    return times.nextExecution(ZonedDateTime.ofInstant(after, zone)).map(ZonedDateTime::toInstant);
  }

  /** The longest gap between launches over the next few, from {@code from}: what "on time" allows. */
  public Optional<Duration> interval(Instant from) {
    Optional<Instant> previous = next(from);
    Duration longest = Duration.ZERO;
    for (int i = 0; i < GAPS && previous.isPresent(); i++) {
      Optional<Instant> following = next(previous.get());
      if (following.isEmpty()) {
        break;
      }
      Duration gap = Duration.between(previous.get(), following.get());
      longest = gap.compareTo(longest) > 0 ? gap : longest;
      previous = following;
    }
    return longest.isZero() ? Optional.empty() : Optional.of(longest);
  }
}

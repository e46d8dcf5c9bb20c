package dev.nomadbackup.config;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Durations written the way Nomad and Go write them: {@code 500ms}, {@code 30s}, {@code 10m}, {@code 1h30m}. */
public final class GoDuration {
  private static final Pattern PART = Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|s|m|h)");

  private GoDuration() {}

  /** The shortest way to write {@code d} in the same notation, e.g. {@code 10m} or {@code 1h30m}. */
  public static String format(Duration d) {
    if (d.isZero()) {
      return "0s";
    }
    StringBuilder b = new StringBuilder();
    if (d.toHours() > 0) {
      b.append(d.toHours()).append('h');
    }
    if (d.toMinutesPart() > 0) {
      b.append(d.toMinutesPart()).append('m');
    }
    if (d.toSecondsPart() > 0) {
      b.append(d.toSecondsPart()).append('s');
    }
    if (d.toMillisPart() > 0) {
      b.append(d.toMillisPart()).append("ms");
    }
    return b.toString();
  }

  static Duration parse(String name, String text) {
    String trimmed = text.trim();
    Matcher m = PART.matcher(trimmed);
    Duration total = Duration.ZERO;
    int end = 0;
    while (m.find() && m.start() == end) {
      double amount = Double.parseDouble(m.group(1));
      long millisPerUnit =
          switch (m.group(2)) {
            case "ms" -> 1;
            case "s" -> 1_000;
            case "m" -> 60_000;
            default -> 3_600_000;
          };
      total = total.plusMillis(Math.round(amount * millisPerUnit));
      end = m.end();
    }
    if (trimmed.isEmpty() || end != trimmed.length()) {
      throw new ConfigException(
          name + "=" + text + " is not a duration; write it like 500ms, 30s, 10m or 1h30m");
    }
    return total;
  }
}

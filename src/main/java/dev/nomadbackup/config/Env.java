package dev.nomadbackup.config;

import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/** Typed reads of environment variables, failing with the variable's name. */
final class Env {
  private final Map<String, String> values;

  Env(Map<String, String> values) {
    this.values = values;
  }

  /** The value, or empty when unset or blank. */
  Optional<String> get(String name) {
    String v = values.get(name);
    return v == null || v.isBlank() ? Optional.empty() : Optional.of(v.trim());
  }

  boolean flag(String name, boolean fallback) {
    return get(name).map(v -> parseBool(name, v)).orElse(fallback);
  }

  int positiveInt(String name, int fallback) {
    return get(name)
        .map(
            v -> {
              try {
                int n = Integer.parseInt(v);
                if (n > 0) {
                  return n;
                }
              } catch (NumberFormatException ignored) {
                // reported below with the variable's name
              }
              throw new ConfigException(name + "=" + v + " must be a whole number above 0");
            })
        .orElse(fallback);
  }

  private static boolean parseBool(String name, String v) {
    return switch (v.toLowerCase(Locale.ROOT)) {
      case "1", "t", "true", "yes", "on" -> true;
      case "0", "f", "false", "no", "off" -> false;
      default -> throw new ConfigException(name + "=" + v + " must be true or false");
    };
  }
}

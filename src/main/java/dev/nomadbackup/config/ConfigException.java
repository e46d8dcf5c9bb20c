package dev.nomadbackup.config;

/** A setting is missing or malformed; the message names the variable and what is wrong with it. */
public final class ConfigException extends RuntimeException {
  public ConfigException(String message) {
    super(message);
  }
}

package dev.nomadbackup.backup.template;

import java.util.Optional;

/**
 * A template that cannot be parsed, or cannot be rendered with the given values.
 *
 * <p>For an error at a spot in the template, the message starts with
 * {@code source:line:column: } of that spot (the placeholder, for placeholder errors) followed
 * by the reason. An error about the template as a whole (no spot to point at) carries its
 * message as given, which should name the template's source.
 */
public final class TemplateException extends Exception {

  private final transient Location location;

  TemplateException(Location location, String reason) {
    super(location + ": " + reason);
    this.location = location;
  }

  /** An error about the template as a whole, e.g. Nomad refusing its rendered sample. */
  TemplateException(String message) {
    super(message);
    this.location = null;
  }

  Optional<Location> location() {
    return Optional.ofNullable(location);
  }
}

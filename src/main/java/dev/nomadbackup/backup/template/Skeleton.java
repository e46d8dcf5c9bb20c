package dev.nomadbackup.backup.template;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A rendering in which some values are stand-ins: {@code hcl} is the template rendered with
 * {@code values.get(i)} written as {@code sentinels.get(i)}, every other value as it is. Only a
 * value that is a whole placeholder's value in a quoted string, or one list element, is ever
 * replaced; what HCL makes of the text around it is the same as in the real rendering.
 */
public record Skeleton(String hcl, List<String> sentinels, List<String> values) {

  public Skeleton {
    sentinels = List.copyOf(sentinels);
    values = List.copyOf(values);
    if (sentinels.size() != values.size()) {
      throw new IllegalArgumentException(sentinels.size() + " sentinels for " + values.size() + " values");
    }
  }

  /** Chooses the sentinel of the {@code index}th value replaced, or none for a value written as it is. */
  @FunctionalInterface
  public interface Sentinels {
    Optional<String> sentinel(int index, String value);
  }

  /** Collects the values replaced while one skeleton is rendered. */
  static final class Builder {
    private final Sentinels choice;
    private final List<String> sentinels = new ArrayList<>();
    private final List<String> values = new ArrayList<>();

    Builder(Sentinels choice) {
      this.choice = choice;
    }

    /** What to write for {@code value}: its sentinel, or the value itself. */
    String stand(String value) {
      Optional<String> sentinel = choice.sentinel(sentinels.size(), value);
      if (sentinel.isEmpty()) {
        return value;
      }
      sentinels.add(sentinel.get());
      values.add(value);
      return sentinel.get();
    }

    Skeleton build(String hcl) {
      return new Skeleton(hcl, sentinels, values);
    }
  }
}

package dev.nomadbackup.nomad;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What the operator reads of one allocation of a run: where it stands and how each task ended.
 *
 * @param clientStatus Nomad's {@code ClientStatus}: pending, running, complete, failed or lost
 */
public record Allocation(String id, String clientStatus, Instant created, Instant modified, List<TaskEnd> tasks) {
  public Allocation {
    tasks = List.copyOf(tasks);
  }

  /**
   * One task's state.
   *
   * @param lastEvent the display message of its last event, e.g. {@code Exit Code: 1}
   * @param exitCode the exit code its last terminating event reported
   */
  public record TaskEnd(String name, String state, boolean failed, Optional<Instant> started, Optional<Instant> finished,
      String lastEvent, Optional<Integer> exitCode) {}

  static Allocation fromJson(JsonNode alloc) {
    List<TaskEnd> tasks = new ArrayList<>();
    alloc.path("TaskStates").properties().forEach(e -> {
      JsonNode state = e.getValue();
      String lastEvent = "";
      Optional<Integer> exitCode = Optional.empty();
      for (JsonNode event : state.path("Events")) {
        String message = event.path("DisplayMessage").asText("");
        if (!message.isEmpty()) {
          lastEvent = message;
        }
        String code = event.path("Details").path("exit_code").asText("");
        if (!code.isEmpty()) {
          try {
            exitCode = Optional.of(Integer.parseInt(code));
          } catch (NumberFormatException ignored) {
            // not a number: Nomad says nothing usable about the exit, keep what came before
          }
        }
      }
      tasks.add(new TaskEnd(e.getKey(), state.path("State").asText(""), state.path("Failed").asBoolean(false),
          time(state.path("StartedAt")), time(state.path("FinishedAt")), lastEvent, exitCode));
    });
    return new Allocation(alloc.path("ID").asText(), alloc.path("ClientStatus").asText(""),
        nanos(alloc.path("CreateTime")), nanos(alloc.path("ModifyTime")), tasks);
  }

  private static Instant nanos(JsonNode n) {
    long v = n.asLong(0);
    return Instant.ofEpochSecond(v / 1_000_000_000L, v % 1_000_000_000L);
  }

  /** An RFC 3339 time; Nomad writes the zero time for "never". */
  private static Optional<Instant> time(JsonNode n) {
    String text = n.asText("");
    if (text.isEmpty() || text.startsWith("0001-")) {
      return Optional.empty();
    }
    try {
      return Optional.of(Instant.parse(text));
    } catch (DateTimeParseException e) {
      return Optional.empty(); // not a time this reader knows: leave it out rather than guess
    }
  }
}

package dev.nomadbackup.nomad;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Reads the newline-delimited JSON of {@code /v1/event/stream}. Keeps the events of topic {@code
 * Job} whose type says a job was registered or deregistered; every event of a line is looked at,
 * whatever the ones before it were.
 */
public final class EventStreamParser {
  /** The event types that can change whether a backup job should exist. */
  public static final Set<String> KEPT_TYPES =
      Set.of("JobRegistered", "JobDeregistered", "JobBatchDeregistered");

  private final ObjectMapper json;

  public EventStreamParser(ObjectMapper json) {
    this.json = json;
  }

  /** Parses one line; a line that is not JSON at all is a {@link MalformedEventException}. */
  public EventBatch parse(String line) throws MalformedEventException {
    JsonNode root;
    try {
      root = json.readTree(line);
    } catch (JsonProcessingException e) {
      throw new MalformedEventException("event stream line is not JSON: " + e.getOriginalMessage(), line);
    }
    if (root == null || !root.isObject()) {
      throw new MalformedEventException("event stream line is not a JSON object", line);
    }
    long index = root.path("Index").asLong(0);
    List<JobEvent> kept = new ArrayList<>();
    List<String> problems = new ArrayList<>();
    JsonNode events = root.path("Events");
    if (!events.isMissingNode() && !events.isArray()) {
      problems.add("Events is not a list at index " + index);
      return new EventBatch(index, kept, problems);
    }
    for (JsonNode event : events) {
      String topic = event.path("Topic").asText("");
      String type = event.path("Type").asText("");
      if (!"Job".equals(topic) || !KEPT_TYPES.contains(type)) {
        continue; // status updates, evaluations, allocations: not ours to act on
      }
      JsonNode payloadJob = event.path("Payload").path("Job");
      String namespace = event.path("Namespace").asText("");
      String id = event.path("Key").asText("");
      if (namespace.isEmpty()) {
        namespace = payloadJob.path("Namespace").asText("default");
      }
      if (id.isEmpty()) {
        id = payloadJob.path("ID").asText("");
      }
      if (id.isEmpty()) {
        problems.add(type + " event at index " + index + " names no job");
        continue;
      }
      Optional<NomadJob> job =
          payloadJob.isObject() ? Optional.of(NomadJob.fromJson(payloadJob)) : Optional.empty();
      if (job.isEmpty()) {
        problems.add(type + " event for " + id + " at index " + index + " carries no job payload");
      }
      kept.add(new JobEvent(type, new JobKey(namespace, id), event.path("Index").asLong(index), job));
    }
    return new EventBatch(index, kept, problems);
  }
}

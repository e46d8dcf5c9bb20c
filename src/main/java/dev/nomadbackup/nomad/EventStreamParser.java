package dev.nomadbackup.nomad;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Reads the newline-delimited JSON of {@code /v1/event/stream}. Keeps the events of topic {@code
 * Job} whose type says a job was registered or deregistered; every event of a line is looked at,
 * whatever the ones before it were. An event that cannot be read is reported in the batch's
 * problems and skipped; it never costs the events after it. Instances are thread-safe.
 */
public final class EventStreamParser {
  /** The event types that can change whether a backup job should exist. */
  public static final Set<String> KEPT_TYPES =
      Set.of("JobRegistered", "JobDeregistered", "JobBatchDeregistered");

  /**
   * The other event types Nomad 1.11 defines. On the Job topic they report a job's status changing
   * (an evaluation, an allocation, a plan, a deployment), which never decides a backup; they are
   * kept only for runs (jobs with a parent), whose status is what run tracking follows.
   */
  static final Set<String> KNOWN_TYPES_NOT_KEPT =
      Set.of(
          "EvaluationUpdated", "AllocationCreated", "AllocationUpdated", "AllocationUpdateDesiredStatus",
          "PlanResult", "DeploymentStatusUpdate", "DeploymentPromotion", "DeploymentAllocHealth",
          "NodeRegistration", "NodeDeregistration", "NodeEligibility", "NodeDrain", "NodeStreamEvent",
          "NodePoolUpserted", "NodePoolDeleted", "ACLTokenDeleted", "ACLTokenUpserted",
          "ACLPolicyDeleted", "ACLPolicyUpserted", "ACLRoleDeleted", "ACLRoleUpserted",
          "ACLAuthMethodUpserted", "ACLAuthMethodDeleted", "ACLBindingRuleUpserted",
          "ACLBindingRuleDeleted", "ServiceRegistration", "ServiceDeregistration",
          "HostVolumeRegistered", "HostVolumeDeleted", "CSIVolumeRegistered", "CSIVolumeDeregistered",
          "CSIVolumeClaim", "UtilizationSnapshotUpserted");

  private final ObjectMapper json;
  // unknown types already reported: a newer Nomad's new type is told once, not on every event
  private final Set<String> reportedTypes = ConcurrentHashMap.newKeySet();

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
    int position = 0;
    for (JsonNode event : events) {
      position++;
      if (!event.isObject()) {
        problems.add("event " + position + " at index " + index + " is not a JSON object");
        continue;
      }
      String topic = event.path("Topic").asText("");
      String type = event.path("Type").asText("");
      if (!"Job".equals(topic)) {
        continue; // topic=Job:* asks for nothing else; a stray one is not ours to act on
      }
      JsonNode payloadJob = event.path("Payload").path("Job");
      if (!KEPT_TYPES.contains(type)) {
        if (!KNOWN_TYPES_NOT_KEPT.contains(type) && reportedTypes.add(type)) {
          problems.add("unknown event type \"" + type + "\" (job " + event.path("Key").asText("?")
              + ", index " + index + ") skipped; later events of this type are skipped silently");
        }
        if (!KNOWN_TYPES_NOT_KEPT.contains(type) || nonBlank(payloadJob.path("ParentID")).isEmpty()) {
          continue; // a status update of a job that is not a run: not ours to act on
        }
      }
      String namespace = nonBlank(event.path("Namespace"))
          .or(() -> nonBlank(payloadJob.path("Namespace")))
          .orElse("default");
      Optional<String> id = nonBlank(event.path("Key")).or(() -> nonBlank(payloadJob.path("ID")));
      if (id.isEmpty()) {
        problems.add(type + " event at index " + index + " names no job");
        continue;
      }
      Optional<NomadJob> job = Optional.empty();
      if (payloadJob.isObject()) {
        try {
          job = Optional.of(NomadJob.fromJson(payloadJob));
        } catch (RuntimeException e) {
          problems.add(type + " event for " + id.get() + " at index " + index
              + " has a job payload that cannot be read (" + e.getMessage() + "); the job is read from Nomad");
        }
      } else {
        problems.add(type + " event for " + id.get() + " at index " + index + " carries no job payload");
      }
      kept.add(new JobEvent(type, new JobKey(namespace, id.get()), event.path("Index").asLong(index), job));
    }
    return new EventBatch(index, kept, problems);
  }

  private static Optional<String> nonBlank(JsonNode node) {
    return node.isValueNode() && !node.isNull() && !node.asText().isBlank()
        ? Optional.of(node.asText())
        : Optional.empty();
  }
}

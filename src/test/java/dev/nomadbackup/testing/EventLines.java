package dev.nomadbackup.testing;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;

/** Lines of Nomad's Job event stream, as {@code /v1/event/stream} sends them, for fake connections. */
public final class EventLines {
  private static final ObjectMapper JSON = new ObjectMapper();

  private EventLines() {}

  /** A batch with one {@code JobRegistered} event for a service job of {@code namespace}. */
  public static String registered(long index, String namespace, String id, Map<String, String> meta) {
    return batch(index, event(index, "JobRegistered", namespace, id, meta));
  }

  /** A batch with one {@code JobDeregistered} event. */
  public static String deregistered(long index, String namespace, String id) {
    return batch(index, event(index, "JobDeregistered", namespace, id, Map.of()));
  }

  /** A batch of several events (see {@link #event}). */
  public static String batch(long index, ObjectNode... events) {
    ObjectNode line = JSON.createObjectNode();
    line.put("Index", index);
    ArrayNode list = line.putArray("Events");
    for (ObjectNode e : events) {
      list.add(e);
    }
    return line.toString();
  }

  /** One event of topic Job whose payload is the job as Nomad would carry it. */
  public static ObjectNode event(long index, String type, String namespace, String id, Map<String, String> meta) {
    ObjectNode job = FakeNomad.service(namespace, id, meta);
    job.put("Status", "JobRegistered".equals(type) ? "pending" : "dead");
    job.put("Stop", !"JobRegistered".equals(type));
    job.put("JobModifyIndex", index);
    job.put("ModifyIndex", index);
    ObjectNode event = JSON.createObjectNode();
    event.put("Topic", "Job");
    event.put("Type", type);
    event.put("Key", id);
    event.put("Namespace", namespace);
    event.put("Index", index);
    event.putObject("Payload").set("Job", job);
    return event;
  }
}

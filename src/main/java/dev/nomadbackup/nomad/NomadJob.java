package dev.nomadbackup.nomad;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What the operator needs to know of a Nomad job, read from the JSON Nomad returns for a job, for
 * a job list stub (which has no groups and no region) or for an event's payload.
 *
 * @param innerMeta the meta of each group and task that declares one, in spec order
 * @param modifyIndex the Raft index of the job's last change, its status included
 * @param version the job's {@code Version}, which Nomad raises with every change of its spec (and
 *     never for a change of status); -1 when unknown, as for a job list stub, which has none
 * @param complete false for a job list stub: {@code innerMeta} and {@code region} are then unknown
 *     (empty), not absent
 */
public record NomadJob(
    String namespace,
    String id,
    Optional<String> parentId,
    String type,
    boolean stopped,
    String status,
    List<String> datacenters,
    Optional<String> region,
    Map<String, String> meta,
    List<PlacedMeta> innerMeta,
    long jobModifyIndex,
    long modifyIndex,
    long version,
    boolean complete) {

  /** The meta block of one group ({@code group "db"}) or task ({@code task "db/server"}). */
  public record PlacedMeta(String place, Map<String, String> meta) {
    public PlacedMeta {
      meta = Map.copyOf(meta);
    }
  }

  public NomadJob {
    datacenters = List.copyOf(datacenters);
    meta = Map.copyOf(meta);
    innerMeta = List.copyOf(innerMeta);
  }

  /** This job as registered at {@code index}: what a successful registration makes of it. */
  public NomadJob registeredAt(long index) {
    return new NomadJob(namespace, id, parentId, type, stopped, status, datacenters, region, meta,
        innerMeta, index, index, version, complete);
  }

  /** This complete job with the status and modify index of {@code newer}, a stub of the same version. */
  public NomadJob withStatusOf(NomadJob newer) {
    return new NomadJob(namespace, id, parentId, type, newer.stopped, newer.status, datacenters, region,
        meta, innerMeta, jobModifyIndex, newer.modifyIndex, version, complete);
  }

  /** This job, a stub of the same spec as a job of version {@code version}, with that version. */
  public NomadJob withVersion(long version) {
    return new NomadJob(namespace, id, parentId, type, stopped, status, datacenters, region, meta,
        innerMeta, jobModifyIndex, modifyIndex, version, complete);
  }

  public static NomadJob fromJson(JsonNode job) {
    List<PlacedMeta> inner = new ArrayList<>();
    for (JsonNode group : job.path("TaskGroups")) {
      String groupName = group.path("Name").asText();
      addMeta(inner, "group \"" + groupName + "\"", group.path("Meta"));
      for (JsonNode task : group.path("Tasks")) {
        addMeta(inner, "task \"" + groupName + "/" + task.path("Name").asText() + "\"", task.path("Meta"));
      }
    }
    List<String> datacenters = new ArrayList<>();
    job.path("Datacenters").forEach(dc -> datacenters.add(dc.asText()));
    return new NomadJob(
        text(job, "Namespace").orElse("default"),
        job.path("ID").asText(),
        text(job, "ParentID"),
        job.path("Type").asText("service"),
        job.path("Stop").asBoolean(false),
        job.path("Status").asText(""),
        datacenters,
        text(job, "Region"),
        strings(job.path("Meta")),
        inner,
        job.path("JobModifyIndex").asLong(0),
        Math.max(job.path("ModifyIndex").asLong(0), job.path("JobModifyIndex").asLong(0)),
        job.path("Version").isNumber() ? job.path("Version").asLong() : -1,
        job.has("TaskGroups"));
  }

  private static void addMeta(List<PlacedMeta> into, String place, JsonNode meta) {
    Map<String, String> values = strings(meta);
    if (!values.isEmpty()) {
      into.add(new PlacedMeta(place, values));
    }
  }

  private static Optional<String> text(JsonNode node, String field) {
    JsonNode v = node.get(field);
    return v == null || v.isNull() || v.asText().isEmpty() ? Optional.empty() : Optional.of(v.asText());
  }

  static Map<String, String> strings(JsonNode object) {
    Map<String, String> out = new LinkedHashMap<>();
    object.properties().forEach(e -> out.put(e.getKey(), e.getValue().isNull() ? "" : e.getValue().asText()));
    return out;
  }
}

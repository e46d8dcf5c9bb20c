package dev.nomadbackup.testing;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;
import java.util.TreeMap;

/** What the operator has made, read from Nomad: its backup jobs, by the job each one backs up. */
public final class Backups {
  private Backups() {}

  /**
   * The backup jobs (not the restore jobs, nor runs) in {@code namespace} that carry the operator's ownership meta and back up a job
   * whose ID starts with {@code prefix}, keyed by that job's ID. Stopped ones included.
   */
  public static Map<String, JsonNode> managed(TestNomad nomad, String namespace, String prefix) {
    Map<String, JsonNode> found = new TreeMap<>();
    for (JsonNode stub : nomad.jobs(namespace)) {
      JsonNode meta = stub.path("Meta");
      String source = meta.path("backup-operator-source").asText("");
      if ("true".equals(meta.path("backup-operator-managed").asText()) && source.startsWith(prefix)
          && !stub.path("ID").asText().startsWith("restore-") && stub.path("ParentID").asText("").isEmpty()) {
        found.put(source, stub);
      }
    }
    return found;
  }

  /** The live (not stopped) ones of {@link #managed}. */
  public static Map<String, JsonNode> running(TestNomad nomad, String namespace, String prefix) {
    Map<String, JsonNode> all = managed(nomad, namespace, prefix);
    all.values().removeIf(stub -> stub.path("Stop").asBoolean());
    return all;
  }
}

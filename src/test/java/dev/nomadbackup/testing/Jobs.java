package dev.nomadbackup.testing;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

/** Job specs for tests, written as a user would write them. */
public final class Jobs {
  private Jobs() {}

  /** A unique job ID, so tests sharing one agent never see each other's jobs. */
  public static String uniqueId(String prefix) {
    return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
  }

  /** The opt-in meta of the article's example. */
  public static Map<String, String> optIn(String schedule) {
    Map<String, String> meta = new LinkedHashMap<>();
    meta.put("auto-backup", "true");
    meta.put("backup-schedule", schedule);
    meta.put("backup-target-db", "postgres");
    return meta;
  }

  public static String service(String id, Map<String, String> meta) {
    return service(id, meta, "[\"dc1\"]");
  }

  /**
   * A service job. Deployments are off ({@code max_parallel = 0}): Nomad 1.11.3's plan applier
   * panics on a nil job when a service job with a running deployment is purged at the wrong moment,
   * which would take the shared test agent down; no test here needs a deployment.
   */
  public static String service(String id, Map<String, String> meta, String datacenters) {
    return """
        job "%s" {
          datacenters = %s
          meta {
        %s  }
          group "app" {
            update {
              max_parallel = 0
            }
            task "app" {
              driver = "docker"
              config {
                image = "redis:7"
              }
            }
          }
        }
        """.formatted(id, datacenters, metaBlock(meta, "    "));
  }

  /** A periodic batch job; its children carry its meta, as Nomad copies it. */
  public static String periodic(String id, Map<String, String> meta) {
    return """
        job "%s" {
          datacenters = ["dc1"]
          type = "batch"
          periodic {
            crons = ["0 3 * * *"]
          }
          meta {
        %s  }
          group "app" {
            task "app" {
              driver = "docker"
              config {
                image = "busybox:1"
                command = "true"
              }
            }
          }
        }
        """.formatted(id, metaBlock(meta, "    "));
  }

  static String metaBlock(Map<String, String> meta, String indent) {
    StringBuilder b = new StringBuilder();
    meta.forEach((k, v) -> b.append(indent).append(k).append(" = \"").append(v).append("\"\n"));
    return b.toString();
  }

  /** The first cron spec of a periodic job, from {@code Specs} or the older {@code Spec}. */
  public static String cronOf(JsonNode job) {
    JsonNode periodic = job.path("Periodic");
    if (periodic.path("Specs").isArray() && periodic.path("Specs").size() > 0) {
      return periodic.path("Specs").get(0).asText();
    }
    return periodic.path("Spec").asText();
  }

  /** The text values of a JSON array. */
  public static java.util.List<String> strings(JsonNode array) {
    java.util.List<String> out = new java.util.ArrayList<>();
    array.forEach(v -> out.add(v.asText()));
    return out;
  }
}

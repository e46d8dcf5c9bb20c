package dev.nomadbackup.testing;

import static dev.nomadbackup.testing.Waits.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.Map;

/**
 * What the operator made for one source job, read back from Nomad: its backup job and its restore
 * job, exactly as registered, for a test to run (through {@link RawExecCopy}).
 */
public record OperatorMade(JsonNode backup, JsonNode restore) {

  /**
   * Runs an operator, registers the periodic source job {@code id} with {@code meta}, waits until
   * the operator has done what that asked, and returns the backup and restore jobs it keeps.
   */
  public static OperatorMade forSource(NomadAgent agent, String namespace, String id, Map<String, String> meta)
      throws Exception {
    TestNomad nomad = agent.api();
    String key = "default".equals(namespace) ? id : namespace + "/" + id;
    try (OperatorRun operator = OperatorRun.start(agent, Map.of())) {
      long before = nomad.job(namespace, id).map(j -> j.path("JobModifyIndex").asLong()).orElse(-1L);
      nomad.run(namespace, Jobs.periodic(id, meta));
      long after = nomad.job(namespace, id).orElseThrow().path("JobModifyIndex").asLong();
      if (after != before) {
        // a new version of the source: its event's work ends with a Done line
        eventually(() -> assertTrue(operator.log.contains("--> Done: " + key + " ("), "the operator saw " + key));
      } // else Nomad kept the version it had, which the operator's start already took care of
      assertTrue(operator.idle(Duration.ofSeconds(30)), "the operator settled");
    }
    JsonNode backup = nomad.job(namespace, "backup-" + id).orElseThrow();
    JsonNode restore = nomad.job(namespace, "restore-" + id).orElseThrow();
    for (JsonNode job : new JsonNode[] {backup, restore}) {
      assertEquals("true", job.path("Meta").path("backup-operator-managed").asText(), job.toString());
      assertEquals(id, job.path("Meta").path("backup-operator-source").asText(), job.toString());
    }
    return new OperatorMade(backup, restore);
  }
}

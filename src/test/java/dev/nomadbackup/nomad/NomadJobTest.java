package dev.nomadbackup.nomad;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.nomadbackup.testing.NomadJobBuilder;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class NomadJobTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void aListStubIsNotCompleteAndKeepsItsModifyIndex() throws Exception {
    NomadJob stub = NomadJob.fromJson(JSON.readTree(
        """
        {"ID": "db", "Namespace": "default", "Type": "service", "Status": "pending", "Stop": false,
         "Datacenters": ["dc1"], "Meta": {"auto-backup": "true"}, "JobModifyIndex": 10, "ModifyIndex": 14}
        """));
    assertFalse(stub.complete());
    assertEquals(Optional.empty(), stub.region());
    assertEquals(10, stub.jobModifyIndex());
    assertEquals(14, stub.modifyIndex());
  }

  @Test
  void aFullJobIsCompleteWithItsGroupsMeta() throws Exception {
    NomadJob job = NomadJob.fromJson(JSON.readTree(
        """
        {"ID": "db", "Namespace": "default", "Region": "global", "Type": "service", "Datacenters": ["dc1"],
         "Meta": null, "JobModifyIndex": 10, "ModifyIndex": 10,
         "TaskGroups": [{"Name": "g", "Meta": {"auto-backup": "true"}, "Tasks": []}]}
        """));
    assertTrue(job.complete());
    assertEquals(Optional.of("global"), job.region());
    assertEquals(List.of(new NomadJob.PlacedMeta("group \"g\"", Map.of("auto-backup", "true"))), job.innerMeta());
  }

  @Test
  void aRegistrationMovesBothIndexes() {
    NomadJob job = NomadJobBuilder.job("db").type("batch").status("").index(3).build();
    NomadJob registered = job.registeredAt(20);
    assertEquals(20, registered.jobModifyIndex());
    assertEquals(20, registered.modifyIndex());
  }
}

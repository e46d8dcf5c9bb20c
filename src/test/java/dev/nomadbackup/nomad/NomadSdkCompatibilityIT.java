package dev.nomadbackup.nomad;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.hashicorp.nomad.apimodel.Job;
import com.hashicorp.nomad.apimodel.JobListStub;
import com.hashicorp.nomad.apimodel.Task;
import com.hashicorp.nomad.apimodel.TaskGroup;
import com.hashicorp.nomad.apimodel.UpdateStrategy;
import com.hashicorp.nomad.javasdk.NomadApiClient;
import dev.nomadbackup.testing.Jobs;
import dev.nomadbackup.testing.NomadAgent;
import dev.nomadbackup.testing.OperatorTest;
import dev.nomadbackup.testing.TestNomad;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * nomad-sdk 0.11 runs here on patched jackson, httpclient and bouncycastle: proof that it still
 * talks to a current Nomad, and that the plain-HTTP calls beside it see the same cluster.
 */
@OperatorTest
class NomadSdkCompatibilityIT {

  @Test
  void sdkRegistersReadsListsAndDeregistersAJob(NomadAgent agent) throws Exception {
    try (NomadClient client = NomadClient.create(agent.config(), 4)) {
      NomadApiClient sdk = client.sdk();
      assertFalse(sdk.getStatusApi().leader().getValue().isEmpty());
      assertEquals("1.11.3", client.agentVersion());

      String id = Jobs.uniqueId("sdk");
      Job job =
          new Job()
              .setId(id)
              .setName(id)
              .setType("service")
              .addDatacenters("dc1")
              .addMeta("auto-backup", "false")
              .addTaskGroups(
                  new TaskGroup()
                      .setName("app")
                      .setCount(1)
                      // no deployment: see Jobs.service on Nomad 1.11.3's panic when one is purged
                      .setUpdate(new UpdateStrategy().setMaxParallel(0))
                      .addTasks(new Task().setName("app").setDriver("docker").addConfig("image", "redis:7")));
      sdk.getJobsApi().register(job);

      Job read = sdk.getJobsApi().info(id).getValue();
      assertEquals(id, read.getId());
      assertEquals("false", read.getMeta().get("auto-backup"));
      List<JobListStub> stubs = sdk.getJobsApi().list(id).getValue();
      assertTrue(stubs.stream().anyMatch(s -> s.getId().equals(id)));
      assertTrue(client.readJob(new JobKey("default", id)).isPresent());

      sdk.getJobsApi().deregister(id, true);
      assertTrue(client.readJob(new JobKey("default", id)).isEmpty());
    }
  }

  @Test
  void eventStreamShowsTheRegistrationOfAJob(NomadAgent agent, TestNomad nomad) throws Exception {
    try (NomadClient client = NomadClient.create(agent.config(), 4)) {
      String id = Jobs.uniqueId("streamed");
      long index = client.listJobs("*").index();
      nomad.run(Jobs.service(id, java.util.Map.of()));
      EventStreamParser parser = new EventStreamParser(new ObjectMapper());
      boolean seen = false;
      try (InputStream in = client.openJobEvents("*", index, Duration.ofSeconds(20));
          BufferedReader lines = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
        String line;
        while (!seen && (line = lines.readLine()) != null) {
          for (JobEvent e : parser.parse(line).events()) {
            seen |= e.type().equals("JobRegistered") && e.key().jobId().equals(id);
          }
        }
      }
      assertTrue(seen, "JobRegistered for " + id + " on /v1/event/stream");
    }
  }
}

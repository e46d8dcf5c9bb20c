package dev.nomadbackup.controller;

import static dev.nomadbackup.testing.Waits.awaitPresent;
import static dev.nomadbackup.testing.Waits.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nomadbackup.backup.BackupKeys;
import dev.nomadbackup.backup.BackupReconciler;
import dev.nomadbackup.backup.RunLedger;
import dev.nomadbackup.backup.template.TemplateCatalog;
import dev.nomadbackup.config.NomadConfig;
import dev.nomadbackup.config.OperatorConfig;
import dev.nomadbackup.nomad.JobCache;
import dev.nomadbackup.nomad.NomadClient;
import dev.nomadbackup.testing.FaultProxy;
import dev.nomadbackup.testing.Jobs;
import dev.nomadbackup.testing.LogCapture;
import dev.nomadbackup.testing.NomadAgent;
import dev.nomadbackup.testing.OperatorTest;
import dev.nomadbackup.testing.TestNomad;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * An event stream whose connection stays up but carries nothing, not even Nomad's heartbeat, is
 * given up after the read timeout and opened again. The controller is built here with a 3 s read
 * timeout (65 s in the operator); a proxy sends a heartbeat every 300 ms, so a healthy stream never
 * comes near it.
 */
@OperatorTest
class QuietStreamIT {
  private static final Duration READ_TIMEOUT = Duration.ofSeconds(3);

  @Test
  void aStreamThatGoesQuietIsReopenedAndItsListingCatchesUp(NomadAgent agent, TestNomad api) throws Exception {
    String before = Jobs.uniqueId("quiet-before");
    String during = Jobs.uniqueId("quiet-during");
    try (FaultProxy proxy = FaultProxy.start(agent.address());
        LogCapture log = LogCapture.attach()) {
      proxy.heartbeatEvery(Duration.ofMillis(300));
      Map<String, String> env = new HashMap<>(agent.operatorEnv());
      env.put("NOMAD_ADDR", proxy.address().toString());
      OperatorConfig config = OperatorConfig.fromEnvironment(env);
      JobCache jobs = new JobCache();
      try (Schedulers schedulers = Schedulers.create();
          NomadClient nomad = NomadClient.create(NomadConfig.fromEnvironment(env), 8);
          Controller controller =
              new Controller(nomad, jobs, config,
                  new BackupReconciler(nomad, TemplateCatalog.load(Optional.empty()), jobs, RunLedger.NONE, false, true),
                  new BackupKeys(), Telemetry.NONE, schedulers, READ_TIMEOUT)) {
        controller.start();
        eventually(() -> assertTrue(controller.streaming()));
        api.run(Jobs.service(before, Jobs.optIn("@daily")));
        awaitPresent(() -> api.job("backup-" + before));
        assertTrue(log.contains("==> JobRegistered: " + before + " ("), "the event came by the stream");
        assertEquals(1, proxy.streamsOpened(), "a stream with heartbeats is kept");

        proxy.silenceStreams(); // the connection stays up; nothing comes through it any more
        api.run(Jobs.service(during, Jobs.optIn("@daily")));
        awaitPresent(() -> api.job("backup-" + during));
        // the JDK's "Read timed out" in a WARN is the only sign that the read timeout, and not a
        // closed connection, ended the stream; the wording around it is not checked
        assertTrue(log.lines().stream().anyMatch(l -> l.startsWith("WARN") && l.contains("(Read timed out)")),
            log.lines().toString());
        assertEquals(2, proxy.streamsOpened(), "one new stream after the silence");
        assertFalse(log.contains("==> JobRegistered: " + during + " ("),
            "the silenced stream delivered after all: the listing at reconnect is not what was tested");
        eventually(() -> assertTrue(controller.streaming()));
      }
    }
  }
}

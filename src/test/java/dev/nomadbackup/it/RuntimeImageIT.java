package dev.nomadbackup.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nomadbackup.testing.Jobs;
import dev.nomadbackup.testing.NomadAgent;
import dev.nomadbackup.testing.OperatorProcess;
import dev.nomadbackup.testing.OperatorTest;
import dev.nomadbackup.testing.TestNomad;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The container's runtime without a container: scripts/runtime-image (which the Dockerfile runs)
 * makes the jlink runtime and launcher, trains its cache against a throwaway agent of the pinned
 * Nomad as the Dockerfile does, and the operator runs on it against the real agent.
 */
@OperatorTest
class RuntimeImageIT {
  private static final Path RUNTIME = Path.of("target", "runtime").toAbsolutePath();

  @Test
  void operatorRunsOnTheCutDownRuntime(NomadAgent agent, TestNomad nomad) throws Exception {
    Process binary = new ProcessBuilder("scripts/nomad-binary").redirectError(ProcessBuilder.Redirect.DISCARD).start();
    String nomadBinary = new String(binary.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    assertEquals(0, binary.waitFor());
    ProcessBuilder image = new ProcessBuilder("scripts/runtime-image", OperatorProcess.JAR.toString(), RUNTIME.toString())
        .redirectErrorStream(true);
    image.environment().put("TRAIN_NOMAD", nomadBinary);
    Process build = image.start();
    String buildLog = new String(build.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(build.waitFor(5, TimeUnit.MINUTES));
    assertEquals(0, build.exitValue(), buildLog);
    assertTrue(buildLog.contains("cache against a Nomad agent"), buildLog);
    System.out.printf("[runtime-image] %s, size %d MiB%n", buildLog.lines().filter(l -> l.contains("modules")).findFirst().orElse(""),
        sizeOf(RUNTIME) >> 20);

    String id = Jobs.uniqueId("jlinked");
    try (OperatorProcess op = OperatorProcess.start("runtime-image",
        List.of(RUNTIME.resolve("bin/nomad-backup-operator").toString()), agent.operatorEnv())) {
      await().atMost(Duration.ofSeconds(30)).until(() -> op.get("/health/ready").status() == 200);
      nomad.run(Jobs.service(id, Jobs.optIn("@daily")));
      await().atMost(Duration.ofSeconds(30)).until(() -> nomad.job("backup-" + id).isPresent());
      System.out.printf("[runtime-image] operator idle RSS: %d MiB%n", rssKib(op.pid()) >> 10);
      assertTrue(op.log().contains("Backup created: backup-" + id), op.log());
      assertEquals(0, op.terminate(Duration.ofSeconds(20)), op.log());
    }
  }

  private static long sizeOf(Path dir) throws Exception {
    try (Stream<Path> files = Files.walk(dir)) {
      return files.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
    }
  }

  private static long rssKib(long pid) throws Exception {
    for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("\\D", ""));
      }
    }
    return -1;
  }
}

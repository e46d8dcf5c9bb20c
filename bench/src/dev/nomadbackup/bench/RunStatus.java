package dev.nomadbackup.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nomadbackup.testing.Jobs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Run status at scale, on an agent that is also a {@code raw_exec} client: {@code jobs} protected
 * jobs whose backup task exits 0 at once, every backup job forced in the same moment, and for each
 * run the time from its end, as Nomad records it (the task's {@code FinishedAt}), until its status
 * Variable says so, as Nomad records that (the Variable's {@code ModifyTime}). Nothing is timed by
 * polling the operator.
 */
final class RunStatus {
  /** Backup jobs that run a trivial task, small enough for hundreds of runs on one client. */
  static final String TEMPLATE =
      """
      # bench: a backup job whose one task exits 0 at once
      job "[[ .JobID ]]" {
        datacenters = [[ .Datacenters ]]
        type        = "batch"

        periodic {
          crons            = ["[[ .Schedule ]]"]
          prohibit_overlap = true
        }

        group "backup" {
          restart {
            attempts = 0
            mode     = "fail"
          }
          reschedule {
            attempts  = 0
            unlimited = false
          }
          ephemeral_disk {
            size = 10
          }
          task "backup" {
            driver = "raw_exec"
            config {
              command = "/bin/true"
            }
            logs {
              max_files     = 1
              max_file_size = 1
            }
            resources {
              cpu    = %d
              memory = 10
            }
          }
        }
      }
      """;

  private static final String PREFIX = "nomad-backup-operator/status/";
  private static final Duration RUNS_DEADLINE = Duration.ofMinutes(10);

  /** What one run of the scenario measured. */
  record Figures(int jobs, int cpuPerTask, long nodeCpu, long nodeMemory, long forceNanos,
      List<Long> latencies, List<Long> serverLags, long lastEndToLastStatus, long wrongStatuses, long nomadCpu, long nomadChildCpu,
      long operatorCpu, long windowNanos, long statusWrites, int maxWritesPerJob, Map<String, Long> calls,
      String load) {}

  private final Agent agent;
  private final Api direct;
  private final CountingProxy proxy;
  private final int registrars;

  RunStatus(Agent agent, CountingProxy proxy, int registrars) {
    this.agent = agent;
    this.direct = new Api(agent.address);
    this.proxy = proxy;
    this.registrars = registrars;
  }

  /** The operator's template for this scenario, sized to the node so that every run fits at once. */
  Path template(Path dir, int jobs) throws IOException {
    Path file = dir.resolve("run-status.nomad.tmpl");
    Files.writeString(file, TEMPLATE.formatted(cpuPerTask(jobs)));
    return file;
  }

  /** A share of the node's CPU small enough that {@code jobs} tasks fit on it at once, half of it. */
  int cpuPerTask(int jobs) throws IOException {
    return (int) Math.max(1, Math.min(20, nodeResources()[0] / 2 / jobs));
  }

  /** {CPU in MHz, memory in MiB} the node offers to tasks. */
  long[] nodeResources() throws IOException {
    JsonNode stub = direct.send("GET", "/v1/nodes", null).get(0);
    JsonNode node = direct.send("GET", "/v1/node/" + stub.path("ID").asText(), null);
    JsonNode r = node.path("NodeResources");
    return new long[] {r.path("Cpu").path("CpuShares").asLong(), r.path("Memory").path("MemoryMB").asLong()};
  }

  /** Registers {@code jobs} protected jobs and waits until each has its backup job and its status. */
  void protect(int jobs) throws Exception {
    ObjectNode template = direct.parse(Jobs.periodic("status-template", Jobs.optIn("0 3 * * *")));
    proxy.reset();
    ExecutorService pool = Executors.newFixedThreadPool(registrars);
    try {
      List<Future<?>> all = new ArrayList<>();
      for (int i = 0; i < jobs; i++) {
        ObjectNode source = template.deepCopy();
        source.put("ID", id(i)).put("Name", id(i));
        all.add(pool.submit(() -> direct.registerSource(source)));
      }
      for (Future<?> f : all) {
        f.get();
      }
    } finally {
      pool.shutdown();
    }
    if (!proxy.awaitBackupWrites(jobs, Duration.ofMinutes(5))) {
      throw new IOException("only " + proxy.backupWrites() + " of " + jobs + " backup jobs after 5 min");
    }
    long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
    while (statuses().size() < jobs) {
      if (System.nanoTime() > deadline) {
        throw new IOException("only " + statuses().size() + " of " + jobs + " status variables after 2 min");
      }
      Thread.sleep(200);
    }
  }

  /**
   * Forces one run of every backup job and waits until every status Variable names that run as
   * succeeded; {@code operatorPid} is the operator's process, for its CPU time over the window.
   */
  Figures measure(int jobs, int cpuPerTask, long operatorPid) throws Exception {
    Map<String, Long> before = statuses();
    long[] node = nodeResources();
    proxy.reset();
    long nomad0 = Cpu.nanos(agent.pid());
    long children0 = Cpu.childNanos(agent.pid());
    long operator0 = Cpu.nanos(operatorPid);
    long t0 = System.nanoTime();
    ExecutorService pool = Executors.newFixedThreadPool(registrars);
    try {
      List<Future<?>> all = new ArrayList<>();
      for (int i = 0; i < jobs; i++) {
        String backup = "backup-" + id(i);
        all.add(pool.submit(() -> direct.send("PUT", "/v1/job/" + backup + "/periodic/force?namespace=default", null)));
      }
      for (Future<?> f : all) {
        f.get();
      }
    } finally {
      pool.shutdown();
    }
    long forced = System.nanoTime() - t0;
    Bench.log("Forced %d runs in %.2f s", jobs, forced / 1e9);
    long deadline = t0 + RUNS_DEADLINE.toNanos();
    Map<String, Long> changed;
    while (true) {
      changed = statuses();
      long done = changed.entrySet().stream().filter(e -> e.getValue() > before.getOrDefault(e.getKey(), 0L)).count();
      if (done >= jobs) {
        break;
      }
      if (System.nanoTime() > deadline) {
        throw new IOException("only " + done + " of " + jobs + " statuses changed after " + RUNS_DEADLINE);
      }
      Thread.sleep(250);
    }
    long window = System.nanoTime() - t0;
    long nomadCpu = Cpu.nanos(agent.pid()) - nomad0;
    long childCpu = Cpu.childNanos(agent.pid()) - children0;
    long operatorCpu = Cpu.nanos(operatorPid) - operator0;
    String load = Files.readString(Path.of("/proc/loadavg")).strip();
    Thread.sleep(5000); // writes that come late would count too
    Map<String, Long> writes = proxy.statusWrites();
    Map<String, Long> calls = proxy.calls();

    // When each run ended, as Nomad recorded it: the last FinishedAt of its allocations' tasks.
    Map<String, Instant> runEnd = new HashMap<>();
    Map<String, String> runOf = new HashMap<>();
    Map<String, Instant> allocModified = new HashMap<>();
    for (JsonNode alloc : direct.send("GET", "/v1/allocations?namespace=default", null)) {
      String runId = alloc.path("JobID").asText();
      int at = runId.indexOf("/periodic-");
      if (!runId.startsWith("backup-") || at < 0) {
        continue;
      }
      String source = runId.substring("backup-".length(), at);
      runOf.put(source, runId);
      // when the server took the client's news of the allocation (the last change to it)
      allocModified.merge(source, Instant.EPOCH.plusNanos(alloc.path("ModifyTime").asLong()),
          (a, b) -> a.isAfter(b) ? a : b);
      for (JsonNode task : alloc.path("TaskStates")) {
        String finished = task.path("FinishedAt").asText("");
        if (!finished.isEmpty() && !finished.startsWith("0001-")) {
          Instant end = Instant.parse(finished);
          runEnd.merge(source, end, (a, b) -> a.isAfter(b) ? a : b);
        }
      }
    }
    List<Long> latencies = new ArrayList<>();
    List<Long> serverLags = new ArrayList<>();
    long wrong = 0;
    Instant lastEnd = Instant.EPOCH;
    Instant lastStatus = Instant.EPOCH;
    for (int i = 0; i < jobs; i++) {
      String source = id(i);
      JsonNode v = direct.send("GET", "/v1/var/" + PREFIX + source + "?namespace=default", null);
      Instant modified = Instant.EPOCH.plusNanos(v.path("ModifyTime").asLong());
      Instant end = runEnd.get(source);
      JsonNode items = v.path("Items");
      boolean right = end != null && items.path("last_run_id").asText().equals(runOf.get(source))
          && "succeeded".equals(items.path("last_run_outcome").asText());
      if (!right) {
        wrong++;
        continue;
      }
      latencies.add(Duration.between(end, modified).toNanos());
      serverLags.add(Duration.between(end, allocModified.get(source)).toNanos());
      lastEnd = end.isAfter(lastEnd) ? end : lastEnd;
      lastStatus = modified.isAfter(lastStatus) ? modified : lastStatus;
    }
    long writesTotal = writes.values().stream().mapToLong(Long::longValue).sum();
    int maxPerJob = (int) writes.values().stream().mapToLong(Long::longValue).max().orElse(0);
    return new Figures(jobs, cpuPerTask, node[0], node[1], forced, latencies, serverLags,
        Duration.between(lastEnd, lastStatus).toNanos(), wrong, nomadCpu, childCpu, operatorCpu, window,
        writesTotal, maxPerJob, calls, load);
  }

  /** Every status Variable's ModifyIndex, by the job it belongs to (one unpaged listing). */
  private Map<String, Long> statuses() throws IOException {
    Map<String, Long> out = new HashMap<>();
    for (JsonNode v : direct.send("GET", "/v1/vars?namespace=default&prefix=" + PREFIX, null)) {
      out.put(v.path("Path").asText().substring(PREFIX.length()), v.path("ModifyIndex").asLong());
    }
    return out;
  }

  private static String id(int i) {
    return "status-" + i;
  }
}

package dev.nomadbackup.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nomadbackup.config.OperatorConfig;
import dev.nomadbackup.nomad.NomadJob;
import dev.nomadbackup.testing.Jobs;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The benchmark suite: each figure of the operator side by side with its floor, the same Nomad
 * work done by this program directly (parse and register of the same backup jobs, with as many
 * workers as the operator has). Run it with {@code bench/run}.
 */
public final class Bench {
  private static final Duration LATENCY_GAP = Duration.ofMillis(20);
  private static final int LATENCY_WARMUP = 10;
  /** How long a burst may take before its missing backups are counted. */
  private static final Duration BURST_DEADLINE = Duration.ofMinutes(5);

  private final Options o;
  private final Agent agent;
  private final Api direct;
  private final CountingProxy proxy;
  private final Api viaProxy;
  private final ObjectNode sourceTemplate;
  private final Report report;
  /** The template the cluster's backups follow: the built-in one until a template change. */
  private Optional<Path> template = Optional.empty();

  private Bench(Options o, Agent agent, CountingProxy proxy, Report report) throws IOException {
    this.o = o;
    this.agent = agent;
    this.direct = new Api(agent.address);
    this.proxy = proxy;
    this.viaProxy = new Api(proxy.address());
    this.sourceTemplate = direct.parse(SOURCE_HCL);
    this.report = report;
  }

  /** The benchmark's source job: the tests' service job (no deployments), opted in. */
  private static final String SOURCE_HCL = sourceHcl();

  private static String sourceHcl() {
    Map<String, String> meta = Jobs.optIn("@daily");
    meta.put("backup-target-db", "db");
    return Jobs.service("source", meta);
  }

  public static void main(String[] args) throws Exception {
    Options o = Options.parse(args);
    Files.createDirectories(o.work);
    Report report = new Report(o);
    if (o.runsMainAgent()) {
      log("Starting Nomad from the pinned binary");
      try (Agent agent = Agent.start(o.nomad, o.work.resolve("nomad"));
          CountingProxy proxy = new CountingProxy(agent.address)) {
        report.nomadVersion = new Api(agent.address).agentVersion();
        new Bench(o, agent, proxy, report).run();
      }
    }
    if (o.statusJobs > 0 && o.runs(Phase.STATUS)) {
      // an agent of its own: with a client, the other scenarios' source jobs would be scheduled
      log("Starting Nomad with a raw_exec client");
      try (Agent agent = Agent.start(o.nomad, o.work.resolve("nomad-client"), true);
          CountingProxy proxy = new CountingProxy(agent.address)) {
        report.nomadVersion = new Api(agent.address).agentVersion();
        new Bench(o, agent, proxy, report).runStatus();
      }
    }
    report.loadAtEnd = Files.readString(Path.of("/proc/loadavg")).trim();
    System.out.println();
    System.out.println(report.table());
    log("The run took %.1f min", (System.nanoTime() - report.startedAt) / 60e9);
    if (o.out != null && o.phases.isEmpty()) {
      report.previous = Files.exists(o.out) ? Files.readString(o.out) : "";
      Files.writeString(o.out, report.markdown());
      log("Wrote " + o.out);
    }
  }

  /** Run status at scale: {@link RunStatus}, with the operator started as everywhere else. */
  private void runStatus() throws Exception {
    if (o.cds && (!o.runsMainAgent() || !Files.exists(o.work.resolve("operator.jsa")))) {
      makeCdsArchive();
    }
    RunStatus scenario = new RunStatus(agent, proxy, o.registrars);
    int cpu = scenario.cpuPerTask(o.statusJobs);
    Path template = scenario.template(o.work, o.statusJobs);
    try (OperatorProcess op = launch("run-status", Map.of("OPERATOR_TEMPLATE", template.toAbsolutePath().toString()))) {
      op.awaitReady(Duration.ofMinutes(2));
      log("Protecting %d jobs (backup tasks of %d MHz each)", o.statusJobs, cpu);
      scenario.protect(o.statusJobs);
      settle();
      RunStatus.Figures f = scenario.measure(o.statusJobs, cpu, op.pid());
      report.runStatus = f;
      log("Run status: %d runs, end → status p50 %s, p99 %s, max %s (end → alloc ModifyTime p50 %s); last end → last status %s; %d wrong; "
              + "CPU operator %.2f s, Nomad %.2f s (+ %.2f s its tasks); %d status writes (at most %d for one job); load %s",
          f.jobs(), ms(Stats.percentile(f.latencies(), 50)), ms(Stats.percentile(f.latencies(), 99)),
          ms(Stats.percentile(f.latencies(), 100)), ms(Stats.percentile(f.serverLags(), 50)), ms(f.lastEndToLastStatus()), f.wrongStatuses(),
          f.operatorCpu() / 1e9, f.nomadCpu() / 1e9, f.nomadChildCpu() / 1e9, f.statusWrites(), f.maxWritesPerJob(),
          f.load());
    }
  }

  /**
   * The phases on one agent, in an order that lets each reuse the cluster the last one left: the
   * template change runs on {@code clusterJobs} backups, then every later operator and floor uses
   * its last template, so the jobs the bursts leave behind are right and seed the big cold start.
   */
  private void run() throws Exception {
    if (o.cds) {
      makeCdsArchive();
    }
    if (o.runs(Phase.STARTUP)) {
      startupEmpty();
      firstBackups();
    }
    if (o.runs(Phase.LATENCY)) {
      latencies();
    }
    if (o.runs(Phase.COLD) || o.runs(Phase.TEMPLATE)) {
      seedUpTo(o.clusterJobs);
    }
    if (o.runs(Phase.COLD)) {
      report.coldManaged = coldStarts("managed", 1);
      report.shippedManaged = shippedAtScale("managed");
    }
    if (o.runs(Phase.TEMPLATE)) {
      templateChange();
    }
    if (o.runs(Phase.BURST)) {
      bursts();
    }
    if (o.runs(Phase.COLD)) {
      seedUpTo(o.coldJobs);
      report.cold = coldStarts("cold", o.coldStarts);
      report.shippedCold = shippedAtScale("cold");
    }
  }

  /** Floor and operator take turns, in rounds, so that a slow patch of a shared machine hits both. */
  private void latencies() throws Exception {
    List<Latency> floorLatencies = new ArrayList<>();
    List<Latency> operatorLatencies = new ArrayList<>();
    int perRound = (o.latencyJobs + o.rounds - 1) / o.rounds;
    for (int r = 1; r <= o.rounds; r++) {
      settle();
      floorLatencies.add(latency("lat-floor-" + r + "-", perRound, 0));
      try (OperatorProcess op = launch("latency-" + r, Map.of())) {
        op.awaitReady(Duration.ofMinutes(10));
        settle();
        operatorLatencies.add(latency("lat-op-" + r + "-", perRound, op.pid()));
      }
    }
    report.latencyFloor = Latency.concat(floorLatencies);
    report.latencyOperator = Latency.concat(operatorLatencies);
  }

  /** Every burst size, floor and operator in turns; the operator's jobs stay, the floor's go. */
  private void bursts() throws Exception {
    for (int n : o.burstJobs) {
      BurstSeries series = new BurstSeries(n);
      for (int r = 1; r <= o.rounds; r++) {
        String floor = "burst-floor-" + n + "-" + r + "-";
        series.floors.add(burst(floor, n, true, false, 0));
        purge(floor, n);
        if (r == 1) {
          String watched = "burst-watched-" + n + "-";
          series.floorWatched = burst(watched, n, true, true, 0);
          purge(watched, n);
        }
        try (OperatorProcess op = launch("burst-" + n + "-" + r, Map.of())) {
          long ready = op.awaitReady(Duration.ofMinutes(10));
          log("Operator ready after %.2f s", ready / 1e9);
          series.operators.add(burst("burst-op-" + n + "-" + r + "-", n, false, false, op.pid()));
          Thread.sleep(2000);
          series.after = footprint(op);
        }
      }
      report.bursts.add(series);
    }
  }

  // ---------------------------------------------------------------- phases

  private void startupEmpty() throws Exception {
    for (var config : jvmConfigs().entrySet()) {
      List<Long> readies = new ArrayList<>();
      List<Footprint> prints = new ArrayList<>();
      for (int i = 0; i < o.startups; i++) {
        try (OperatorProcess op = launch("empty-" + config.getKey() + "-" + i, Map.of(), config.getValue())) {
          readies.add(op.awaitReady(Duration.ofMinutes(2)));
          Thread.sleep(2000);
          prints.add(footprint(op));
        }
      }
      log("Empty cluster, %s JVM: start to ready %s", config.getKey(), ms(readies));
      report.startup.put(config.getKey(), new Startup(Stats.median(readies), Footprint.median(prints)));
    }
  }

  /**
   * Process start → first backup registered, for the operator as it is started outside the
   * benchmark: one opt-in job without a backup waits in Nomad, and the figure runs from the wall
   * clock just before the process is started to the backup's {@code SubmitTime}, Nomad's own stamp
   * (same machine, same clock). Then, 2 s later, its idle footprint.
   */
  private void firstBackups() throws Exception {
    for (var launcher : launchers().entrySet()) {
      List<Long> nanos = new ArrayList<>();
      List<Footprint> prints = new ArrayList<>();
      for (int i = 0; i < o.firstStarts; i++) {
        String id = "first-" + launcher.getKey().replaceAll("[^a-z]+", "-") + i;
        direct.registerSource(source(id));
        settle();
        var answered = proxy.expect("backup-" + id);
        try (CommandProcess op = CommandProcess.launch(launcher.getValue(), operatorEnv(Map.of()),
            o.work.resolve("first-" + i + "-" + launcher.getKey().replaceAll("[^a-z]+", "-") + ".log"))) {
          answered.get(2, TimeUnit.MINUTES);
          long submitted = direct.job("backup-" + id).path("SubmitTime").asLong();
          nanos.add(submitted - op.launchedEpochNanos());
          Thread.sleep(2000);
          prints.add(new Footprint(op.rssBytes(), 0, 0, op.threads()));
        }
      }
      log("%s: process start → first backup registered %s, idle RSS %s, %d threads", launcher.getKey(), ms(nanos),
          Report.mib(Footprint.median(prints).rss()), Footprint.median(prints).threads());
      report.firstBackups.add(new FirstBackup(launcher.getKey(), nanos, Footprint.median(prints)));
    }
  }

  /**
   * The commands the operator ships with: {@code java -jar} on this JVM (the default JDK), and the
   * runtime image's launcher when {@code --runtime} names one.
   */
  private Map<String, List<String>> launchers() {
    Map<String, List<String>> launchers = new LinkedHashMap<>();
    launchers.put("java -jar", List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar",
        o.jar.toAbsolutePath().toString()));
    if (o.runtime != null) {
      launchers.put(SHIPPED, List.of(o.runtime.resolve("bin/nomad-backup-operator").toAbsolutePath().toString()));
    }
    return launchers;
  }

  static final String SHIPPED = "shipped runtime";

  /** The shipped runtime on the cluster as it is now: start → ready and its footprint 2 s later. */
  private Footprint shippedAtScale(String name) throws Exception {
    if (o.runtime == null) {
      return null;
    }
    settle();
    try (CommandProcess op = CommandProcess.launch(launchers().get(SHIPPED), operatorEnv(Map.of()),
        o.work.resolve("shipped-" + name + ".log"))) {
      long ready = op.awaitReady(Duration.ofMinutes(10));
      proxy.awaitQuiet(Duration.ofSeconds(1), Duration.ofMinutes(1));
      Thread.sleep(2000);
      Footprint f = new Footprint(op.rssBytes(), 0, 0, op.threads());
      log("Shipped runtime, %s: ready after %.2f s, RSS %s, %d threads", name, ready / 1e9, Report.mib(f.rss()), f.threads());
      return f;
    }
  }

  /**
   * Registers sources one at a time, after a few untimed ones; returns each one's latency until its
   * backup is readable, and how much of it passed before the backup's parse reached Nomad.
   */
  private Latency latency(String prefix, int count, long operatorPid) throws Exception {
    boolean floor = operatorPid == 0;
    FloorSpecs specs = floorSpecs();
    List<Long> latencies = new ArrayList<>();
    List<Long> beforeParse = new ArrayList<>();
    List<String> ids = new ArrayList<>();
    long cpu0 = 0;
    for (int i = -LATENCY_WARMUP; i < count; i++) {
      if (i == 0) {
        proxy.awaitQuiet(Duration.ofMillis(200), Duration.ofSeconds(10));
        proxy.reset();
        cpu0 = floor ? 0 : Cpu.nanos(operatorPid);
      }
      String id = prefix + (i < 0 ? "warmup" + (-i) : Integer.toString(i));
      ObjectNode source = source(id);
      var answered = proxy.expect("backup-" + id);
      direct.registerSource(source);
      long t0 = System.nanoTime();
      if (floor) {
        floorOne(specs, source, 0);
      }
      long t1 = answered.get(60, TimeUnit.SECONDS);
      Long parsed = proxy.parseArrival("backup-" + id);
      if (i >= 0) {
        latencies.add(Math.max(0, t1 - t0));
        beforeParse.add(parsed == null ? 0 : Math.max(0, parsed - t0));
        ids.add(id);
      }
      Thread.sleep(LATENCY_GAP.toMillis());
    }
    // what a reaction does off the reconciler's way (its status Variable, say) is part of it too
    proxy.awaitQuiet(Duration.ofMillis(500), Duration.ofSeconds(10));
    Map<String, Long> calls = proxy.calls();
    long cpu = floor ? 0 : Cpu.nanos(operatorPid) - cpu0;
    List<Long> server = new ArrayList<>();
    int rewritten = 0;
    for (String id : ids) {
      JsonNode backup = direct.job("backup-" + id);
      if (backup.path("Version").asLong() != 0) {
        rewritten++; // its SubmitTime is that of a later registration, not of the reaction
        continue;
      }
      server.add(backup.path("SubmitTime").asLong() - direct.job(id).path("SubmitTime").asLong());
    }
    Latency l = new Latency(latencies, beforeParse, server, calls, ids.size(), cpu, rewritten);
    log("Latency %s: server-side p50 %s, p99 %s; client-side p50 %s, p99 %s (p50 before the parse reached Nomad: %s); "
            + "%.2f calls per backup%s%s", floor ? "floor" : "operator",
        ms(Stats.percentile(server, 50)), ms(Stats.percentile(server, 99)),
        ms(Stats.percentile(latencies, 50)), ms(Stats.percentile(latencies, 99)), ms(Stats.percentile(beforeParse, 50)),
        l.callsPerReaction(), floor ? "" : String.format(", CPU %.2f ms per reaction", cpu / 1e6 / ids.size()),
        rewritten == 0 ? "" : "; " + rewritten + " backups written twice, left out of the server-side figures");
    return l;
  }

  /** Registers {@code burstJobs} sources as fast as Nomad takes them; time until every backup exists. */
  private Burst burst(String prefix, int n, boolean floor, boolean watched, long operatorPid) throws Exception {
    settle();
    try (StreamDrain drain = watched ? new StreamDrain(agent.address) : null) {
      long nomad0 = Cpu.nanos(agent.pid());
      long op0 = operatorPid == 0 ? 0 : Cpu.nanos(operatorPid);
      Burst b = burst(prefix, n, floor, watched ? " with an event-stream reader" : "");
      return new Burst(b.nanos(), b.sourcesNanos(), Cpu.nanos(agent.pid()) - nomad0,
          operatorPid == 0 ? 0 : Cpu.nanos(operatorPid) - op0, b.missing());
    }
  }

  private Burst burst(String prefix, int n, boolean floor, String label) throws Exception {
    FloorSpecs specs = floorSpecs();
    ExecutorService registrars = Executors.newFixedThreadPool(o.registrars);
    ExecutorService workers = Executors.newFixedThreadPool(o.workers);
    AtomicReference<Throwable> failure = new AtomicReference<>();
    long[] lastSource = new long[1];
    proxy.reset();
    long t0 = System.nanoTime();
    List<Future<?>> sources = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      ObjectNode source = source(prefix + i);
      sources.add(registrars.submit(() -> {
        try {
          direct.registerSource(source);
          synchronized (lastSource) {
            lastSource[0] = Math.max(lastSource[0], System.nanoTime());
          }
          if (floor) {
            workers.submit(() -> {
              try {
                floorOne(specs, source, 0);
              } catch (Exception e) {
                failure.compareAndSet(null, e);
              }
            });
          }
        } catch (Exception e) {
          failure.compareAndSet(null, e);
        }
      }));
    }
    for (Future<?> f : sources) {
      f.get();
    }
    boolean done = proxy.awaitBackupWrites(n, BURST_DEADLINE);
    long t = System.nanoTime() - t0;
    registrars.shutdown();
    workers.shutdown();
    if (failure.get() != null) {
      throw new IOException("burst failed", failure.get());
    }
    int missing = n - proxy.backupWrites();
    if (!done) {
      log("Burst %s%s: %d of %d backups missing after %s", floor ? "floor" : "operator", label, missing, n, BURST_DEADLINE);
    }
    log("Burst %s%s: %d backups in %.2f s (sources registered in %.2f s)", floor ? "floor" : "operator", label,
        n - missing, t / 1e9, (lastSource[0] - t0) / 1e9);
    return new Burst(t, lastSource[0] - t0, 0, 0, missing);
  }

  private void purge(String prefix, int n) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(o.registrars);
    List<Future<?>> all = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      for (String id : List.of(prefix + i, "backup-" + prefix + i)) {
        all.add(pool.submit(() -> direct.send("DELETE", "/v1/job/" + id + "?purge=true&namespace=default", null)));
      }
    }
    for (Future<?> f : all) {
      f.get();
    }
    pool.shutdown();
  }

  /** Adds sources with correct backups (written as the operator writes them) up to {@code total}. */
  private void seedUpTo(int total) throws Exception {
    int have = (int) direct.list().stream().filter(j -> j.path("ID").asText().startsWith("backup-")).count();
    int missing = total - have;
    if (missing <= 0) {
      return;
    }
    log("Seeding %d more jobs with their backups", missing);
    long t0 = System.nanoTime();
    FloorSpecs specs = floorSpecs();
    ExecutorService pool = Executors.newFixedThreadPool(o.registrars);
    List<Future<?>> all = new ArrayList<>();
    for (int i = 0; i < missing; i++) {
      ObjectNode source = source("seed-" + (have + i));
      all.add(pool.submit(() -> {
        direct.registerSource(source);
        NomadJob job = NomadJob.fromJson(source);
        String hcl = specs.render(job);
        ObjectNode spec = direct.parse(hcl);
        FloorSpecs.stamp(spec, job, hcl);
        direct.register(spec, 0);
        return null;
      }));
    }
    for (Future<?> f : all) {
      f.get();
    }
    pool.shutdown();
    log("Seeded in %.1f s", (System.nanoTime() - t0) / 1e9);
  }

  /**
   * {@code starts} operators, one after the other, against the cluster as it is (every backup
   * right): start → ready, the calls until ready and until the proxy saw none for a second (what the
   * operator does in the background after ready counts too), job writes, the footprint.
   */
  private ColdStart coldStarts(String name, int starts) throws Exception {
    long jobs = direct.list().size();
    long variables = direct.countVariables("nomad-backup-operator/status/");
    long pages = (jobs + 999) / 1000 + (variables + 999) / 1000;
    List<Long> readies = new ArrayList<>();
    List<Footprint> prints = new ArrayList<>();
    Map<String, Long> atReady = Map.of();
    Map<String, Long> quiet = Map.of();
    long writes = 0;
    for (int i = 0; i < starts; i++) {
      settle();
      proxy.reset();
      try (OperatorProcess op = launch(name + "-" + i, Map.of())) {
        readies.add(op.awaitReady(Duration.ofMinutes(10)));
        atReady = proxy.calls();
        if (!proxy.awaitQuiet(Duration.ofSeconds(1), Duration.ofMinutes(2))) {
          log("The operator still called Nomad 2 min after it was ready");
        }
        quiet = proxy.calls();
        writes = Math.max(writes, proxy.writes());
        Thread.sleep(2000);
        prints.add(footprint(op));
      }
      log("Cold start %s %d, %d jobs: ready after %.2f s, %d calls until ready, %d until quiet (%d listing pages), %d writes",
          name, i + 1, jobs, readies.get(i) / 1e9, total(atReady), total(quiet), pages, proxy.writes());
    }
    return new ColdStart(jobs, pages, Stats.median(readies), atReady, quiet, writes, Footprint.median(prints));
  }

  static long total(Map<String, Long> calls) {
    return calls.values().stream().mapToLong(Long::longValue).sum();
  }

  private void templateChange() throws Exception {
    int revision = 2;
    for (int r = 1; r <= o.templateRounds; r++) {
      report.templateFloors.add(templateFloor(revisedTemplate(revision++), false));
      if (r == 1) {
        report.templateFloorWatched = templateFloor(revisedTemplate(revision++), true);
      }
      Path last = revisedTemplate(revision++);
      report.templateOperators.add(templateOperator(last, r));
      template = Optional.of(last); // what the cluster's backups now follow
    }
  }

  /** The operator started with a revised template; timed from its launch to its last backup update. */
  private Burst templateOperator(Path template, int round) throws Exception {
    int n = report.templateJobs;
    settle();
    proxy.reset();
    long nomad0 = Cpu.nanos(agent.pid());
    long launched = System.nanoTime();
    try (OperatorProcess op = launch("template-" + round, Map.of("OPERATOR_TEMPLATE", template.toAbsolutePath().toString()))) {
      if (!proxy.awaitBackupWrites(n, Duration.ofMinutes(10))) {
        throw new IOException("only " + proxy.backupWrites() + " of " + n + " backups updated after 10 min");
      }
      long all = System.nanoTime() - launched;
      long nomadCpu = Cpu.nanos(agent.pid()) - nomad0;
      long operatorCpu = Cpu.nanos(op.pid());
      long ready = op.awaitReady(Duration.ofMinutes(10));
      log("Template change operator: %d backups in %.2f s from start (ready after %.2f s); CPU Nomad %.2f s, operator %.2f s; calls %s",
          n, all / 1e9, ready / 1e9, nomadCpu / 1e9, operatorCpu / 1e9, proxy.calls());
      return new Burst(all, 0, nomadCpu, operatorCpu, 0);
    }
  }

  /** The floor of a template change: every backup parsed and registered again from {@code template}. */
  private Burst templateFloor(Path template, boolean watched) throws Exception {
    List<JsonNode> jobs = direct.list();
    Map<String, Long> backupIndex = new HashMap<>();
    List<ObjectNode> sources = new ArrayList<>();
    for (JsonNode stub : jobs) {
      String id = stub.path("ID").asText();
      if (id.startsWith("backup-")) {
        backupIndex.put(id, stub.path("JobModifyIndex").asLong());
      }
    }
    for (JsonNode stub : jobs) {
      String id = stub.path("ID").asText();
      if (!id.startsWith("backup-") && backupIndex.containsKey("backup-" + id)) {
        sources.add(source(id));
      }
    }
    report.templateJobs = sources.size();
    settle();
    FloorSpecs specs = FloorSpecs.load(Optional.of(template));
    ExecutorService workers = Executors.newFixedThreadPool(o.workers);
    try (StreamDrain drain = watched ? new StreamDrain(agent.address) : null) {
      proxy.reset();
      long nomad0 = Cpu.nanos(agent.pid());
      long t0 = System.nanoTime();
      List<Future<?>> all = new ArrayList<>();
      for (ObjectNode source : sources) {
        long index = backupIndex.get("backup-" + source.path("ID").asText());
        all.add(workers.submit(() -> {
          floorOne(specs, source, index);
          return null;
        }));
      }
      for (Future<?> f : all) {
        f.get();
      }
      long floor = System.nanoTime() - t0;
      log("Template change floor%s: %d backups in %.2f s; calls %s", watched ? " with an event-stream reader" : "",
          sources.size(), floor / 1e9, proxy.calls());
      return new Burst(floor, 0, Cpu.nanos(agent.pid()) - nomad0, 0, 0);
    } finally {
      workers.shutdown();
    }
  }

  // ---------------------------------------------------------------- helpers

  /**
   * Waits until Nomad is idle (under 5 % of a core over half a second), so work it still does for
   * the previous phase (evaluating the source jobs, say) is not counted against the next one.
   */
  private void settle() throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (System.nanoTime() < deadline) {
      long before = Cpu.nanos(agent.pid());
      Thread.sleep(500);
      if (Cpu.nanos(agent.pid()) - before < 25_000_000L) {
        return;
      }
    }
    log("Nomad did not settle within 30 s; going on");
  }

  private Map<String, Startup> startup() {
    return report.startup;
  }

  /** What the floor renders: the template the cluster's backups follow now. */
  private FloorSpecs floorSpecs() throws IOException {
    return FloorSpecs.load(template);
  }

  /** What the operator does for one new source, done directly: render, parse, stamp, register. */
  private void floorOne(FloorSpecs specs, ObjectNode source, long modifyIndex) throws IOException {
    NomadJob job = NomadJob.fromJson(source);
    String hcl = specs.render(job);
    ObjectNode spec = viaProxy.parse(hcl);
    FloorSpecs.stamp(spec, job, hcl);
    viaProxy.register(spec, modifyIndex);
  }

  private ObjectNode source(String id) {
    ObjectNode job = sourceTemplate.deepCopy();
    job.put("ID", id);
    job.put("Name", id);
    ((ObjectNode) job.get("Meta")).put("backup-target-db", "db-" + id);
    return job;
  }

  private Footprint footprint(OperatorProcess op) throws Exception {
    long rss = op.rssBytes();
    long threads = op.threads();
    long[] heap = op.heap();
    return new Footprint(rss, heap[0], heap[1], threads);
  }

  private OperatorProcess launch(String name, Map<String, String> env) throws IOException {
    List<String> flags = new ArrayList<>(jvmConfigs().get(o.cds ? "tuned" : "default"));
    String extra = System.getenv("BENCH_OPERATOR_FLAGS"); // e.g. a profiler, for one experiment
    if (extra != null && !extra.isBlank()) {
      flags.addAll(Arrays.asList(extra.trim().replace("{name}", name).split("\\s+")));
    }
    return launch(name, env, flags);
  }

  private OperatorProcess launch(String name, Map<String, String> extraEnv, List<String> flags) throws IOException {
    return OperatorProcess.launch(flags, o.classpath, operatorEnv(extraEnv), o.work.resolve(name + ".log"));
  }

  /** The operator's environment everywhere in the benchmark, over the counting proxy. */
  private Map<String, String> operatorEnv(Map<String, String> extraEnv) {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("NOMAD_ADDR", proxy.address().toString());
    env.put("OPERATOR_WORKERS", Integer.toString(o.workers));
    env.put("OPERATOR_STARTUP_TIMEOUT", "30s");
    // the floor registers backup jobs only: so does the operator here, or their figures would differ
    env.put("OPERATOR_RESTORE_JOBS", "false");
    template.ifPresent(t -> env.put("OPERATOR_TEMPLATE", t.toAbsolutePath().toString()));
    env.putAll(extraEnv);
    return env;
  }

  /** The JVM flags compared: none (plain {@code java}), and those of {@code bench/jvm.options}. */
  private Map<String, List<String>> jvmConfigs() {
    Map<String, List<String>> configs = new LinkedHashMap<>();
    configs.put("default", List.of());
    if (o.cds) {
      List<String> tuned = new ArrayList<>(o.jvmFlags);
      tuned.add("-XX:SharedArchiveFile=" + o.work.resolve("operator.jsa"));
      tuned.add("-Xshare:auto");
      configs.put("tuned", tuned);
    }
    return configs;
  }

  /** A training run that dumps the classes the operator loads, for class-data sharing. */
  private void makeCdsArchive() throws Exception {
    Path jsa = o.work.resolve("operator.jsa");
    Files.deleteIfExists(jsa);
    List<String> flags = new ArrayList<>(o.jvmFlags);
    flags.add("-XX:ArchiveClassesAtExit=" + jsa);
    try (OperatorProcess op = launch("cds-training", Map.of(), flags)) {
      op.awaitReady(Duration.ofMinutes(2));
      // one backup written and removed, so the classes of a reconcile are in the archive too
      ObjectNode source = source("cds-training");
      var answered = proxy.expect("backup-cds-training");
      direct.registerSource(source);
      answered.get(60, TimeUnit.SECONDS);
      direct.send("DELETE", "/v1/job/cds-training?purge=true", null);
      Thread.sleep(1000);
    }
    if (!Files.exists(jsa)) {
      throw new IOException("no class-data archive was written");
    }
    log("Class-data archive: %d MiB", Files.size(jsa) >> 20);
  }

  private Path revisedTemplate(int revision) throws IOException {
    String text;
    try (InputStream in = Bench.class.getResourceAsStream("/backup.nomad.tmpl")) {
      text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    String revised = text.replaceFirst("env \\{", "env {\n        BENCH_REVISION = \"" + revision + "\"");
    if (revised.equals(text)) {
      throw new IOException("the built-in template has no env block to revise");
    }
    Path file = o.work.resolve("template-" + revision + ".nomad.tmpl");
    Files.writeString(file, revised);
    return file;
  }

  static void log(String format, Object... args) {
    System.out.printf("[bench %tT] %s%n", System.currentTimeMillis(), String.format(format, args));
  }

  static String ms(long nanos) {
    return String.format("%.1f ms", nanos / 1e6);
  }

  static String ms(List<Long> nanos) {
    return ms(Stats.median(nanos)) + " (median of " + nanos.size() + ")";
  }

  /** A timed phase, the CPU time Nomad and the operator used meanwhile, and the backups still missing at its end. */
  record Burst(long nanos, long sourcesNanos, long nomadCpu, long operatorCpu, long missing) {}

  /** One burst size: each round's floor and operator, the floor with a stream reader, the footprint after. */
  static final class BurstSeries {
    final int jobs;
    final List<Burst> floors = new ArrayList<>();
    final List<Burst> operators = new ArrayList<>();
    Burst floorWatched;
    Footprint after;

    BurstSeries(int jobs) {
      this.jobs = jobs;
    }
  }

  /**
   * Sequential reactions: client-side latencies (source's registration answered → backup's
   * answered) and how much of each passed before the parse reached Nomad; server-side ones
   * (backup's {@code SubmitTime} − source's); the calls through the proxy, and the operator's CPU.
   */
  record Latency(List<Long> nanos, List<Long> beforeParse, List<Long> serverNanos, Map<String, Long> calls, int reactions,
      long operatorCpu, int rewritten) {
    static Latency concat(List<Latency> all) {
      List<Long> nanos = new ArrayList<>();
      List<Long> before = new ArrayList<>();
      List<Long> server = new ArrayList<>();
      Map<String, Long> calls = new java.util.TreeMap<>();
      int reactions = 0;
      long cpu = 0;
      int rewritten = 0;
      for (Latency l : all) {
        nanos.addAll(l.nanos());
        before.addAll(l.beforeParse());
        server.addAll(l.serverNanos());
        l.calls().forEach((k, v) -> calls.merge(k, v, Long::sum));
        reactions += l.reactions();
        cpu += l.operatorCpu();
        rewritten += l.rewritten();
      }
      return new Latency(nanos, before, server, calls, reactions, cpu, rewritten);
    }

    double callsPerReaction() {
      return (double) total(calls) / reactions;
    }
  }

  /** Process start → first backup registered, one figure per start, and the idle footprint after. */
  record FirstBackup(String launcher, List<Long> nanos, Footprint idle) {}

  /** Starts against a cluster of {@code jobs} jobs already right; {@code pages}: of 1,000, jobs and status Variables. */
  record ColdStart(long jobs, long pages, long readyNanos, Map<String, Long> callsAtReady, Map<String, Long> callsQuiet,
      long writes, Footprint footprint) {}

  record Startup(long readyNanos, Footprint footprint) {}

  record Footprint(long rss, long liveHeap, long committedHeap, long threads) {
    static Footprint median(List<Footprint> all) {
      return new Footprint(
          Stats.median(all.stream().map(Footprint::rss).toList()),
          Stats.median(all.stream().map(Footprint::liveHeap).toList()),
          Stats.median(all.stream().map(Footprint::committedHeap).toList()),
          Stats.median(all.stream().map(Footprint::threads).toList()));
    }
  }

  /** The parts of the suite, each selectable with {@code --<name>-only}. */
  enum Phase { STARTUP, LATENCY, BURST, TEMPLATE, COLD, STATUS }

  /** Command-line options; see {@code bench/run --help}. */
  static final class Options {
    Path nomad;
    Path work = Path.of("target/bench");
    Path out;
    String classpath;
    List<String> jvmFlags = List.of();
    Path jar = Path.of("target/nomad-backup-operator.jar");
    Path runtime;
    boolean cds = true;
    /** The phases asked for with {@code --<phase>-only}; none: every phase. */
    final java.util.EnumSet<Phase> phases = java.util.EnumSet.noneOf(Phase.class);
    int statusJobs = 500;
    int latencyJobs = 200;
    List<Integer> burstJobs = List.of(1000, 5000);
    int clusterJobs = 5000;
    int coldJobs = 20_000;
    int firstStarts = 5;
    int workers = OperatorConfig.DEFAULT_WORKERS;
    int registrars = 8;
    int startups = 5;
    int coldStarts = 3;
    int rounds = 2;
    /**
     * The template change has no target of its own and is the longest phase (about 3 min a run of
     * 5,000 backups on a busy 2-core machine, three runs a round): one round unless asked.
     */
    int templateRounds = 1;

    static Options parse(String[] args) throws IOException {
      Options o = new Options();
      for (int i = 0; i < args.length; i++) {
        String v = i + 1 < args.length ? args[i + 1] : null;
        switch (args[i]) {
          case "--nomad" -> o.nomad = Path.of(v);
          case "--work" -> o.work = Path.of(v);
          case "--out" -> o.out = Path.of(v);
          case "--classpath" -> o.classpath = v;
          case "--jvm-options" -> o.jvmFlags = readFlags(Path.of(v));
          case "--jar" -> o.jar = Path.of(v);
          case "--runtime" -> o.runtime = Path.of(v);
          case "--no-cds" -> { o.cds = false; i--; }
          case "--startup-only", "--latency-only", "--burst-only", "--template-only", "--cold-only", "--status-only" -> {
            o.phases.add(Phase.valueOf(args[i].substring(2, args[i].indexOf("-only")).toUpperCase(java.util.Locale.ROOT)));
            i--;
          }
          case "--status-jobs" -> o.statusJobs = Integer.parseInt(v);
          case "--latency-jobs" -> o.latencyJobs = Integer.parseInt(v);
          case "--burst-jobs" -> o.burstJobs = Arrays.stream(v.split(",")).map(String::trim).map(Integer::parseInt).toList();
          case "--cluster-jobs" -> o.clusterJobs = Integer.parseInt(v);
          case "--cold-jobs" -> o.coldJobs = Integer.parseInt(v);
          case "--first-starts" -> o.firstStarts = Integer.parseInt(v);
          case "--workers" -> o.workers = Integer.parseInt(v);
          case "--startups" -> o.startups = Integer.parseInt(v);
          case "--cold-starts" -> o.coldStarts = Integer.parseInt(v);
          case "--rounds" -> o.rounds = Integer.parseInt(v);
          case "--template-rounds" -> o.templateRounds = Integer.parseInt(v);
          default -> throw new IllegalArgumentException("unknown option " + args[i]);
        }
        i++;
      }
      if (o.nomad == null || o.classpath == null) {
        throw new IllegalArgumentException("--nomad and --classpath are required");
      }
      return o;
    }

    boolean runs(Phase phase) {
      return phases.isEmpty() || phases.contains(phase);
    }

    /** Whether a phase on the server-only agent runs (every phase but run status). */
    boolean runsMainAgent() {
      return phases.isEmpty() || !phases.equals(java.util.EnumSet.of(Phase.STATUS));
    }

    private static List<String> readFlags(Path file) throws IOException {
      List<String> flags = new ArrayList<>();
      for (String line : Files.readAllLines(file)) {
        String l = line.strip();
        if (!l.isEmpty() && !l.startsWith("#")) {
          flags.addAll(Arrays.asList(l.split("\\s+")));
        }
      }
      return flags;
    }
  }

  static final class Stats {
    /** The middle value, or the mean of the two middle ones. */
    static long median(List<Long> values) {
      long[] sorted = values.stream().mapToLong(Long::longValue).sorted().toArray();
      int n = sorted.length;
      return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    /** Nearest-rank percentile. */
    static long percentile(List<Long> values, double p) {
      long[] sorted = values.stream().mapToLong(Long::longValue).sorted().toArray();
      int rank = (int) Math.ceil(p / 100 * sorted.length);
      return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }
  }

}

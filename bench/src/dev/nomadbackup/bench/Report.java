package dev.nomadbackup.bench;

import dev.nomadbackup.bench.Bench.Burst;
import dev.nomadbackup.bench.Bench.BurstSeries;
import dev.nomadbackup.bench.Bench.ColdStart;
import dev.nomadbackup.bench.Bench.FirstBackup;
import dev.nomadbackup.bench.Bench.Footprint;
import dev.nomadbackup.bench.Bench.Options;
import dev.nomadbackup.bench.Bench.Startup;
import dev.nomadbackup.bench.Bench.Stats;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The figures of one run, as a terminal table and as {@code docs/benchmarks.md}. */
final class Report {
  /**
   * The Go original's figures, from issue #12's side-by-side run on this machine kind (Nomad
   * 1.11.3, 6 rounds): a reference column, not measured here.
   */
  private static final String GO_P50 = "3.9 ms";
  private static final long GO_P50_NANOS = 3_900_000L;
  private static final String GO_P99 = "7.9 ms";
  private static final long GO_CPU_PER_REACTION_NANOS = 530_000_000L / 210;
  /**
   * The cold start's calls that do not grow with the cluster: the agent's self and the leader, the
   * namespaces, the leader lock, the event stream, and the template's checks at start (a parse and a
   * validation per template shape: 4 + 4); 14 in all when this target was set. 20 leaves room for a
   * lock renewal or a retry, and is far below one call per job (20,000 here).
   */
  static final long COLD_CALLS_CONSTANT = 20;

  private final Options o;
  final long startedAt = System.nanoTime();
  final String loadAtStart = load();
  String loadAtEnd = "?";
  String nomadVersion = "?";
  final Map<String, Startup> startup = new LinkedHashMap<>();
  final List<FirstBackup> firstBackups = new ArrayList<>();
  Bench.Latency latencyFloor;
  Bench.Latency latencyOperator;
  final List<BurstSeries> bursts = new ArrayList<>();
  ColdStart coldManaged;
  Footprint shippedManaged;
  ColdStart cold;
  Footprint shippedCold;
  int templateJobs;
  final List<Burst> templateFloors = new ArrayList<>();
  final List<Burst> templateOperators = new ArrayList<>();
  Burst templateFloorWatched;
  RunStatus.Figures runStatus;
  /** The file this run replaces, to set this run's figures beside the last one's. */
  String previous = "";

  Report(Options o) {
    this.o = o;
  }

  /** One line of the table; {@code go} is the Go original's figure, for reference. */
  private record Row(String figure, String operator, String floor, String ratio, String target, String verdict, String go) {
    Row(String figure, String operator, String floor, String ratio, String target, String verdict) {
      this(figure, operator, floor, ratio, target, verdict, "");
    }
  }

  private List<Row> rows() {
    List<Row> rows = new ArrayList<>();
    if (!startup.isEmpty()) {
      startupRows(rows);
    }
    if (latencyFloor != null) {
      latencyRows(rows);
    }
    for (BurstSeries series : bursts) {
      burstRows(rows, series);
    }
    if (coldManaged != null) {
      coldRows(rows);
    }
    if (!templateOperators.isEmpty()) {
      templateRows(rows);
    }
    return rows;
  }

  private void startupRows(List<Row> rows) {
    for (FirstBackup f : firstBackups) {
      boolean shipped = f.launcher().equals(Bench.SHIPPED);
      long target = shipped ? 250_000_000L : 600_000_000L;
      long median = Stats.median(f.nanos());
      rows.add(new Row("Process start → first backup: " + launcherName(f.launcher()) + " (median of "
          + f.nanos().size() + ")", ms(median), "", "", "≤ " + ms0(target), met(median <= target), "23 ms"));
    }
    Startup tuned = tunedStartup();
    rows.add(new Row("Start → ready, empty cluster (bench's launch, median of " + o.startups + ")", s(tuned.readyNanos()),
        "", "", "< 1.5 s", met(tuned.readyNanos() < 1_500_000_000L)));
    rows.add(new Row("RSS at idle, empty cluster (bench's launch)", mib(tuned.footprint().rss()), "", "", "≤ 48 MiB",
        met(tuned.footprint().rss() <= 48L << 20), "11.5 MiB"));
    for (FirstBackup f : firstBackups) {
      rows.add(new Row("RSS at idle, one managed job: " + launcherName(f.launcher()), mib(f.idle().rss()), "", "", "≤ 48 MiB",
          met(f.idle().rss() <= 48L << 20), "11.5 MiB"));
    }
    rows.add(new Row("Threads at idle, empty cluster (bench's launch)", Long.toString(tuned.footprint().threads()), "", "",
        "≤ 12", met(tuned.footprint().threads() <= 12), "7"));
    for (FirstBackup f : firstBackups) {
      rows.add(new Row("Threads at idle, one managed job: " + launcherName(f.launcher()), Long.toString(f.idle().threads()),
          "", "", "≤ 12", met(f.idle().threads() <= 12), "7"));
    }
    rows.add(new Row("Heap live / committed: idle (bench's launch)", heap(tuned.footprint()), "", "", "", ""));
  }

  private void latencyRows(List<Row> rows) {
    Bench.Latency f = latencyFloor;
    Bench.Latency op = latencyOperator;
    if (!op.serverNanos().isEmpty() && !f.serverNanos().isEmpty()) {
      long sf50 = Stats.percentile(f.serverNanos(), 50);
      long sf99 = Stats.percentile(f.serverNanos(), 99);
      long so50 = Stats.percentile(op.serverNanos(), 50);
      long so99 = Stats.percentile(op.serverNanos(), 99);
      rows.add(new Row("Reaction p50, server-side, " + op.serverNanos().size() + " jobs one by one", ms(so50), ms(sf50),
          ratio(so50, sf50), "≤ 1.1×, ≤ " + GO_P50, met(so50 <= 1.1 * sf50 && so50 <= GO_P50_NANOS), GO_P50));
      rows.add(new Row("Reaction p99, server-side", ms(so99), ms(sf99), ratio(so99, sf99), "≤ 1.3×", met(so99 <= 1.3 * sf99),
          GO_P99));
    }
    long lf50 = Stats.percentile(f.nanos(), 50);
    long lf99 = Stats.percentile(f.nanos(), 99);
    long lo50 = Stats.percentile(op.nanos(), 50);
    long lo99 = Stats.percentile(op.nanos(), 99);
    rows.add(new Row("Reaction latency p50 (client-side, " + op.nanos().size() + " jobs)", ms(lo50), ms(lf50),
        ratio(lo50, lf50), "", ""));
    rows.add(new Row("… of which before the backup's parse reached Nomad (p50)",
        ms(Stats.percentile(op.beforeParse(), 50)), ms(Stats.percentile(f.beforeParse(), 50)), "", "", ""));
    rows.add(new Row("Reaction latency p99 (client-side)", ms(lo99), ms(lf99), ratio(lo99, lf99), "", ""));
    double opCalls = op.callsPerReaction();
    double floorCalls = f.callsPerReaction();
    rows.add(new Row("Nomad calls per new backup", fixed(opCalls), fixed(floorCalls),
        String.format(Locale.ROOT, "%.2f×", opCalls / floorCalls), "≤ floor", met(opCalls <= floorCalls + 0.05),
        "1 (parses HCL1 itself)"));
    long cpu = op.operatorCpu() / op.reactions();
    rows.add(new Row("Operator CPU per reaction (" + op.reactions() + " one by one)",
        String.format(Locale.ROOT, "%.2f ms", cpu / 1e6), "", "", "≤ 2.5 ms", met(cpu <= GO_CPU_PER_REACTION_NANOS),
        "2.5 ms (0.53 s / 210)"));
  }

  private void burstRows(List<Row> rows, BurstSeries series) {
    Burst floor = median(series.floors);
    Burst op = median(series.operators);
    long opMissing = series.operators.stream().mapToLong(Burst::missing).max().orElse(0);
    long floorMissing = series.floors.stream().mapToLong(Burst::missing).max().orElse(0);
    String n = String.format(Locale.ROOT, "%,d", series.jobs);
    rows.add(new Row("Burst: " + n + " opt-in jobs, until every backup exists", s(op.nanos()), s(floor.nanos()),
        ratio(op.nanos(), floor.nanos()), "≤ 1.1×", met(op.nanos() <= 1.1 * floor.nanos() && opMissing == 0),
        series.jobs == 1000 ? "5.2 s" : ""));
    rows.add(new Row("… backups missing at the end (after at most 5 min)", Long.toString(opMissing),
        Long.toString(floorMissing), "", "0", met(opMissing == 0)));
    rows.add(new Row("… floor with an event-stream reader attached", "", s(series.floorWatched.nanos()),
        ratio(op.nanos(), series.floorWatched.nanos()), "", ""));
    rows.add(new Row("… CPU used by Nomad + the operator (floor: Nomad; with a reader)", cpu(op),
        cpu(floor) + " (" + cpu(series.floorWatched) + ")", ratio(total(op), total(floor)), "", ""));
    rows.add(new Row("… RSS / threads after the burst", mib(series.after.rss()) + " / " + series.after.threads(), "", "", "", "",
        series.jobs == 1000 ? "15.8 MiB / –" : ""));
  }

  private void coldRows(List<Row> rows) {
    String managed = String.format(Locale.ROOT, "%,d", o.clusterJobs);
    Footprint m = coldManaged.footprint();
    rows.add(new Row("RSS with " + managed + " managed jobs (bench's launch)", mib(m.rss()), "", "", "≤ 64 MiB",
        met(m.rss() <= 64L << 20)));
    if (shippedManaged != null) {
      rows.add(new Row("RSS with " + managed + " managed jobs: shipped runtime", mib(shippedManaged.rss()), "", "",
          "≤ 64 MiB", met(shippedManaged.rss() <= 64L << 20)));
    }
    rows.add(new Row("… threads: bench's launch" + (shippedManaged == null ? "" : " / shipped runtime"),
        m.threads() + (shippedManaged == null ? "" : " / " + shippedManaged.threads()), "", "", "", ""));
    rows.add(new Row("… heap live / committed: bench's launch", heap(m), "", "", "", ""));
    if (cold == null) {
      return;
    }
    String jobs = String.format(Locale.ROOT, "%,d", o.coldJobs);
    rows.add(new Row("Cold start, " + jobs + " jobs already right: start → ready (median of " + o.coldStarts + ")",
        s(cold.readyNanos()), "", "", "< 5 s", met(cold.readyNanos() < 5_000_000_000L)));
    long atReady = Bench.total(cold.callsAtReady());
    long quiet = Bench.total(cold.callsQuiet());
    rows.add(new Row("… Nomad API calls until ready / until quiet", atReady + " / " + quiet, "", "",
        "≤ " + cold.pages() + " pages + " + COLD_CALLS_CONSTANT, met(quiet <= cold.pages() + COLD_CALLS_CONSTANT)));
    rows.add(new Row("… job writes", Long.toString(cold.writes()), "", "", "0", met(cold.writes() == 0)));
    rows.add(new Row("… RSS: bench's launch", mib(cold.footprint().rss()), "", "", "≤ 96 MiB",
        met(cold.footprint().rss() <= 96L << 20)));
    if (shippedCold != null) {
      rows.add(new Row("… RSS: shipped runtime", mib(shippedCold.rss()), "", "", "≤ 96 MiB",
          met(shippedCold.rss() <= 96L << 20)));
    }
    rows.add(new Row("… heap live / committed: bench's launch", heap(cold.footprint()), "", "", "", ""));
  }

  private void templateRows(List<Row> rows) {
    Burst templateFloor = median(templateFloors);
    Burst templateOperator = median(templateOperators);
    rows.add(new Row("Template change: " + String.format(Locale.ROOT, "%,d", templateJobs) + " backups updated (from start)",
        s(templateOperator.nanos()), s(templateFloor.nanos()), ratio(templateOperator.nanos(), templateFloor.nanos()), "", ""));
    rows.add(new Row("… floor with an event-stream reader attached", "", s(templateFloorWatched.nanos()),
        ratio(templateOperator.nanos(), templateFloorWatched.nanos()), "", ""));
    rows.add(new Row("… CPU used by Nomad + the operator (floor: Nomad; with a reader)", cpu(templateOperator),
        cpu(templateFloor) + " (" + cpu(templateFloorWatched) + ")", ratio(total(templateOperator), total(templateFloor)), "", ""));
  }

  private Startup tunedStartup() {
    return startup.getOrDefault("tuned", startup.get("default"));
  }

  /** How a launcher is named in the table: the command, and the Java it runs on. */
  private String launcherName(String launcher) {
    if (launcher.equals(Bench.SHIPPED)) {
      return "shipped runtime, Java " + shippedJava();
    }
    return "`java -jar`, Java " + System.getProperty("java.version");
  }

  /** The Java version the runtime image was linked from, from its {@code release} file. */
  private String shippedJava() {
    try {
      for (String line : Files.readAllLines(o.runtime.resolve("release"))) {
        if (line.startsWith("JAVA_VERSION=")) {
          return line.substring(13).replace("\"", "");
        }
      }
    } catch (IOException | RuntimeException e) {
      // an image without a release file is named without its version
    }
    return "?";
  }

  /** Run status at scale; the "floor" column holds Nomad's own figure where there is one. */
  private List<Row> statusRows() {
    RunStatus.Figures f = runStatus;
    List<Row> rows = new ArrayList<>();
    List<Long> l = f.latencies();
    long p50 = Stats.percentile(l, 50);
    long p99 = Stats.percentile(l, 99);
    long max = Stats.percentile(l, 100);
    long nomad = f.nomadCpu() + f.nomadChildCpu();
    rows.add(new Row(String.format(Locale.ROOT, "Run status: %d runs forced at once (forcing took)", f.jobs()),
        s(f.forceNanos()), "", "", "", ""));
    rows.add(new Row("… run's end → its status Variable written, p50 / p99 / max", ms(p50) + " / " + ms(p99) + " / " + ms(max),
        "", "", "< 30 s", met(max < 30_000_000_000L && f.wrongStatuses() == 0)));
    List<Long> lag = f.serverLags();
    rows.add(new Row("… of which Nomad's: run's end → its allocation's last ModifyTime, p50 / p99",
        ms(Stats.percentile(lag, 50)) + " / " + ms(Stats.percentile(lag, 99)), "", "", "", ""));
    rows.add(new Row("… last run's end → last status right", s(f.lastEndToLastStatus()), "", "", "< 30 s",
        met(f.lastEndToLastStatus() < 30_000_000_000L && f.wrongStatuses() == 0)));
    rows.add(new Row("… statuses not naming their run as succeeded", Long.toString(f.wrongStatuses()), "", "", "0",
        met(f.wrongStatuses() == 0)));
    rows.add(new Row("… CPU, operator vs Nomad (agent + its tasks), force → last status", s(f.operatorCpu()),
        s(f.nomadCpu()) + " + " + s(f.nomadChildCpu()), String.format(Locale.ROOT, "%.1f %%", 100.0 * f.operatorCpu() / nomad),
        "< 10 %", met(f.operatorCpu() < 0.1 * nomad)));
    rows.add(new Row("… status Variable writes per run", String.format(Locale.ROOT, "%.2f (at most %d for one job)",
        (double) f.statusWrites() / f.jobs(), f.maxWritesPerJob()), "", "", "≤ 1", met(f.maxWritesPerJob() <= 1)));
    return rows;
  }

  private static final String LINE = "%-72s %-24s %-16s %-7s %-22s %-7s %s%n";

  String table() {
    StringBuilder b = new StringBuilder();
    b.append(String.format(Locale.ROOT, LINE, "figure", "operator", "floor", "ratio", "target", "", "Go original (#12)"));
    List<Row> all = new ArrayList<>(rows());
    if (runStatus != null) {
      all.addAll(statusRows());
    }
    for (Row r : all) {
      b.append(String.format(Locale.ROOT, LINE, r.figure(), r.operator(), r.floor(), r.ratio(), r.target(),
          r.verdict().replace("*", ""), r.go()));
    }
    if (runStatus != null) {
      b.append(String.format(Locale.ROOT, "%nRun status: load %s; window %s; calls through the proxy:%n",
          runStatus.load(), s(runStatus.windowNanos())));
      runStatus.calls().forEach((k, v) -> b.append(String.format(Locale.ROOT, "  %6d  %s%n", v, k)));
    }
    if (latencyOperator != null) {
      b.append(String.format(Locale.ROOT, "%nNomad calls during the one-by-one reactions (operator: %d, floor: %d reactions):%n",
          latencyOperator.reactions(), latencyFloor.reactions()));
      callsSideBySide().forEach(line -> b.append("  ").append(line).append('\n'));
    }
    if (cold != null) {
      b.append(String.format(Locale.ROOT, "%nNomad API calls during a cold start with %,d jobs listed, until quiet:%n", cold.jobs()));
      cold.callsQuiet().forEach((k, v) -> b.append(String.format(Locale.ROOT, "  %6d  %s%n", v, k)));
    }
    for (FirstBackup f : firstBackups) {
      b.append(String.format(Locale.ROOT, "%nProcess start → first backup, %s, each start: %s%n", f.launcher(),
          String.join(", ", f.nanos().stream().map(Report::ms).toList())));
    }
    if (!startup.isEmpty()) {
      b.append(String.format(Locale.ROOT, "%nJVM flags compared (empty cluster, medians of %d starts):%n", o.startups));
      startup.forEach((name, s) -> b.append(String.format(Locale.ROOT, "  %-8s start → ready %s, RSS %s, heap %s, %d threads%n",
          name, s(s.readyNanos()), mib(s.footprint().rss()), heap(s.footprint()), s.footprint().threads())));
    }
    b.append(String.format(Locale.ROOT, "%nLoad average at the start: %s; at the end: %s%n", loadAtStart, loadAtEnd));
    return b.toString();
  }

  /** The one-by-one reactions' calls by request, operator beside floor, per reaction. */
  private List<String> callsSideBySide() {
    java.util.TreeSet<String> keys = new java.util.TreeSet<>(latencyOperator.calls().keySet());
    keys.addAll(latencyFloor.calls().keySet());
    List<String> lines = new ArrayList<>();
    for (String k : keys) {
      long op = latencyOperator.calls().getOrDefault(k, 0L);
      long floor = latencyFloor.calls().getOrDefault(k, 0L);
      lines.add(String.format(Locale.ROOT, "%6d (%.2f)  %6d (%.2f)  %s", op, (double) op / latencyOperator.reactions(), floor,
          (double) floor / latencyFloor.reactions(), k));
    }
    return lines;
  }

  String markdown() {
    StringBuilder b = new StringBuilder();
    b.append("# Benchmarks\n\n");
    b.append("Written by `bench/run` on ").append(LocalDate.now()).append(" from one run of ")
        .append(String.format(Locale.ROOT, "%.0f", (System.nanoTime() - startedAt) / 60e9)).append(" minutes. ")
        .append("Every figure is a median from that run, and every ratio divides the operator's figure by its floor's ")
        .append("from the same run, so the machine's noise mostly cancels out. The Go original's column is ")
        .append("issue #12's side-by-side run on this machine kind, for reference: it is not measured here.\n\n");
    b.append("| | |\n|---|---|\n");
    b.append("| machine | ").append(machine()).append(" |\n");
    b.append("| load average (1, 5, 15 min) | at the start ").append(loadOnly(loadAtStart)).append("; at the end ")
        .append(loadOnly(loadAtEnd)).append(" |\n");
    b.append("| Java | ").append(System.getProperty("java.vm.name")).append(' ')
        .append(System.getProperty("java.runtime.version")).append(o.runtime == null ? "" : "; the shipped runtime: Java "
            + shippedJava() + ", as `scripts/runtime-image` links it").append(" |\n");
    b.append("| Nomad | ").append(nomadVersion)
        .append(", one server-only agent on the same machine (no client: allocations stay pending)")
        .append(runStatus == null ? "" : "; for run status, another with a `raw_exec` client")
        .append(" |\n");
    b.append("| operator | ").append(o.workers).append(" workers (the default). *Bench's launch*: JVM flags `")
        .append(String.join(" ", o.jvmFlags)).append(o.cds ? "` plus a class-data archive" : "`")
        .append("; *`java -jar`*: no flags; *shipped runtime*: `target/runtime/bin/nomad-backup-operator` as it is |\n\n");
    b.append("""
        **The floor** is the same Nomad work done by the benchmark itself with no operator in between:
        for every backup job, the operator's own template renders the same HCL, and the benchmark sends
        the same `POST /v1/jobs/parse` and `POST /v1/jobs` (with `EnforceIndex`) the operator would,
        with as many workers as the operator has, through the same counting proxy. Source jobs are
        registered straight to Nomad by the benchmark in both cases (8 at a time in the bursts).

        """);
    b.append("| figure | operator | floor | ratio | target | | Go original (#12) |\n|---|---|---|---|---|---|---|\n");
    for (Row r : rows()) {
      b.append(markdownRow(r));
    }
    b.append(againstPrevious());
    if (runStatus != null) {
      b.append(statusMarkdown());
    }
    b.append("\n## Rounds\n\n")
        .append("Floor and operator took turns, ").append(o.rounds).append(" rounds each (the template change: ")
        .append(o.templateRounds).append("); the table shows medians. ")
        .append("Each round's figure:\n\n")
        .append("| | floor | operator |\n|---|---|---|\n");
    for (BurstSeries series : bursts) {
      b.append(String.format(Locale.ROOT, "| burst of %,d | ", series.jobs)).append(rounds(series.floors)).append(" | ")
          .append(rounds(series.operators)).append(" |\n");
    }
    b.append("| template change | ").append(rounds(templateFloors)).append(" | ").append(rounds(templateOperators))
        .append(" |\n");
    for (FirstBackup f : firstBackups) {
      b.append("| process start → first backup, ").append(launcherName(f.launcher())).append(" | | ")
          .append(String.join(", ", f.nanos().stream().map(Report::ms).toList())).append(" |\n");
    }
    b.append("\n## Nomad calls of the one-by-one reactions\n\n")
        .append("From the first timed source to the last, counted by the proxy (per reaction in brackets):\n\n")
        .append("| operator | floor | request |\n|---:|---:|---|\n");
    for (String line : callsSideBySide()) {
      String[] f = line.trim().split("\\s{2,}");
      b.append("| ").append(f[0]).append(" | ").append(f[1]).append(" | `").append(f[2]).append("` |\n");
    }
    b.append("\n## Nomad API calls during a cold start\n\n")
        .append(String.format(Locale.ROOT, "%,d jobs listed (sources and backups, all right); %d pages of 1,000 jobs and "
            + "status Variables; ", cold.jobs(), cold.pages()))
        .append("calls from the operator's start until the proxy saw none for a second, counted by the proxy ")
        .append(String.format(Locale.ROOT, "(%d of them until ready):%n%n", Bench.total(cold.callsAtReady())))
        .append("| calls | request |\n|---:|---|\n");
    cold.callsQuiet().forEach((k, v) -> b.append("| ").append(v).append(" | `").append(k).append("` |\n"));
    b.append(String.format(Locale.ROOT, """

        The target is O(pages): "met" when the calls are at most the pages plus %d, the calls a start
        makes whatever the cluster's size (the agent's self and leader, the namespaces, the leader lock,
        the event stream, the template's checks: 14 when this target was set), with room for a lock
        renewal or a retry, and far below one call per job.
        """, COLD_CALLS_CONSTANT));
    b.append("\n## JVM flags\n\nEmpty cluster, medians of ").append(o.startups).append(" starts each:\n\n")
        .append("| JVM | start → ready | RSS at idle | heap live / committed | threads |\n|---|---|---|---|---|\n");
    startup.forEach((name, s) -> b.append("| ").append(name.equals("default") ? "no flags" : "`bench/jvm.options` + class-data archive")
        .append(" | ").append(s(s.readyNanos())).append(" | ").append(mib(s.footprint().rss())).append(" | ")
        .append(heap(s.footprint())).append(" | ").append(s.footprint().threads()).append(" |\n"));
    b.append("\n## What each figure measures\n\n");
    b.append(String.format(Locale.ROOT, """
        - **Reaction, server-side**: one source job at a time (20 ms apart, after 10 untimed ones), the
          backup's `SubmitTime` minus the source's, both stamped by Nomad and read back from
          `GET /v1/job/<id>` after the phase, so no polling and no client is in them. The floor's backup
          is registered by the benchmark as soon as the source's registration is answered. A backup
          written twice (its `Version` is not 0) is left out, as its `SubmitTime` is the later write's.
        - **Reaction latency, client-side**: the same jobs, from Nomad's answer to the source's
          registration until Nomad answers the registration of its backup job, at the proxy.
        - **Nomad calls per new backup**: every call through the proxy during the timed reactions,
          lock renewals and status Variables included, divided by the reactions; "met" within 0.05 of
          the floor's 2 (a lock renewal in the phase is 0.005).
        - **Operator CPU per reaction**: the operator process's user + system time (`/proc/<pid>/stat`)
          from the first timed source until the proxy was quiet after the last, divided by the reactions.
        - **Bursts** (%s jobs): from the first source registration until the last backup
          registration is answered (each backup counted once). Sources go in 8 at a time, as fast as
          Nomad takes them. The floor's jobs are purged after each burst, the operator's stay: the
          operator's later bursts and the cold start have them in the cluster.
        - **Process start → first backup registered**: one opt-in job without a backup waits in Nomad;
          from the wall clock just before the process is started (`ProcessBuilder.start`) to the
          backup's `SubmitTime` (Nomad's clock, on the same machine). `java -jar` runs
          `target/nomad-backup-operator.jar` on the default JDK with no flags; the shipped runtime is
          `scripts/runtime-image target/nomad-backup-operator.jar target/runtime`, started as
          `target/runtime/bin/nomad-backup-operator`. Both get `PATH` and the `NOMAD_*` and `OPERATOR_*`
          variables only, and are stopped with SIGTERM. Their idle footprint is read 2 s later.
        - **Bench's launch**: the operator in the benchmark's own host process (`OperatorHost`, which
          can report its heap), with `bench/jvm.options` and a class-data archive; it runs every
          other figure.
        - **Cold start**: a new operator process against a cluster whose backups are all right, from
          launching the JVM until it is ready (first listing reconciled, queue drained, event stream
          connected); calls until then, and until the proxy saw no call for a second.
        - **Template change**: the backups after the template changed: the floor re-renders and
          registers every backup; the operator is started with a revised template, timed from
          launching the JVM until its last backup registration is answered. Every later phase runs
          with the last revision, so the cluster's backups stay right.
        - **Footprint**: resident set size and threads from the kernel (`/proc/<pid>/status`); for the
          bench's launch also the live heap after a full GC and the committed heap; 2 s after the
          operator became ready, finished the burst, or wrote its first backup.
        - **Run status** (on its own agent, with a client): from each run's end as Nomad recorded it
          (the last `FinishedAt` of its tasks) to its status Variable's `ModifyTime`, with the run's
          ID and `succeeded` in it; the CPU time of both processes (`/proc/<pid>/stat`) from the
          first force until the last status was right; status writes counted by the proxy, and 5 s
          more for any that come late.
        """, String.join(" and ", o.burstJobs.stream().map(n -> String.format(Locale.ROOT, "%,d", n)).toList())));
    b.append("\nRun it again with `bench/run` (about 30 minutes on 2 cores); it provisions Nomad as the tests do.\n");
    return b.toString();
  }

  private static String markdownRow(Row r) {
    return "| " + r.figure() + " | " + r.operator() + " | " + r.floor() + " | " + r.ratio() + " | " + r.target() + " | "
        + r.verdict() + " | " + r.go() + " |\n";
  }

  /** Every figure the file this run replaces also had (same name, brackets aside), beside this run's. */
  private String againstPrevious() {
    StringBuilder b = new StringBuilder();
    for (Row r : rows()) {
      if (r.figure().startsWith("…")) {
        continue; // a detail row's name means nothing without its parent
      }
      String key = key(r.figure());
      for (String line : previous.split("\n")) {
        String[] cells = line.split("\\|");
        if (cells.length > 4 && key(cells[1].strip()).equals(key) && !cells[2].isBlank()) {
          b.append("| ").append(r.figure()).append(" | ").append(figure(cells[2].strip(), cells[3].strip(), cells[4].strip()))
              .append(" | ").append(figure(r.operator(), r.floor(), r.ratio())).append(" |\n");
          break;
        }
      }
    }
    if (b.length() == 0) {
      return "";
    }
    return "\n## Against the previous run\n\n"
        + "The figures the operator's changes since then must not worsen by more than 5 %, as the previous "
        + "`docs/benchmarks.md` had them (same machine kind, another day's load) and as this run has them "
        + "(operator / floor = ratio). The ratio to this run's floor is the fairer comparison.\n\n"
        + "| figure | previous run | this run |\n|---|---|---|\n" + b;
  }

  private static String key(String figure) {
    return figure.replaceAll(" \\(.*", "").strip();
  }

  private static String figure(String operator, String floor, String ratio) {
    return floor.isEmpty() ? operator : operator + " / " + floor + " = " + ratio;
  }

  private String statusMarkdown() {
    RunStatus.Figures f = runStatus;
    StringBuilder b = new StringBuilder();
    b.append("\n## Run status at scale\n\n")
        .append(String.format(Locale.ROOT, """
            A second agent, server and `raw_exec` client in one (node: %,d MHz, %,d MiB for tasks), and
            %,d protected jobs whose backup job (the operator's own `OPERATOR_TEMPLATE`, in `RunStatus`)
            runs `/bin/true` with `cpu = %d`, `memory = 10`. Every backup job is forced at once
            (`PUT /v1/job/<id>/periodic/force`, 8 at a time); the figures run from the first force until
            every status Variable names its run as succeeded. A run's end is its task's `FinishedAt`, and
            the status's time is its Variable's `ModifyTime`, both as Nomad recorded them. Load average
            (1, 5, 15 min) when the last status was right: %s.

            """, f.nodeCpu(), f.nodeMemory(), f.jobs(), f.cpuPerTask(), loadOnly(f.load())));
    b.append("| figure | operator | Nomad | ratio | target | |\n|---|---|---|---|---|---|\n");
    for (Row r : statusRows()) {
      b.append("| ").append(r.figure()).append(" | ").append(r.operator()).append(" | ").append(r.floor())
          .append(" | ").append(r.ratio()).append(" | ").append(r.target()).append(" | ").append(r.verdict())
          .append(" |\n");
    }
    b.append(String.format(Locale.ROOT, """

        The operator's CPU is %.1f %% of the agent's own (without the `raw_exec` executors, which the
        agent starts for each task and which count as its children). Its Nomad calls over the %s, by the
        proxy:

        | calls | per run | request |
        |---:|---:|---|
        """, 100.0 * f.operatorCpu() / f.nomadCpu(), s(f.windowNanos())));
    f.calls().forEach((k, v) -> b.append("| ").append(v).append(" | ")
        .append(String.format(Locale.ROOT, "%.1f", (double) v / f.jobs())).append(" | `").append(k).append("` |\n"));
    b.append("""

        Where those calls come from: each run's job changes three times (pending, running, dead), and
        each change is a reconcile of the run's key that reads the run's job (an ID with a slash, which
        the job cache never answers) and its allocations; a run with no allocation yet also reads its
        evaluations, to tell pending from not placed. `GET /v1/jobs` is the commit wait of the event
        batches. One `PUT` per run is its status; the rest renew the leader lock.
        """);
    return b.toString();
  }

  private static String load() {
    try {
      return Files.readString(Path.of("/proc/loadavg")).trim();
    } catch (IOException e) {
      return "?";
    }
  }

  private static String loadOnly(String loadavg) {
    String[] f = loadavg.split(" ");
    return f.length >= 3 ? f[0] + ", " + f[1] + ", " + f[2] : loadavg;
  }

  private static String machine() {
    String cpu = "?";
    long memKb = 0;
    String os = "Linux";
    try {
      for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
        if (line.startsWith("model name")) {
          cpu = line.substring(line.indexOf(':') + 1).trim();
          break;
        }
      }
      for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
        if (line.startsWith("MemTotal:")) {
          memKb = Long.parseLong(line.replaceAll("[^0-9]", ""));
        }
      }
      for (String line : Files.readAllLines(Path.of("/etc/os-release"))) {
        if (line.startsWith("PRETTY_NAME=")) {
          os = line.substring(12).replace("\"", "");
        }
      }
    } catch (IOException | RuntimeException e) {
      // a machine without these files is described less precisely
    }
    return String.format(Locale.ROOT, "%s, %d cores, %d GiB, %s", cpu, Runtime.getRuntime().availableProcessors(),
        Math.round(memKb / 1024.0 / 1024.0), os);
  }

  private static String met(boolean ok) {
    return ok ? "met" : "**missed**";
  }

  static String ms(long nanos) {
    return String.format(Locale.ROOT, "%.1f ms", nanos / 1e6);
  }

  static String ms0(long nanos) {
    return String.format(Locale.ROOT, "%.0f ms", nanos / 1e6);
  }

  static String fixed(double v) {
    return String.format(Locale.ROOT, "%.2f", v);
  }

  static String s(long nanos) {
    return String.format(Locale.ROOT, "%.2f s", nanos / 1e9);
  }

  static String ratio(long a, long b) {
    return String.format(Locale.ROOT, "%.2f×", (double) a / b);
  }

  static String mib(long bytes) {
    return String.format(Locale.ROOT, "%.0f MiB", bytes / 1048576.0);
  }

  /** The medians of each figure over the rounds. */
  static Burst median(List<Burst> all) {
    return new Burst(
        Stats.median(all.stream().map(Burst::nanos).toList()),
        Stats.median(all.stream().map(Burst::sourcesNanos).toList()),
        Stats.median(all.stream().map(Burst::nomadCpu).toList()),
        Stats.median(all.stream().map(Burst::operatorCpu).toList()),
        all.stream().mapToLong(Burst::missing).max().orElse(0));
  }

  /** Each round's figure, for the details. */
  static String rounds(List<Burst> all) {
    return String.join(", ", all.stream().map(b -> s(b.nanos()) + (b.missing() == 0 ? "" : " (" + b.missing() + " missing)")).toList());
  }

  /** "Nomad + operator" CPU seconds. */
  static String cpu(Burst b) {
    return b.operatorCpu() == 0 ? s(b.nomadCpu()) : s(b.nomadCpu()) + " + " + s(b.operatorCpu());
  }

  static long total(Burst b) {
    return b.nomadCpu() + b.operatorCpu();
  }

  static String heap(Footprint f) {
    return mib(f.liveHeap()) + " / " + mib(f.committedHeap());
  }
}

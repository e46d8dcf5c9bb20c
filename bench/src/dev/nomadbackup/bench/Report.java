package dev.nomadbackup.bench;

import dev.nomadbackup.bench.Bench.Burst;
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
  private final Options o;
  String nomadVersion = "?";
  final Map<String, Startup> startup = new LinkedHashMap<>();
  Bench.Latency latencyFloor;
  Bench.Latency latencyOperator;
  final List<Burst> burstFloors = new ArrayList<>();
  final List<Burst> burstOperators = new ArrayList<>();
  Burst burstFloorWatched;
  Footprint afterBurst;
  long coldReady;
  Map<String, Long> coldCalls = Map.of();
  long coldWrites;
  Footprint managed;
  int templateJobs;
  final List<Burst> templateFloors = new ArrayList<>();
  final List<Burst> templateOperators = new ArrayList<>();
  Burst templateFloorWatched;
  long templateReady;
  RunStatus.Figures runStatus;
  /** The file this run replaces, to set this run's figures beside the last one's. */
  String previous = "";

  Report(Options o) {
    this.o = o;
  }

  private record Row(String figure, String operator, String floor, String ratio, String target, String verdict) {}

  private List<Row> rows() {
    List<Row> rows = new ArrayList<>();
    Burst burstFloor = median(burstFloors);
    Burst burstOperator = median(burstOperators);
    Burst templateFloor = median(templateFloors);
    Burst templateOperator = median(templateOperators);
    long lf50 = Stats.percentile(latencyFloor.nanos(), 50);
    long lf99 = Stats.percentile(latencyFloor.nanos(), 99);
    long lo50 = Stats.percentile(latencyOperator.nanos(), 50);
    long lo99 = Stats.percentile(latencyOperator.nanos(), 99);
    rows.add(new Row("Reaction latency p50 (" + latencyOperator.nanos().size() + " jobs)", ms(lo50), ms(lf50),
        ratio(lo50, lf50), "≤ 1.2×", met(lo50 <= 1.2 * lf50)));
    rows.add(new Row("… of which before the backup's parse reached Nomad (p50)",
        ms(Stats.percentile(latencyOperator.beforeParse(), 50)), ms(Stats.percentile(latencyFloor.beforeParse(), 50)),
        "", "", ""));
    rows.add(new Row("Reaction latency p99", ms(lo99), ms(lf99), ratio(lo99, lf99), "≤ 1.2×",
        met(lo99 <= 1.2 * lf99)));
    rows.add(new Row("Reaction latency p99 ÷ p50", String.format(Locale.ROOT, "%.2f", (double) lo99 / lo50),
        String.format(Locale.ROOT, "%.2f", (double) lf99 / lf50), "", "< 2", met(lo99 < 2 * lo50)));
    rows.add(new Row("Burst: " + String.format(Locale.ROOT, "%,d", o.burstJobs) + " opt-in jobs, until every backup exists",
        s(burstOperator.nanos()), s(burstFloor.nanos()), ratio(burstOperator.nanos(), burstFloor.nanos()),
        "≤ 1.2×", met(burstOperator.nanos() <= 1.2 * burstFloor.nanos())));
    rows.add(new Row("… floor with an event-stream reader attached", "", s(burstFloorWatched.nanos()),
        ratio(burstOperator.nanos(), burstFloorWatched.nanos()), "", ""));
    rows.add(new Row("… CPU used by Nomad + the operator (floor: Nomad; with a reader)", cpu(burstOperator),
        cpu(burstFloor) + " (" + cpu(burstFloorWatched) + ")", ratio(total(burstOperator), total(burstFloor)), "", ""));
    rows.add(new Row("Cold start, " + String.format(Locale.ROOT, "%,d", o.clusterJobs) + " jobs already right: start → ready",
        s(coldReady), "", "", "< 5 s", met(coldReady < 5_000_000_000L)));
    long calls = coldCalls.values().stream().mapToLong(Long::longValue).sum();
    long pages = coldCalls.getOrDefault("GET /v1/jobs", 0L);
    rows.add(new Row("Cold start: Nomad API calls", calls + " (" + pages + " listing pages)", "", "",
        "O(pages)", met(calls - pages < 10)));
    rows.add(new Row("Cold start: writes", Long.toString(coldWrites), "", "", "0", met(coldWrites == 0)));
    rows.add(new Row("Template change: " + String.format(Locale.ROOT, "%,d", templateJobs) + " backups updated (from start)",
        s(templateOperator.nanos()), s(templateFloor.nanos()), ratio(templateOperator.nanos(), templateFloor.nanos()), "", ""));
    rows.add(new Row("… floor with an event-stream reader attached", "", s(templateFloorWatched.nanos()),
        ratio(templateOperator.nanos(), templateFloorWatched.nanos()), "", ""));
    rows.add(new Row("… CPU used by Nomad + the operator (floor: Nomad; with a reader)", cpu(templateOperator),
        cpu(templateFloor) + " (" + cpu(templateFloorWatched) + ")", ratio(total(templateOperator), total(templateFloor)), "", ""));
    Startup tuned = startup.getOrDefault("tuned", startup.get("default"));
    rows.add(new Row("Start → ready, empty cluster (median of " + o.startups + ")", s(tuned.readyNanos()), "", "",
        "< 1.5 s", met(tuned.readyNanos() < 1_500_000_000L)));
    rows.add(new Row("RSS at idle, empty cluster", mib(tuned.footprint().rss()), "", "", "", ""));
    rows.add(new Row("RSS after the burst", mib(afterBurst.rss()), "", "", "", ""));
    rows.add(new Row("RSS with " + String.format(Locale.ROOT, "%,d", o.clusterJobs) + " managed jobs", mib(managed.rss()),
        "", "", "< 128 MiB", met(managed.rss() < 128L << 20)));
    rows.add(new Row("Heap live / committed: idle", heap(tuned.footprint()), "", "", "", ""));
    rows.add(new Row("Heap live / committed: after the burst", heap(afterBurst), "", "", "", ""));
    rows.add(new Row("Heap live / committed: " + String.format(Locale.ROOT, "%,d", o.clusterJobs) + " managed jobs",
        heap(managed), "", "", "", ""));
    rows.add(new Row("Threads: idle / after burst / " + String.format(Locale.ROOT, "%,d", o.clusterJobs) + " managed",
        tuned.footprint().threads() + " / " + afterBurst.threads() + " / " + managed.threads(), "", "", "", ""));
    return rows;
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

  String table() {
    StringBuilder b = new StringBuilder();
    b.append(String.format(Locale.ROOT, "%-62s %-26s %-10s %-7s %-9s %s%n", "figure", "operator", "floor", "ratio", "target", ""));
    List<Row> all = new ArrayList<>();
    if (latencyFloor != null) {
      all.addAll(rows());
    }
    if (runStatus != null) {
      all.addAll(statusRows());
    }
    for (Row r : all) {
      b.append(String.format(Locale.ROOT, "%-62s %-26s %-10s %-7s %-9s %s%n",
          r.figure(), r.operator(), r.floor(), r.ratio(), r.target(), r.verdict()));
    }
    if (runStatus != null) {
      b.append(String.format(Locale.ROOT, "%nRun status: load %s; window %s; calls through the proxy:%n",
          runStatus.load(), s(runStatus.windowNanos())));
      runStatus.calls().forEach((k, v) -> b.append(String.format(Locale.ROOT, "  %6d  %s%n", v, k)));
    }
    if (latencyFloor == null) {
      return b.toString();
    }
    b.append(String.format(Locale.ROOT, "%nNomad API calls during a cold start:%n"));
    coldCalls.forEach((k, v) -> b.append(String.format(Locale.ROOT, "  %6d  %s%n", v, k)));
    b.append(String.format(Locale.ROOT, "%nJVM flags compared (empty cluster, medians of %d starts):%n", o.startups));
    startup.forEach((name, s) -> b.append(String.format(Locale.ROOT, "  %-8s start → ready %s, RSS %s, heap %s, %d threads%n",
        name, s(s.readyNanos()), mib(s.footprint().rss()), heap(s.footprint()), s.footprint().threads())));
    return b.toString();
  }

  String markdown() {
    StringBuilder b = new StringBuilder();
    b.append("# Benchmarks\n\n");
    b.append("Written by `bench/run` on ").append(LocalDate.now()).append(" from one run. ")
        .append("Every figure is a median from that run, and every ratio divides the operator's figure by its floor's ")
        .append("from the same run, so the machine's noise mostly cancels out.\n\n");
    b.append("| | |\n|---|---|\n");
    b.append("| machine | ").append(machine()).append(" |\n");
    b.append("| Java | ").append(System.getProperty("java.vm.name")).append(' ')
        .append(System.getProperty("java.runtime.version")).append(" |\n");
    b.append("| Nomad | ").append(nomadVersion)
        .append(", one server-only agent on the same machine (no client: allocations stay pending)")
        .append(runStatus == null ? "" : "; for run status, another with a `raw_exec` client")
        .append(" |\n");
    b.append("| operator | ").append(o.workers).append(" workers (the default); JVM flags `")
        .append(String.join(" ", o.jvmFlags)).append(o.cds ? "` plus a class-data archive" : "`").append(" |\n\n");
    b.append("""
        **The floor** is the same Nomad work done by the benchmark itself with no operator in between:
        for every backup job, the operator's own template renders the same HCL, and the benchmark sends
        the same `POST /v1/jobs/parse` and `POST /v1/jobs` (with `EnforceIndex`) the operator would,
        with as many workers as the operator has, through the same counting proxy. A backup counts as
        *readable* when Nomad answers its registration. Source jobs are registered straight to Nomad
        by the benchmark in both cases (8 at a time in the burst).

        """);
    b.append("| figure | operator | floor | ratio | target | |\n|---|---|---|---|---|---|\n");
    for (Row r : rows()) {
      b.append("| ").append(r.figure()).append(" | ").append(r.operator()).append(" | ").append(r.floor())
          .append(" | ").append(r.ratio()).append(" | ").append(r.target()).append(" | ").append(r.verdict())
          .append(" |\n");
    }
    b.append(againstPrevious());
    if (runStatus != null) {
      b.append(statusMarkdown());
    }
    b.append("\n## Rounds\n\n")
        .append("Floor and operator took turns, ").append(o.rounds).append(" rounds each; the table shows medians. ")
        .append("Each round's figure:\n\n")
        .append("| | floor | operator |\n|---|---|---|\n")
        .append("| burst | ").append(rounds(burstFloors)).append(" | ").append(rounds(burstOperators)).append(" |\n")
        .append("| template change | ").append(rounds(templateFloors)).append(" | ").append(rounds(templateOperators))
        .append(" |\n");
    b.append("\n## Nomad API calls during a cold start\n\n")
        .append(String.format(Locale.ROOT, "%,d source jobs and their %,d backups, all already right; ", o.clusterJobs, o.clusterJobs))
        .append("calls from the operator's start until it is ready, counted by the proxy:\n\n")
        .append("| calls | request |\n|---:|---|\n");
    coldCalls.forEach((k, v) -> b.append("| ").append(v).append(" | `").append(k).append("` |\n"));
    b.append("\n## JVM flags\n\nEmpty cluster, medians of ").append(o.startups).append(" starts each:\n\n")
        .append("| JVM | start → ready | RSS at idle | heap live / committed | threads |\n|---|---|---|---|---|\n");
    startup.forEach((name, s) -> b.append("| ").append(name.equals("default") ? "no flags" : "`bench/jvm.options` + class-data archive")
        .append(" | ").append(s(s.readyNanos())).append(" | ").append(mib(s.footprint().rss())).append(" | ")
        .append(heap(s.footprint())).append(" | ").append(s.footprint().threads()).append(" |\n"));
    b.append("\n## What each figure measures\n\n");
    b.append("""
        - **Reaction latency**: one source job at a time (20 ms apart), from Nomad's answer to its
          registration until Nomad answers the registration of its backup job.
        - **Burst**: from the first source registration until the last backup registration is
          answered. Sources go in 8 at a time, as fast as Nomad takes them.
        - **Cold start**: a new operator process against a cluster whose backups are all right, from
          launching the JVM until it is ready (first listing reconciled, queue drained, event stream
          connected).
        - **Template change**: the same jobs after the template changed: the floor re-renders and
          registers every backup; the operator is started with a revised template, timed from
          launching the JVM until its last backup registration is answered.
        - **Footprint**: resident set size from the kernel, live heap after a full GC, committed heap
          and threads, 2 s after the operator became ready or finished the burst.
        - **Run status** (on its own agent, with a client): from each run's end as Nomad recorded it
          (the last `FinishedAt` of its tasks) to its status Variable's `ModifyTime`, with the run's
          ID and `succeeded` in it; the CPU time of both processes (`/proc/<pid>/stat`) from the
          first force until the last status was right; status writes counted by the proxy, and 5 s
          more for any that come late.
        """);
    b.append("""

        ## What the operator's figures rest on

        - **A cache of jobs** (`JobCache`), fed by the listings, the event stream and the operator's own
          writes, every piece of news with the Raft index it is valid at. A reconcile reads nothing from
          Nomad unless the cache does not know: after a deregistration (stopped and purged look alike
          in an event), after a failure, for a job ID with a slash, and for a listed job without
          job-level backup keys (its groups' and tasks' meta might hold some, and a listing stub has no
          groups; one read per job version). The region, which stubs lack, is the agent's or
          `NOMAD_REGION`. So a cold start is the listing pages and no reads, and an event costs no
          read either.
        - **No gzip between the operator and Nomad.** The HTTP client asked for compressed answers, and
          compressing a parsed job cost Nomad's leader more CPU than the parse itself (1.25 ms of CPU
          per parse, +0.7 to 1.4 ms with gzip, measured on the pinned agent).
        - **The commit wait skips what an answer already showed.** Before it queues the keys of an
          event, the operator waits until Nomad has committed the event's index (a blocking list
          query); it now skips that call when an earlier answer, such as that of its own write,
          already reflected the index. That took about 4,400 of the 5,000 extra calls out of a
          template change.
        - **Run tracking's own calls.** Each leadership term starts by reading every status Variable,
          one `GET /v1/var` per protected job (Nomad lists Variables without their items), before the
          controller starts; that is the cold start's reads of Variables. A job protected for the
          first time costs a read of its Variable (404) and a write. Neither was there before run status.
        - **JVM flags** (`bench/jvm.options`) and a class-data archive: see the table above.

        A parse cache keyed by the rendered text's hash was not built: every rendering in these runs is
        new text (the job's ID is in it), and a rendering that matches the backup's stored hash is
        never parsed at all, so such a cache would hit nothing here.
        """);
    b.append("\nRun it again with `bench/run` (about 10 minutes); it provisions Nomad as the tests do.\n");
    return b.toString();
  }

  /** The figures reaction latency and burst had in the file this run replaces, beside this run's. */
  private String againstPrevious() {
    List<String> figures = List.of("Reaction latency p50", "Reaction latency p99", "Burst:");
    StringBuilder b = new StringBuilder();
    for (Row r : rows()) {
      if (figures.stream().noneMatch(r.figure()::startsWith) || r.figure().contains("÷")) {
        continue;
      }
      String key = r.figure().replaceAll(" \\(.*", "");
      for (String line : previous.split("\n")) {
        String[] cells = line.split("\\|");
        if (cells.length > 4 && cells[1].strip().startsWith(key)) {
          b.append("| ").append(r.figure()).append(" | ").append(cells[2].strip()).append(" / ").append(cells[3].strip())
              .append(" = ").append(cells[4].strip()).append(" | ").append(r.operator()).append(" / ").append(r.floor())
              .append(" = ").append(r.ratio()).append(" |\n");
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
        Stats.median(all.stream().map(Burst::operatorCpu).toList()));
  }

  /** Each round's figure, for the details. */
  static String rounds(List<Burst> all) {
    return String.join(", ", all.stream().map(b -> s(b.nanos())).toList());
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

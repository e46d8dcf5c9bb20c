package dev.nomadbackup;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nomadbackup.backup.BackupKeys;
import dev.nomadbackup.backup.BackupReconciler;
import dev.nomadbackup.backup.SpecCache;
import dev.nomadbackup.backup.template.TemplateCatalog;
import dev.nomadbackup.backup.template.TemplateException;
import dev.nomadbackup.config.ConfigException;
import dev.nomadbackup.config.GoDuration;
import dev.nomadbackup.config.NomadConfig;
import dev.nomadbackup.config.OperatorConfig;
import dev.nomadbackup.controller.Backoff;
import dev.nomadbackup.controller.Controller;
import dev.nomadbackup.controller.LeaderElection;
import dev.nomadbackup.controller.Lease;
import dev.nomadbackup.controller.Schedulers;
import dev.nomadbackup.nomad.Failures;
import dev.nomadbackup.nomad.Fence;
import dev.nomadbackup.nomad.FencedJobStore;
import dev.nomadbackup.nomad.FencedVariableStore;
import dev.nomadbackup.nomad.JobCache;
import dev.nomadbackup.nomad.NomadApiException;
import dev.nomadbackup.nomad.NomadClient;
import dev.nomadbackup.nomad.NomadLocks;
import dev.nomadbackup.status.RunTracker;
import dev.nomadbackup.status.StatusBook;
import dev.nomadbackup.web.HealthServer;
import dev.nomadbackup.web.StatusMetrics;
import dev.nomadbackup.web.OperatorMetrics;
import java.io.Closeable;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running operator, wired by hand: it connects, checks the template, serves health and metrics,
 * and competes for the leader lock; only while it holds the lock does a {@link Controller} run.
 */
public final class Operator implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Operator.class);

  private final NomadClient nomad;
  private final NomadLocks locks;
  private final OperatorMetrics metrics;
  private final LeaderElection election;
  private final Schedulers schedulers;
  private final LeaderElection.Listener term;
  private final boolean dryRun;
  private final Optional<HealthServer> health;
  private final StatusBook book;
  private final ScheduledExecutorService runs;
  /** How often the status digest is brought in line while leading (only what changed is written). */
  private static final Duration DIGEST_EVERY = Duration.ofSeconds(30);
  private volatile ScheduledFuture<?> digest;
  private volatile Controller controller;
  private final Object leadership = new Object();
  /** What the operator waits for before it competes for the lock; null once it does. */
  private volatile String waitingFor;

  private Operator(NomadClient nomad, NomadLocks locks, OperatorConfig config, TemplateCatalog templates,
      NomadConfig nomadConfig) throws IOException {
    this.nomad = nomad;
    this.metrics = new OperatorMetrics(() -> {
      Controller c = controller;
      return c == null ? 0 : c.queueDepth();
    });
    this.locks = locks;
    Clock clock = Clock.systemUTC();
    Lease lease = new Lease(config.lockTtl());
    // one scheduler for time keeping and the lock; status work on a thread that ends when idle
    this.schedulers = Schedulers.create();
    this.runs = schedulers.background();
    // every write passes the lease's fence: a paused leader that resumes writes nothing
    this.book = new StatusBook(config.dryRun() ? nomad : new FencedVariableStore(nomad, lease.current()), clock,
        config.dryRun(), runs);
    RunTracker tracker = new RunTracker(nomad, book, runs);
    StatusMetrics.register(metrics.registry(), book::all, clock);
    this.dryRun = config.dryRun();
    this.term = new LeaderElection.Listener() {
      @Override
      public void elected() {
        // in the background: a term's start waits for no status; a job seen first adopts its own
        runs.execute(() -> {
          try {
            book.load();
          } catch (IOException | RuntimeException e) {
            log.warn("Cannot read the stored backup statuses ({}); each is read when its job is next seen",
                Failures.describe(e));
          }
        });
        // timed by the scheduler, written by the background thread: a task due far ahead on the
        // background executor would keep its thread alive at idle
        digest = schedulers.scheduler().scheduleWithFixedDelay(() -> runs.execute(Operator.this::flushDigest),
            DIGEST_EVERY.toSeconds(), DIGEST_EVERY.toSeconds(), TimeUnit.SECONDS);
        JobCache jobs = new JobCache(); // one per term: a former leader's cache is stale
        Fence fence = config.dryRun() ? Fence.NONE : lease.fence();
        Controller c = new Controller(nomad, jobs, config,
            new BackupReconciler(new FencedJobStore(nomad, fence), templates, jobs, tracker, config.dryRun(),
                config.restoreJobs(), new SpecCache()),
            new BackupKeys(), metrics, schedulers);
        metrics.leading(true);
        c.start();
        synchronized (leadership) {
          controller = c;
          leadership.notifyAll();
        }
        log.info("Operator active: watching {} with {} workers, resync every {}{}",
            config.namespaces().contains(OperatorConfig.ALL_NAMESPACES)
                ? "all namespaces" : "namespaces " + String.join(", ", config.namespaces()),
            config.workers(), GoDuration.format(config.resyncInterval()),
            config.dryRun() ? " (dry run: nothing is written)" : "");
      }

      @Override
      public void deposed() {
        metrics.leading(false);
        Controller c = controller;
        controller = null;
        ScheduledFuture<?> d = digest;
        if (d != null) {
          d.cancel(false);
        }
        if (c != null) {
          c.close();
          log.info("Operator standing by");
        }
      }
    };
    this.election = new LeaderElection(locks, nomadConfig.namespace(), config.lockPath(), lease, config.lockTtl(),
        term, schedulers.scheduler());
    Optional<HealthServer> server = Optional.empty();
    if (config.httpAddress().isPresent()) {
      server = Optional.of(HealthServer.start(config.httpAddress().get(), this::status, metrics.registry(),
          new HealthServer.StatusSource(book::all, config.nomadUi().orElse(nomadConfig.address()), clock)));
      log.info("Health and metrics on port {}", server.get().port());
    }
    this.health = server;
    this.waitingFor = "waiting for Nomad at " + nomadConfig.location();
  }

  /** Connects, checks the template against Nomad, and starts competing for the leader lock. */
  public static Operator start(NomadConfig nomadConfig, OperatorConfig config) throws StartupException {
    TemplateCatalog templates;
    try {
      templates = TemplateCatalog.load(config.template());
    } catch (IOException | TemplateException e) {
      throw new StartupException(StartupException.BAD_TEMPLATE, "Cannot load the backup templates: " + e.getMessage());
    }
    NomadClient nomad;
    NomadLocks locks;
    try {
      // one connection per worker and event stream, and a few for listings and the namespace watch
      nomad = NomadClient.create(nomadConfig, config.workers() + config.namespaces().size() + 5);
    } catch (ConfigException e) {
      throw new StartupException(StartupException.BAD_CONFIG, "Bad configuration: " + e.getMessage());
    }
    try {
      locks = NomadLocks.create(nomadConfig);
    } catch (ConfigException e) {
      closeQuietly(nomad);
      throw new StartupException(StartupException.BAD_CONFIG, "Bad configuration: " + e.getMessage());
    }
    Operator operator;
    try {
      // health first: a liveness check must not kill an operator that waits for Nomad
      operator = new Operator(nomad, locks, config, templates, nomadConfig);
    } catch (IOException e) {
      closeQuietly(locks);
      closeQuietly(nomad);
      throw new StartupException(StartupException.BAD_CONFIG, "Cannot serve health and metrics: " + e.getMessage());
    }
    try {
      awaitNomad(nomad, config.startupTimeout());
      operator.waitingFor = "checking the backup templates";
      checkTemplates(nomad, templates, config);
      operator.waitingFor = null;
      if (operator.dryRun) {
        // a dry run previews without the lock: it must never keep the real operator from leading
        operator.schedulers.scheduler().execute(operator.term::elected);
      } else {
        operator.election.start();
      }
      return operator;
    } catch (StartupException | RuntimeException e) {
      operator.close();
      throw e;
    }
  }

  private static void checkTemplates(NomadClient nomad, TemplateCatalog templates, OperatorConfig config)
      throws StartupException {
    String namespace =
        config.namespaces().contains(OperatorConfig.ALL_NAMESPACES) ? "default" : config.namespaces().get(0);
    try {
      templates.check((ns, hcl) -> {
        try {
          // parsing alone misses what only validation sees, such as a time zone that does not exist
          ObjectNode job = nomad.parseJob(ns, hcl);
          List<String> problems;
          try {
            problems = nomad.validateJob(job);
          } catch (NomadApiException e) {
            if (!e.forbidden()) {
              throw e;
            }
            // validating needs submit-job; without it every write fails later with its own clear line
            log.warn("Cannot validate the templates at start: {}", e.getMessage());
            problems = List.of();
          }
          return problems.isEmpty() ? Optional.empty() : Optional.of(String.join("; ", problems));
        } catch (NomadApiException e) {
          if (e.status() == 400) {
            return Optional.of(NomadApiException.oneLine(e.body()));
          }
          throw e;
        }
      }, namespace);
    } catch (TemplateException e) {
      throw new StartupException(StartupException.BAD_TEMPLATE, "The backup template is broken: " + e.getMessage());
    } catch (NomadApiException e) {
      throw new StartupException(StartupException.NOMAD_UNREACHABLE,
          "Cannot check the backup template with Nomad in namespace " + namespace + ": " + e.getMessage());
    } catch (IOException e) {
      throw new StartupException(StartupException.NOMAD_UNREACHABLE,
          "Cannot check the backup template with Nomad: " + e.getMessage());
    }
  }

  private static void awaitNomad(NomadClient nomad, Duration timeout) throws StartupException {
    long deadline = System.nanoTime() + timeout.toNanos();
    Backoff backoff = Backoff.startup();
    int attempt = 0;
    String address = nomad.config().location();
    while (true) {
      String problem;
      try {
        String leader = nomad.leader();
        if (!leader.isEmpty()) {
          log.info("Connected to Nomad {} at {} (leader {})", nomad.agentVersion(), address, leader);
          return;
        }
        problem = "no cluster leader yet";
      } catch (IOException e) {
        problem = Failures.describe(e);
      }
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        throw new StartupException(
            StartupException.NOMAD_UNREACHABLE,
            "Nomad at " + address + " is not usable after " + GoDuration.format(timeout) + ": " + problem);
      }
      Duration wait = Duration.ofNanos(Math.min(left, backoff.delay(attempt++, ThreadLocalRandom.current()).toNanos()));
      log.warn("Nomad at {} is not usable yet ({}); next try in {}", address, problem, GoDuration.format(wait));
      try {
        Thread.sleep(wait.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new StartupException(StartupException.NOMAD_UNREACHABLE, "Interrupted while waiting for Nomad");
      }
    }
  }

  /** What {@code /health/ready} says. */
  public HealthServer.Status status() {
    String waiting = waitingFor;
    if (waiting != null) {
      return new HealthServer.Status(false, "starting: " + waiting);
    }
    Controller c = controller;
    if (c == null && election.leading()) {
      return new HealthServer.Status(false, "leading: starting to watch");
    }
    if (c != null && dryRun) {
      return c.ready()
          ? new HealthServer.Status(true, "dry run: caught up and watching, without the leader lock")
          : new HealthServer.Status(false, "dry run: catching up with the cluster");
    }
    if (c != null) {
      return c.ready()
          ? new HealthServer.Status(true, "leading: caught up and watching")
          : new HealthServer.Status(false, "leading: catching up with the cluster");
    }
    if (dryRun) {
      return new HealthServer.Status(false, "dry run: starting to watch");
    }
    if (election.decided()) {
      return new HealthServer.Status(true, "standby: another operator holds the lock");
    }
    String problem = election.problem();
    return new HealthServer.Status(false, problem.isEmpty()
        ? "starting: asking for the leader lock"
        : "cannot take the leader lock: " + problem);
  }

  /** True while this operator holds the leader lock and acts. */
  public boolean leading() {
    return election.leading();
  }

  /** The controller while leading, else empty. */
  public Optional<Controller> controller() {
    return Optional.ofNullable(controller);
  }

  /** Waits until this operator leads and has nothing left to do; false if that takes longer than {@code timeout}. */
  public boolean awaitIdle(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    Controller c;
    synchronized (leadership) {
      while ((c = controller) == null) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        leadership.wait(Math.max(1, left / 1_000_000));
      }
    }
    return c.awaitIdle(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
  }

  private void flushDigest() {
    try {
      book.flushDigest();
    } catch (IOException | RuntimeException e) {
      log.debug("Cannot write the status digest: {}", Failures.describe(e));
    }
  }

  /** Every protected job's backup status, as this operator knows it. */
  public StatusBook statuses() {
    return book;
  }

  public OperatorMetrics metrics() {
    return metrics;
  }

  /** The port of the health and metrics endpoint, if it runs. */
  public Optional<Integer> httpPort() {
    return health.map(HealthServer::port);
  }

  @Override
  public void close() {
    flushDigest(); // while the lease holds (a term's end fences its writes): the next leader starts from it
    election.stop(Duration.ofSeconds(30));
    if (dryRun) {
      term.deposed();
    }
    health.ifPresent(HealthServer::close);
    schedulers.close();
    closeQuietly(locks);
    closeQuietly(nomad);
    log.info("Operator stopped");
  }

  private static void closeQuietly(Closeable c) {
    try {
      c.close();
    } catch (IOException e) {
      log.debug("Closing: {}", e.getMessage());
    }
  }
}

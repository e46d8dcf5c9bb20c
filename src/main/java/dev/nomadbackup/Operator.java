package dev.nomadbackup;

import dev.nomadbackup.backup.BackupKeys;
import dev.nomadbackup.backup.BackupReconciler;
import dev.nomadbackup.backup.BackupTemplate;
import dev.nomadbackup.backup.TemplateException;
import dev.nomadbackup.backup.TemplateSource;
import dev.nomadbackup.config.GoDuration;
import dev.nomadbackup.config.NomadConfig;
import dev.nomadbackup.config.OperatorConfig;
import dev.nomadbackup.controller.Controller;
import dev.nomadbackup.nomad.NomadApiException;
import dev.nomadbackup.nomad.NomadClient;
import java.io.IOException;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A running operator: the composition root, wired by hand. */
public final class Operator implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Operator.class);
  private static final Duration FIRST_RETRY = Duration.ofSeconds(1);
  private static final Duration LONGEST_RETRY = Duration.ofSeconds(30);

  private final NomadClient nomad;
  private final Controller controller;

  private Operator(NomadClient nomad, Controller controller) {
    this.nomad = nomad;
    this.controller = controller;
  }

  /** Connects, checks the template against Nomad, and starts watching. */
  public static Operator start(NomadConfig nomadConfig, OperatorConfig config) throws StartupException {
    BackupTemplate template;
    try {
      template = TemplateSource.load(config.template());
    } catch (IOException | TemplateException e) {
      throw new StartupException(StartupException.BAD_TEMPLATE, "Cannot load the backup template: " + e.getMessage());
    }
    // one connection per worker and event stream, and a few for listings
    NomadClient nomad = NomadClient.create(nomadConfig, config.workers() + config.namespaces().size() + 4);
    try {
      awaitNomad(nomad, config.startupTimeout());
      String checkNamespace =
          config.namespaces().contains(OperatorConfig.ALL_NAMESPACES) ? "default" : config.namespaces().get(0);
      try {
        TemplateSource.check(template, nomad, checkNamespace);
      } catch (TemplateException e) {
        throw new StartupException(StartupException.BAD_TEMPLATE, "The backup template is broken: " + e.getMessage());
      } catch (NomadApiException e) {
        String hint = e.forbidden() ? " (the token needs parse-job or submit-job in namespace " + checkNamespace + ")" : "";
        throw new StartupException(StartupException.NOMAD_UNREACHABLE, "Cannot check the backup template with Nomad: " + e.getMessage() + hint);
      } catch (IOException e) {
        throw new StartupException(StartupException.NOMAD_UNREACHABLE, "Cannot check the backup template with Nomad: " + e.getMessage());
      }
      Controller controller =
          new Controller(nomad, config, new BackupReconciler(nomad, template), new BackupKeys());
      controller.start();
      log.info("Operator started: watching {} with {} workers, resync every {}",
          config.namespaces().contains(OperatorConfig.ALL_NAMESPACES) ? "all namespaces" : "namespaces " + String.join(", ", config.namespaces()),
          config.workers(), GoDuration.format(config.resyncInterval()));
      return new Operator(nomad, controller);
    } catch (StartupException | RuntimeException e) {
      closeQuietly(nomad);
      throw e;
    }
  }

  private static void awaitNomad(NomadClient nomad, Duration timeout) throws StartupException {
    long deadline = System.nanoTime() + timeout.toNanos();
    Duration delay = FIRST_RETRY;
    String address = nomad.config().address().toString();
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
        problem = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
      }
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        throw new StartupException(
            StartupException.NOMAD_UNREACHABLE,
            "Nomad at " + address + " is not usable after " + GoDuration.format(timeout) + ": " + problem);
      }
      Duration wait = Duration.ofNanos(Math.min(left, delay.toNanos()));
      log.warn("Nomad at {} is not usable yet ({}); next try in {} s", address, problem, wait.toSeconds());
      try {
        Thread.sleep(wait.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new StartupException(StartupException.NOMAD_UNREACHABLE, "Interrupted while waiting for Nomad");
      }
      delay = delay.multipliedBy(2).compareTo(LONGEST_RETRY) > 0 ? LONGEST_RETRY : delay.multipliedBy(2);
    }
  }

  public Controller controller() {
    return controller;
  }

  @Override
  public void close() {
    controller.close();
    closeQuietly(nomad);
    log.info("Operator stopped");
  }

  private static void closeQuietly(NomadClient nomad) {
    try {
      nomad.close();
    } catch (IOException e) {
      log.debug("Closing the Nomad client: {}", e.getMessage());
    }
  }
}

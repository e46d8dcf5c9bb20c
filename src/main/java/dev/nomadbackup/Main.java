package dev.nomadbackup;

import dev.nomadbackup.config.ConfigException;
import dev.nomadbackup.config.NomadConfig;
import dev.nomadbackup.config.OperatorConfig;
import dev.nomadbackup.status.StatusCommand;
import java.time.Clock;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

/**
 * Reads the environment, starts the operator, and runs until SIGTERM or SIGINT (then exits 0);
 * {@code status} prints the backup status instead (see {@link StatusCommand}).
 */
public final class Main {
  private static final Logger log = LoggerFactory.getLogger(Main.class);

  private Main() {}

  public static void main(String[] args) {
    if (args.length > 0 && args[0].equals("status")) {
      System.exit(StatusCommand.run(Arrays.asList(args).subList(1, args.length), System.getenv(), System.out,
          System.err, Clock.systemUTC()));
    }
    if (args.length > 0) {
      System.err.println("usage: nomad-backup-operator [status [namespace/job]]");
      System.exit(StartupException.BAD_CONFIG);
    }
    System.exit(run(System.getenv()));
  }

  static int run(Map<String, String> env) {
    NomadConfig nomadConfig;
    OperatorConfig config;
    try {
      nomadConfig = NomadConfig.fromEnvironment(env);
      config = OperatorConfig.fromEnvironment(env);
    } catch (ConfigException e) {
      log.error("Bad configuration: {}", e.getMessage());
      return StartupException.BAD_CONFIG;
    }
    CountDownLatch stop = new CountDownLatch(1);
    // Handle the signals ourselves: a JVM killed by SIGTERM exits 143, a clean stop should exit 0.
    Signal.handle(new Signal("TERM"), s -> stop.countDown());
    Signal.handle(new Signal("INT"), s -> stop.countDown());
    log.info("Starting nomad-backup-operator against {}", nomadConfig.location());
    try (Operator operator = Operator.start(nomadConfig, config)) {
      stop.await();
      log.info("Shutting down");
    } catch (StartupException e) {
      log.error("{}", e.getMessage());
      return e.exitCode();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return 0;
  }
}

package dev.nomadbackup.testing;

import dev.nomadbackup.Operator;
import dev.nomadbackup.StartupException;
import dev.nomadbackup.config.NomadConfig;
import dev.nomadbackup.config.OperatorConfig;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/** Starts the operator in this JVM against a test agent, with its log captured. */
public final class OperatorRun implements AutoCloseable {
  /** Put {@code "false"} under this key in the extra env to return without waiting for readiness. */
  public static final String AWAIT_READY = "test.await-ready";

  public final Operator operator;
  public final LogCapture log;

  private OperatorRun(Operator operator, LogCapture log) {
    this.operator = operator;
    this.log = log;
  }

  public static OperatorRun start(NomadAgent agent, Map<String, String> extraEnv) throws StartupException {
    return start(agent, agent.operatorToken(), extraEnv);
  }

  public static OperatorRun start(NomadAgent agent, Optional<String> token, Map<String, String> extraEnv)
      throws StartupException {
    return start(agent, token, extraEnv, LogCapture.attach());
  }

  private static OperatorRun start(NomadAgent agent, Optional<String> token, Map<String, String> extraEnv,
      LogCapture log) throws StartupException {
    Map<String, String> env = new HashMap<>(agent.env(token));
    env.putIfAbsent("OPERATOR_STARTUP_TIMEOUT", "20s");
    env.putIfAbsent("OPERATOR_HTTP_ADDR", "127.0.0.1:0");
    env.putAll(extraEnv);
    try {
      Operator operator = Operator.start(NomadConfig.fromEnvironment(env), OperatorConfig.fromEnvironment(env));
      OperatorRun run = new OperatorRun(operator, log);
      if (!"false".equals(extraEnv.get(AWAIT_READY))) {
        // as a user would: wait for /health/ready before changing jobs
        Waits.eventually(() -> org.junit.jupiter.api.Assertions.assertTrue(
            operator.status().ready(), () -> "not ready: " + operator.status().reason()));
      }
      return run;
    } catch (StartupException | RuntimeException e) {
      log.close();
      throw e;
    }
  }

  /** An operator that is starting on a thread of its own; its log is captured from the first line. */
  public record Starting(LogCapture log, CompletableFuture<OperatorRun> run) {}

  /**
   * Starts the operator on another thread and returns at once, for when Nomad is not there yet:
   * {@link Operator#start} keeps trying until Nomad answers or {@code OPERATOR_STARTUP_TIMEOUT}.
   * The future completes once the operator is ready, as {@link #start} returns.
   */
  public static Starting startInBackground(NomadAgent agent, Map<String, String> extraEnv) {
    LogCapture log = LogCapture.attach();
    CompletableFuture<OperatorRun> run = new CompletableFuture<>();
    Thread starter = new Thread(() -> {
      try {
        OperatorRun started = start(agent, agent.operatorToken(), extraEnv, log);
        if (!run.complete(started)) {
          started.close(); // nobody is waiting for it any more
        }
      } catch (StartupException | RuntimeException e) {
        log.close();
        run.completeExceptionally(e);
      }
    }, "operator-start");
    starter.setDaemon(true);
    starter.start();
    return new Starting(log, run);
  }

  public static OperatorRun start(NomadAgent agent) throws StartupException {
    return start(agent, new HashMap<>());
  }

  /** Waits until nothing is queued, in flight or waiting for a retry. */
  public boolean idle(Duration timeout) throws InterruptedException {
    return operator.awaitIdle(timeout);
  }

  @Override
  public void close() {
    operator.close();
    log.close();
  }
}

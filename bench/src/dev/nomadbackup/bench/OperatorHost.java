package dev.nomadbackup.bench;

import dev.nomadbackup.Operator;
import dev.nomadbackup.config.NomadConfig;
import dev.nomadbackup.config.OperatorConfig;
import dev.nomadbackup.controller.Controller;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * The operator's process in the benchmark: starts {@link Operator} as {@code Main} does, then
 * answers the benchmark on stdin: {@code heap} prints the heap in use after a full GC and the heap
 * committed; {@code stop} stops the operator and exits. With {@link OperatorProcess.Readiness#HOOK}
 * it also prints {@code BENCH READY} once the operator leads and is ready.
 */
public final class OperatorHost {
  private OperatorHost() {}

  public static void main(String[] args) throws Exception {
    long jvmStart = ManagementFactory.getRuntimeMXBean().getStartTime();
    long mainAt = System.currentTimeMillis();
    Map<String, String> env = System.getenv();
    Operator operator = Operator.start(NomadConfig.fromEnvironment(env), OperatorConfig.fromEnvironment(env));
    System.out.printf("bench: JVM start to main %d ms, Operator.start %d ms%n",
        mainAt - jvmStart, System.currentTimeMillis() - mainAt);
    if (OperatorProcess.READINESS == OperatorProcess.Readiness.HOOK) {
      // leading, every namespace listed and reconciled, every stream connected: what
      // GET /health/ready answers once it is leading
      while (!operator.controller().map(Controller::ready).orElse(false)) {
        Thread.sleep(2);
      }
      System.out.println("BENCH READY");
      System.out.flush();
    }
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    for (String line; (line = in.readLine()) != null; ) {
      switch (line.trim()) {
        case "heap" -> {
          MemoryUsage before = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
          System.gc();
          MemoryUsage after = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
          System.out.println("BENCH HEAP " + after.getUsed() + " " + before.getCommitted() + " " + before.getUsed());
          System.out.flush();
        }
        case "stop" -> {
          operator.close();
          System.out.println("BENCH STOPPED");
          System.out.flush();
          System.exit(0);
        }
        default -> { }
      }
    }
    operator.close();
    System.exit(0);
  }
}

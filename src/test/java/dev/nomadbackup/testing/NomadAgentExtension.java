package dev.nomadbackup.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.jupiter.api.extension.TestWatcher;

/**
 * Gives tests a real Nomad agent ({@link NomadAgent} parameter; {@link NomadAgent.Acl} for one with
 * ACLs; {@link NomadAgent.Client} for one whose client runs tasks with {@code raw_exec}). Each kind is started once per test JVM, on first use, and stopped when the JVM's tests are
 * done. The binary comes from {@code scripts/nomad-binary} (Maven runs it before the integration
 * tests); with {@code NOMAD_TEST_CONTAINER=true} the {@code hashicorp/nomad} image is started with
 * Testcontainers instead, where a Docker engine runs. When a test fails, the tail of the agent's log
 * is printed.
 */
public final class NomadAgentExtension implements ParameterResolver, TestWatcher {
  private static final ExtensionContext.Namespace STORE =
      ExtensionContext.Namespace.create(NomadAgentExtension.class);

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    return parameter.getParameter().getType() == NomadAgent.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    if (parameter.isAnnotated(NomadAgent.Client.class)) {
      return clientAgent(context, parameter.isAnnotated(NomadAgent.Acl.class));
    }
    boolean acl = parameter.isAnnotated(NomadAgent.Acl.class);
    return agent(context, acl);
  }

  private static final String CLIENT_AGENT = "nomad-agent-client";
  private static final String CLIENT_ACL_AGENT = "nomad-agent-client-acl";

  /**
   * An agent with a raw_exec client; ACLs when asked for, and in the policy run, where the
   * operator's token holds only acl/operator-policy.hcl, as on the plain agent.
   */
  static NomadAgent clientAgent(ExtensionContext context, boolean acl) {
    String name = acl ? CLIENT_ACL_AGENT : CLIENT_AGENT;
    NomadAgent agent =
        context.getRoot().getStore(STORE).getOrComputeIfAbsent(name, n -> startClient(n, acl), Started.class).agent();
    return running(agent, name);
  }

  private static Started startClient(String name, boolean acl) {
    Path binary = NomadBinary.locate();
    boolean policy = !acl && policyRun();
    LocalNomadAgent agent =
        new LocalNomadAgent(binary, Path.of("target", name).toAbsolutePath(), acl || policy, "").withRawExecClient();
    long started = System.nanoTime();
    startOrClose(agent, name, policy);
    System.out.printf("[nomad-test] %s: server + raw_exec client%s up at %s in %.1f s, log %s%n", name,
        acl ? " with ACLs" : policy ? " with ACLs, the operator on acl/operator-policy.hcl only" : "", agent.address(), (System.nanoTime() - started) / 1e9, agent.log());
    return new Started(agent);
  }

  /**
   * In the policy run ({@code -Dnomad.test.acl=policy}) the plain agent has ACLs too, and the
   * operator gets a token with only acl/operator-policy.hcl: the suite proves the policy is enough.
   */
  static boolean policyRun() {
    return "policy".equals(System.getProperty("nomad.test.acl"));
  }

  static NomadAgent agent(ExtensionContext context, boolean acl) {
    String name = acl ? "nomad-agent-acl" : "nomad-agent";
    NomadAgent agent =
        context.getRoot().getStore(STORE).getOrComputeIfAbsent(name, n -> start(n, acl), Started.class).agent();
    return running(agent, name);
  }

  /** {@code agent}, restarted first if it is a local one that a test stopped. */
  private static NomadAgent running(NomadAgent agent, String name) {
    if (agent instanceof LocalNomadAgent local) {
      try {
        local.ensureRunning();
      } catch (IOException e) {
        throw new ParameterResolutionException("cannot restart " + name + ": " + e.getMessage(), e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new ParameterResolutionException("interrupted while restarting " + name, e);
      }
    }
    return agent;
  }

  /** Stops the agent when the root context closes, at the end of the test run. */
  private record Started(NomadAgent agent) implements ExtensionContext.Store.CloseableResource, AutoCloseable {
    @Override
    public void close() throws Exception {
      ((AutoCloseable) agent).close();
    }
  }

  private static Started start(String name, boolean acl) {
    if ("true".equalsIgnoreCase(System.getenv("NOMAD_TEST_CONTAINER"))) {
      return new Started(ContainerNomadAgent.start(NomadVersion.pinned(), acl));
    }
    Path binary = NomadBinary.locate();
    System.out.printf(
        "[nomad-test] %s: local binary %s (Testcontainers path with the hashicorp/nomad image skipped:"
            + " set NOMAD_TEST_CONTAINER=true where a Docker engine runs)%n", name, binary);
    boolean policy = !acl && policyRun();
    LocalNomadAgent agent = new LocalNomadAgent(binary, Path.of("target", name).toAbsolutePath(), acl || policy, "");
    startOrClose(agent, name, policy);
    if (policy) {
      System.out.printf("[nomad-test] %s: ACLs on; the operator runs with acl/operator-policy.hcl only%n", name);
    }
    System.out.printf("[nomad-test] %s: up at %s, log %s%n", name, agent.address(), agent.log());
    return new Started(agent);
  }

  /**
   * Starts {@code agent} and, in the policy run, issues the operator's token; closes it again when
   * either fails.
   */
  private static void startOrClose(LocalNomadAgent agent, String name, boolean policy) {
    try {
      agent.start();
      if (policy) {
        agent.issueOperatorToken(Path.of("acl", "operator-policy.hcl"));
      }
    } catch (IOException e) {
      agent.close();
      throw new ParameterResolutionException("cannot start " + name + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      agent.close();
      Thread.currentThread().interrupt();
      throw new ParameterResolutionException("interrupted while starting " + name, e);
    }
  }

  @Override
  public void testFailed(ExtensionContext context, Throwable cause) {
    for (String name : new String[] {"nomad-agent", "nomad-agent-acl", CLIENT_AGENT, CLIENT_ACL_AGENT}) {
      Started started = context.getRoot().getStore(STORE).get(name, Started.class);
      if (started != null && started.agent() instanceof LocalNomadAgent local) {
        System.out.printf("[nomad-test] last lines of %s:%n%s%n", local.log(), local.tail(40));
      }
    }
    for (DedicatedNomadAgent dedicated : DedicatedNomadAgent.LIVE) {
      System.out.printf("[nomad-test] last lines of %s:%n%s%n", dedicated.log(), dedicated.tail(40));
    }
  }

  /** Finds the pinned binary: the file Maven wrote, {@code NOMAD_BINARY}, or the script itself. */
  static final class NomadBinary {
    private NomadBinary() {}

    static Path locate() {
      String file = System.getProperty("nomad.binary.file");
      try {
        if (file != null && Files.isRegularFile(Path.of(file))) {
          return Path.of(Files.readString(Path.of(file), StandardCharsets.UTF_8).strip());
        }
        String env = System.getenv("NOMAD_BINARY");
        if (env != null && !env.isBlank()) {
          return Path.of(env);
        }
        Process p =
            new ProcessBuilder("scripts/nomad-binary")
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        if (p.waitFor() != 0 || out.isEmpty()) {
          throw new ParameterResolutionException("scripts/nomad-binary failed; see its output above");
        }
        return Path.of(out);
      } catch (IOException e) {
        throw new ParameterResolutionException("cannot locate the Nomad binary: " + e.getMessage(), e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new ParameterResolutionException("interrupted", e);
      }
    }
  }

  /** The Nomad version the build pins ({@code nomad.version} in the pom). */
  static final class NomadVersion {
    private NomadVersion() {}

    static String pinned() {
      return Optional.ofNullable(System.getProperty("nomad.version")).orElse("1.11.3");
    }
  }
}

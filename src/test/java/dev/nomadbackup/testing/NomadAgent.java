package dev.nomadbackup.testing;

import dev.nomadbackup.config.NomadConfig;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.net.URI;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/** A real Nomad agent that tests talk to, started once per test JVM by {@link NomadAgentExtension}. */
public interface NomadAgent {

  /** Put on a {@link NomadAgent} parameter to get the agent with ACLs enabled and bootstrapped. */
  @Target(ElementType.PARAMETER)
  @Retention(RetentionPolicy.RUNTIME)
  @interface Acl {}

  /**
   * Put on a {@link NomadAgent} parameter to get an agent that runs tasks: server and client in
   * one, with the {@code raw_exec} driver, no ACLs. A separate agent from the others, started on
   * first use and shared by the JVM's tests. With {@link Acl} as well, another such agent, with
   * ACLs enabled and bootstrapped.
   */
  @Target(ElementType.PARAMETER)
  @Retention(RetentionPolicy.RUNTIME)
  @interface Client {}

  URI address();

  /** The management token on an ACL agent. */
  Optional<String> managementToken();

  /**
   * The token the operator runs with: the management token, except in the suite's policy run
   * ({@code -Dnomad.test.acl=policy}), where it is a client token holding only
   * acl/operator-policy.hcl.
   */
  default Optional<String> operatorToken() {
    return managementToken();
  }

  /** The environment the operator gets to reach this agent, with {@link #operatorToken()}. */
  default Map<String, String> operatorEnv() {
    return env(operatorToken());
  }

  /** The agent's log file. */
  Path log();

  /** A test-side client with the management token (if any); independent of the operator's code. */
  TestNomad api();

  /** The environment the operator would get to reach this agent with {@code token}. */
  default Map<String, String> env(Optional<String> token) {
    Map<String, String> env = new HashMap<>();
    env.put("NOMAD_ADDR", address().toString());
    token.ifPresent(t -> env.put("NOMAD_TOKEN", t));
    return env;
  }

  /** The operator's configuration to reach this agent as its manager. */
  default NomadConfig config() {
    return NomadConfig.fromEnvironment(env(managementToken()));
  }
}

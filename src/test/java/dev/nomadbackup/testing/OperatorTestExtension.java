package dev.nomadbackup.testing;

import dev.nomadbackup.StartupException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Owns what a test starts on the shared agent and tidies it up afterwards, so that tests need no
 * clean-up of their own. It resolves two parameters, each on the plain agent or, with {@link
 * NomadAgent.Acl}, the one with ACLs:
 *
 * <ul>
 *   <li>{@link TestNomad}: a client that notes every job it runs or registers; after the test each
 *       of them is purged, with its backup job and its children;
 *   <li>{@link OperatorRun}: the operator with the default settings, started and ready before the
 *       test and stopped after it, before the jobs are purged so that it sees none of that.
 * </ul>
 *
 * Use it through {@link OperatorTest}; for an agent of the test class's own, register it in a field
 * ({@code @RegisterExtension final OperatorTestExtension cleanup = new OperatorTestExtension();})
 * and hand it that agent's client with {@link #track}.
 */
public final class OperatorTestExtension implements ParameterResolver, AfterEachCallback {
  private static final ExtensionContext.Namespace STORE =
      ExtensionContext.Namespace.create(OperatorTestExtension.class);

  private final JobLedger tracked = new JobLedger();

  /** {@code nomad}, noting the jobs it runs so that they are purged after the test. */
  public TestNomad track(TestNomad nomad) {
    return nomad.noting(tracked);
  }

  /** What one test started. */
  private static final class Owned {
    final JobLedger jobs = new JobLedger();
    final List<OperatorRun> operators = new ArrayList<>();
  }

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    Class<?> type = parameter.getParameter().getType();
    return type == TestNomad.class || type == OperatorRun.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    NomadAgent agent = NomadAgentExtension.agent(context, parameter.isAnnotated(NomadAgent.Acl.class));
    Owned owned = owned(context);
    if (parameter.getParameter().getType() == TestNomad.class) {
      return agent.api().noting(owned.jobs);
    }
    try {
      OperatorRun run = OperatorRun.start(agent);
      owned.operators.add(run);
      return run;
    } catch (StartupException e) {
      throw new ParameterResolutionException("the operator did not start: " + e.getMessage(), e);
    }
  }

  @Override
  public void afterEach(ExtensionContext context) {
    Owned owned = context.getStore(STORE).remove(Owned.class, Owned.class);
    if (owned != null) {
      owned.operators.forEach(OperatorRun::close);
      owned.jobs.purgeAll();
    }
    tracked.purgeAll();
  }

  private static Owned owned(ExtensionContext context) {
    return context.getStore(STORE).getOrComputeIfAbsent(Owned.class, k -> new Owned(), Owned.class);
  }
}

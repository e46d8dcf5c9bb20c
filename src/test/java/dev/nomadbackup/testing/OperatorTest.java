package dev.nomadbackup.testing;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A test class against a real Nomad agent: {@link NomadAgent} parameters from {@link
 * NomadAgentExtension}, and {@link TestNomad} and {@link OperatorRun} parameters that {@link
 * OperatorTestExtension} cleans up after each test.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@ExtendWith({NomadAgentExtension.class, OperatorTestExtension.class})
public @interface OperatorTest {}

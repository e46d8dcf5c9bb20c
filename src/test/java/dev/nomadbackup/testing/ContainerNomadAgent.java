package dev.nomadbackup.testing;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;

/** The {@code hashicorp/nomad} image in Docker, for machines with a Docker engine and no binary. */
final class ContainerNomadAgent implements NomadAgent, AutoCloseable {
  private final GenericContainer<?> container;
  private final Optional<String> token;

  private ContainerNomadAgent(GenericContainer<?> container, Optional<String> token) {
    this.container = container;
    this.token = token;
  }

  static ContainerNomadAgent start(String version, boolean acl) {
    if (!DockerClientFactory.instance().isDockerAvailable()) {
      throw new ParameterResolutionException(
          "NOMAD_TEST_CONTAINER=true but no Docker engine is reachable; unset it to use the local binary");
    }
    String config = acl ? "acl { enabled = true }" : "";
    GenericContainer<?> c =
        new GenericContainer<>("hashicorp/nomad:" + version)
            .withCommand("agent", "-dev", "-bind=0.0.0.0", "-config=/tmp/extra.hcl")
            .withCopyToContainer(
                org.testcontainers.images.builder.Transferable.of(config), "/tmp/extra.hcl")
            .withExposedPorts(4646)
            .waitingFor(
                Wait.forHttp("/v1/status/leader")
                    .forResponsePredicate(body -> body.length() > 2)
                    .withStartupTimeout(Duration.ofSeconds(90)));
    c.start();
    ContainerNomadAgent agent = new ContainerNomadAgent(c, Optional.empty());
    if (!acl) {
      return agent;
    }
    String secret = UUID.randomUUID().toString();
    agent.api()
        .send("POST", "/v1/acl/bootstrap",
            new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode().put("BootstrapSecret", secret));
    return new ContainerNomadAgent(c, Optional.of(secret));
  }

  @Override
  public URI address() {
    return URI.create("http://" + container.getHost() + ":" + container.getMappedPort(4646));
  }

  @Override
  public Optional<String> managementToken() {
    return token;
  }

  @Override
  public Path log() {
    return Path.of("target", "nomad-container.log");
  }

  @Override
  public TestNomad api() {
    return new TestNomad(address(), token);
  }

  @Override
  public void close() {
    container.stop();
  }
}

package dev.nomadbackup.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ConfigTest {

  @Test
  void defaultsMatchTheNomadCli() {
    NomadConfig c = NomadConfig.fromEnvironment(Map.of());
    assertEquals("http://127.0.0.1:4646", c.address().toString());
    assertTrue(c.token().isEmpty());
    assertFalse(c.tls().skipVerify());
  }

  @Test
  void readsEveryNomadVariable() {
    NomadConfig c =
        NomadConfig.fromEnvironment(
            Map.of(
                "NOMAD_ADDR", "https://nomad.example:4646/",
                "NOMAD_TOKEN", "secret",
                "NOMAD_REGION", "eu",
                "NOMAD_HTTP_AUTH", "user:pass",
                "NOMAD_CACERT", "ca.pem",
                "NOMAD_CLIENT_CERT", "cli.pem",
                "NOMAD_CLIENT_KEY", "cli-key.pem",
                "NOMAD_TLS_SERVER_NAME", "server.global.nomad",
                "NOMAD_SKIP_VERIFY", "true"));
    assertEquals("https://nomad.example:4646", c.address().toString());
    assertEquals(Optional.of("secret"), c.token());
    assertEquals(Optional.of("eu"), c.region());
    assertEquals(Optional.of("user:pass"), c.httpAuth());
    assertEquals(Optional.of("server.global.nomad"), c.tls().serverName());
    assertTrue(c.tls().skipVerify());
    assertFalse(c.toString().contains("secret"), "the token must never be printed");
  }

  @Test
  void acceptsHostAndPortWithoutScheme() {
    assertEquals("http://10.0.0.1:4646", NomadConfig.fromEnvironment(Map.of("NOMAD_ADDR", "10.0.0.1:4646")).address().toString());
  }

  @Test
  void rejectsAClientCertWithoutKey() {
    ConfigException e =
        assertThrows(ConfigException.class, () -> NomadConfig.fromEnvironment(Map.of("NOMAD_CLIENT_CERT", "c.pem")));
    assertTrue(e.getMessage().contains("NOMAD_CLIENT_KEY"));
  }

  @Test
  void operatorDefaults() {
    OperatorConfig c = OperatorConfig.fromEnvironment(Map.of());
    assertEquals(List.of("*"), c.namespaces());
    assertEquals(Duration.ofMinutes(10), c.resyncInterval());
    assertEquals(4, c.workers());
    assertTrue(c.template().isEmpty());
  }

  @Test
  void operatorVariablesAreReadAndCheckedWithTheirNames() {
    OperatorConfig c =
        OperatorConfig.fromEnvironment(
            Map.of("OPERATOR_NAMESPACES", " team-a, team-b ,", "OPERATOR_RESYNC_INTERVAL", "1h30m", "OPERATOR_WORKERS", "8"));
    assertEquals(List.of("team-a", "team-b"), c.namespaces());
    assertEquals(Duration.ofMinutes(90), c.resyncInterval());
    assertEquals(8, c.workers());
    assertTrue(assertThrows(ConfigException.class, () -> OperatorConfig.fromEnvironment(Map.of("OPERATOR_WORKERS", "0")))
        .getMessage().contains("OPERATOR_WORKERS"));
    assertTrue(assertThrows(ConfigException.class, () -> OperatorConfig.fromEnvironment(Map.of("OPERATOR_NAMESPACES", "*,a")))
        .getMessage().contains("OPERATOR_NAMESPACES"));
  }

  @Test
  void durationsAreWrittenTheGoWay() {
    assertEquals(Duration.ofMillis(500), GoDuration.parse("X", "500ms"));
    assertEquals(Duration.ofSeconds(30), GoDuration.parse("X", "30s"));
    assertEquals(Duration.ofMillis(1500), GoDuration.parse("X", "1.5s"));
    assertEquals(Duration.ofMinutes(61), GoDuration.parse("X", "1h1m"));
    for (String bad : new String[] {"", "10", "10x", "m", "1h 1m", "-1s"}) {
      ConfigException e = assertThrows(ConfigException.class, () -> GoDuration.parse("X", bad), bad);
      assertTrue(e.getMessage().startsWith("X="));
    }
  }

  @Test
  void durationsAreWrittenBackTheSameWay() {
    for (String text : new String[] {"10m", "1h30m", "30s", "500ms", "2h"}) {
      assertEquals(text, GoDuration.format(GoDuration.parse("X", text)));
    }
  }
}

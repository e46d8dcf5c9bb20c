package dev.nomadbackup.web;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.nomadbackup.config.HttpAddress;
import dev.nomadbackup.status.BackupStatus;
import dev.nomadbackup.status.StatusReport;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.List;
import java.util.function.Supplier;

/**
 * The operator's own small HTTP port: {@code /health/live}, {@code /health/ready}, {@code /metrics},
 * and the backup status as JSON ({@code /status}) and as a page ({@code /}). Readiness answers 200
 * with a one-line reason, or 503 with what it waits for.
 */
public final class HealthServer implements AutoCloseable {
  /** Whether the operator is ready, and in a few words why or why not. */
  public record Status(boolean ready, String reason) {}

  private final HttpServer server;

  private HealthServer(HttpServer server) {
    this.server = server;
  }

  /** What the status endpoints show: every protected job's status, and where Nomad's UI is. */
  public record StatusSource(Supplier<List<BackupStatus>> statuses, URI nomadUi, Clock clock) {}

  public static HealthServer start(HttpAddress address, Supplier<Status> readiness, PrometheusRegistry registry,
      StatusSource backups) throws IOException {
    HttpServer server = HttpServer.create(new InetSocketAddress(address.host(), address.port()), 16);
    server.createContext("/health/live", ex -> answer(ex, 200, "text/plain", "alive\n"));
    server.createContext("/health/ready", ex -> {
      Status status = readiness.get();
      answer(ex, status.ready() ? 200 : 503, "text/plain", status.reason() + "\n");
    });
    PrometheusTextFormatWriter writer = new PrometheusTextFormatWriter(false);
    server.createContext("/metrics", ex -> {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      writer.write(out, registry.scrape());
      answer(ex, 200, PrometheusTextFormatWriter.CONTENT_TYPE, out.toString(StandardCharsets.UTF_8));
    });
    ObjectMapper json = new ObjectMapper();
    server.createContext("/status", ex -> {
      String body = json.writerWithDefaultPrettyPrinter()
          .writeValueAsString(StatusReport.json(backups.statuses().get(), backups.clock().instant(), json));
      answer(ex, 200, "application/json", body + "\n");
    });
    server.createContext("/", ex -> {
      if (!ex.getRequestURI().getPath().equals("/")) {
        answer(ex, 404, "text/plain", "not found\n");
        return;
      }
      answer(ex, 200, "text/html; charset=utf-8", StatusPage.html(backups.statuses().get(),
          backups.clock().instant(), backups.nomadUi(), readiness.get().reason()));
    });
    // no executor: the server's own thread answers, one request at a time, as the single thread
    // of an executor did before; every answer is computed in memory
    server.start();
    return new HealthServer(server);
  }

  /** The port it listens on (useful when configured with port 0). */
  public int port() {
    return server.getAddress().getPort();
  }

  private static void answer(HttpExchange ex, int status, String contentType, String body) throws IOException {
    try (ex) {
      if (!"GET".equals(ex.getRequestMethod()) && !"HEAD".equals(ex.getRequestMethod())) {
        ex.sendResponseHeaders(405, -1);
        return;
      }
      byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
      ex.getResponseHeaders().set("Content-Type", contentType);
      ex.sendResponseHeaders(status, "HEAD".equals(ex.getRequestMethod()) ? -1 : bytes.length);
      if (!"HEAD".equals(ex.getRequestMethod())) {
        try (OutputStream os = ex.getResponseBody()) {
          os.write(bytes);
        }
      }
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }
}

package dev.nomadbackup.testing;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.awaitility.core.ConditionTimeoutException;

/**
 * Runs of batch jobs on a client agent, started as a person would start them: a periodic job
 * forced ({@code nomad job periodic force}), a parameterized one dispatched ({@code nomad job
 * dispatch}). Each call waits, with a deadline, until the child's allocation has finished.
 */
public final class BatchRuns {
  /** Long enough for a dump on a busy 2-core machine; a placement that cannot happen fails sooner. */
  public static final Duration DEADLINE = Duration.ofSeconds(90);

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private static final Set<String> FINISHED = Set.of("complete", "failed", "lost");

  private BatchRuns() {}

  /**
   * One finished run: the child job, its allocation's {@code ClientStatus}, its task events (one
   * line each: task, type, message), and what the task printed.
   */
  public record Run(String childJobId, String allocId, String clientStatus, String events, String stdout,
      String stderr) {
    public boolean complete() {
      return "complete".equals(clientStatus);
    }

    public boolean failed() {
      return "failed".equals(clientStatus);
    }

    /** For assertion messages. */
    public String describe() {
      return childJobId + " " + clientStatus + "\n--- task events\n" + events + "\n--- stdout\n" + stdout
          + "--- stderr\n" + stderr;
    }
  }

  /**
   * {@code PUT /v1/job/<id>/periodic/force} and the child's outcome. Nomad names a periodic child
   * after the second it was launched in, and a second launch in the same second re-registers the
   * same child; so this returns only once that second has passed, and the next force makes a new
   * child.
   */
  public static Run force(NomadAgent agent, String namespace, String periodicJobId) {
    TestNomad nomad = agent.api();
    JsonNode forced = nomad.send("PUT", "/v1/job/" + enc(periodicJobId) + "/periodic/force?namespace=" + enc(namespace),
        null);
    String evalId = forced.path("EvalID").asText();
    JsonNode eval = nomad.send("GET", "/v1/evaluation/" + enc(evalId) + "?namespace=" + enc(namespace), null);
    String child = eval.path("JobID").asText();
    Run run = awaitFinished(agent, namespace, child, task(nomad, namespace, periodicJobId));
    long launched = Long.parseLong(child.substring(child.lastIndexOf('-') + 1));
    await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(50))
        .until(() -> Instant.now().getEpochSecond() > launched);
    return run;
  }

  /** {@code POST /v1/job/<id>/dispatch} with {@code meta}, and the child's outcome. */
  public static Run dispatch(NomadAgent agent, String namespace, String parameterizedJobId,
      Map<String, String> meta) {
    TestNomad nomad = agent.api();
    ObjectNode body = JSON.createObjectNode();
    ObjectNode m = body.putObject("Meta");
    meta.forEach(m::put);
    JsonNode dispatched = nomad.send("POST",
        "/v1/job/" + enc(parameterizedJobId) + "/dispatch?namespace=" + enc(namespace), body);
    String child = dispatched.path("DispatchedJobID").asText();
    return awaitFinished(agent, namespace, child, task(nomad, namespace, parameterizedJobId));
  }

  /** The first task's name: whose logs the run reports. */
  private static String task(TestNomad nomad, String namespace, String jobId) {
    JsonNode job = nomad.job(namespace, jobId).orElseThrow(() -> new IllegalStateException(jobId + " is not registered"));
    return job.path("TaskGroups").get(0).path("Tasks").get(0).path("Name").asText();
  }

  private static Run awaitFinished(NomadAgent agent, String namespace, String child, String task) {
    TestNomad nomad = agent.api();
    AtomicReference<JsonNode> alloc = new AtomicReference<>();
    try {
      await().atMost(DEADLINE).pollInterval(Duration.ofMillis(200)).until(() -> {
        for (JsonNode a : nomad.send("GET", "/v1/job/" + enc(child) + "/allocations?namespace=" + enc(namespace), null)) {
          if (FINISHED.contains(a.path("ClientStatus").asText())) {
            alloc.set(a);
            return true;
          }
        }
        return false;
      });
    } catch (ConditionTimeoutException e) {
      throw new AssertionError(child + " did not finish within " + DEADLINE + "; its evaluations: "
          + nomad.send("GET", "/v1/job/" + enc(child) + "/evaluations?namespace=" + enc(namespace), null)
          + "; its allocations: "
          + nomad.send("GET", "/v1/job/" + enc(child) + "/allocations?namespace=" + enc(namespace), null), e);
    }
    String allocId = alloc.get().path("ID").asText();
    StringBuilder events = new StringBuilder();
    alloc.get().path("TaskStates").fields().forEachRemaining(state -> {
      for (JsonNode event : state.getValue().path("Events")) {
        events.append(state.getKey()).append(": ").append(event.path("Type").asText()).append(": ")
            .append(event.path("DisplayMessage").asText()).append('\n');
      }
    });
    return new Run(child, allocId, alloc.get().path("ClientStatus").asText(), events.toString(),
        log(agent, allocId, task, "stdout"), log(agent, allocId, task, "stderr"));
  }

  /** What the task wrote to {@code type} (stdout or stderr), as plain text. */
  private static String log(NomadAgent agent, String allocId, String task, String type) {
    HttpRequest.Builder request = HttpRequest.newBuilder(agent.address().resolve("/v1/client/fs/logs/" + enc(allocId)
            + "?task=" + enc(task) + "&type=" + type + "&plain=true&origin=start"))
        .timeout(Duration.ofSeconds(10));
    agent.managementToken().ifPresent(t -> request.header("X-Nomad-Token", t));
    try {
      HttpResponse<String> r = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
      return r.statusCode() == 200 ? r.body() : "(no " + type + ": " + r.statusCode() + " " + r.body() + ")";
    } catch (IOException e) {
      return "(no " + type + ": " + e.getMessage() + ")";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "(interrupted)";
    }
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }
}

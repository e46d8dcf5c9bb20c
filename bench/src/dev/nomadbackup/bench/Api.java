package dev.nomadbackup.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** The benchmark's own Nomad calls, on the JDK's HTTP client: none of the operator's code. */
final class Api {
  static final ObjectMapper JSON = new ObjectMapper();

  private final URI address;
  private final HttpClient http =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();

  Api(URI address) {
    this.address = address;
  }

  /** {@code POST /v1/jobs/parse}: the canonical job JSON of {@code hcl}. */
  ObjectNode parse(String hcl) throws IOException {
    ObjectNode body = JSON.createObjectNode().put("JobHCL", hcl).put("Canonicalize", true);
    return (ObjectNode) send("POST", "/v1/jobs/parse?namespace=default", body);
  }

  /** {@code POST /v1/jobs}, conditional on {@code modifyIndex} as the operator writes. */
  JsonNode register(ObjectNode job, long modifyIndex) throws IOException {
    ObjectNode body = JSON.createObjectNode();
    body.set("Job", job);
    body.put("EnforceIndex", true).put("JobModifyIndex", modifyIndex);
    return send("POST", "/v1/jobs?namespace=default", body);
  }

  /** {@code POST /v1/jobs}, unconditional: how the benchmark registers source jobs. */
  JsonNode registerSource(ObjectNode job) throws IOException {
    ObjectNode body = JSON.createObjectNode();
    body.set("Job", job);
    return send("POST", "/v1/jobs?namespace=default", body);
  }

  /** Every job stub with its meta. */
  List<JsonNode> list() throws IOException {
    List<JsonNode> all = new ArrayList<>();
    String next = null;
    do {
      String q = "/v1/jobs?namespace=default&meta=true&per_page=1000" + (next == null ? "" : "&next_token=" + next);
      HttpResponse<byte[]> r = raw("GET", q, null);
      JSON.readTree(r.body()).forEach(all::add);
      next = r.headers().firstValue("X-Nomad-NextToken").filter(s -> !s.isEmpty()).orElse(null);
    } while (next != null);
    return all;
  }

  /** {@code GET /v1/job/:id}: the job as Nomad has it, {@code SubmitTime} (ns since the epoch) included. */
  JsonNode job(String id) throws IOException {
    return send("GET", "/v1/job/" + id + "?namespace=default", null);
  }

  /** How many Variables there are under {@code prefix}, in pages of 1,000. */
  long countVariables(String prefix) throws IOException {
    long n = 0;
    String next = null;
    do {
      String q = "/v1/vars?namespace=default&per_page=1000&prefix=" + prefix + (next == null ? "" : "&next_token=" + next);
      HttpResponse<byte[]> r = raw("GET", q, null);
      n += JSON.readTree(r.body()).size();
      next = r.headers().firstValue("X-Nomad-NextToken").filter(s -> !s.isEmpty()).orElse(null);
    } while (next != null);
    return n;
  }

  String agentVersion() throws IOException {
    JsonNode self = send("GET", "/v1/agent/self", null);
    return self.path("config").path("Version").path("Version").asText("?");
  }

  JsonNode send(String method, String pathAndQuery, JsonNode body) throws IOException {
    HttpResponse<byte[]> r = raw(method, pathAndQuery, body);
    return r.body().length == 0 ? JSON.nullNode() : JSON.readTree(r.body());
  }

  private HttpResponse<byte[]> raw(String method, String pathAndQuery, JsonNode body) throws IOException {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(address + pathAndQuery)).timeout(Duration.ofSeconds(60));
    b.method(method, body == null ? HttpRequest.BodyPublishers.noBody()
        : HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body)));
    if (body != null) {
      b.header("Content-Type", "application/json");
    }
    HttpResponse<byte[]> r;
    try {
      r = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
    if (r.statusCode() >= 300) {
      throw new IOException(method + " " + pathAndQuery + " answered " + r.statusCode() + ": "
          + new String(r.body(), java.nio.charset.StandardCharsets.UTF_8));
    }
    return r;
  }
}

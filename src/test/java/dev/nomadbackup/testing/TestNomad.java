package dev.nomadbackup.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;

/**
 * What tests do to Nomad, the way a user would: run, stop and purge jobs, make namespaces, read
 * jobs back. Uses the JDK's HTTP client, none of the operator's code, so it checks the operator
 * from the outside.
 */
public final class TestNomad {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final URI address;
  private final Optional<String> token;
  private final Optional<JobLedger> ledger;
  private final HttpClient http;

  TestNomad(URI address, Optional<String> token) {
    this(address, token, HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build());
  }

  /** With {@code http}: a client with the TLS an agent wants, say. */
  TestNomad(URI address, Optional<String> token, HttpClient http) {
    this(address, token, Optional.empty(), http);
  }

  private TestNomad(URI address, Optional<String> token, Optional<JobLedger> ledger, HttpClient http) {
    this.address = address;
    this.token = token;
    this.ledger = ledger;
    this.http = http;
  }

  public TestNomad withToken(String other) {
    return new TestNomad(address, Optional.of(other), ledger, http);
  }

  /** This client, noting in {@code jobs} every job it runs or registers. */
  TestNomad noting(JobLedger jobs) {
    return new TestNomad(address, token, Optional.of(jobs), http);
  }

  /** {@code nomad job run}: parses the HCL in {@code namespace} and registers it. Returns the job ID. */
  public String run(String namespace, String hcl) {
    return register(namespace, parse(namespace, hcl));
  }

  public String run(String hcl) {
    return run("default", hcl);
  }

  /** {@code POST /v1/jobs/parse}: the job Nomad makes of {@code hcl}, not registered. */
  public ObjectNode parse(String namespace, String hcl) {
    ObjectNode parseBody = JSON.createObjectNode().put("JobHCL", hcl).put("Canonicalize", true);
    return (ObjectNode) send("POST", "/v1/jobs/parse?namespace=" + enc(namespace), parseBody);
  }

  /**
   * Registers a job given as JSON, exactly as it is: for values no HCL file could carry
   * unchanged. Returns the job ID.
   */
  public String register(String namespace, JsonNode job) {
    ledger.ifPresent(l -> l.ran(this, namespace, job.path("ID").asText()));
    ObjectNode register = JSON.createObjectNode();
    register.set("Job", job);
    send("POST", "/v1/jobs?namespace=" + enc(namespace), register);
    return job.path("ID").asText();
  }

  /** {@code nomad job stop}. */
  public void stop(String namespace, String id) {
    send("DELETE", "/v1/job/" + enc(id) + "?namespace=" + enc(namespace), null);
  }

  /** {@code nomad job stop -purge}; no error when the job is already gone. */
  public void purge(String namespace, String id) {
    try {
      send("DELETE", "/v1/job/" + enc(id) + "?purge=true&namespace=" + enc(namespace), null);
    } catch (NomadError e) {
      if (e.status != 404) {
        throw e;
      }
    }
  }

  /**
   * Purges a job and its backup job. Tests need not clean up this way: a client from {@link
   * OperatorTestExtension} purges what it ran after each test.
   */
  public void purgeWithBackup(String namespace, String id) {
    purge(namespace, id);
    purge(namespace, "backup-" + id);
    purge(namespace, "restore-" + id);
  }

  /** The job as Nomad has it, or empty. */
  public Optional<JsonNode> job(String namespace, String id) {
    try {
      return Optional.of(send("GET", "/v1/job/" + enc(id) + "?namespace=" + enc(namespace), null));
    } catch (NomadError e) {
      if (e.status == 404) {
        return Optional.empty();
      }
      throw e;
    }
  }

  public Optional<JsonNode> job(String id) {
    return job("default", id);
  }

  /** Every job stub of a namespace ({@code *} for all). */
  public JsonNode jobs(String namespace) {
    return send("GET", "/v1/jobs?meta=true&namespace=" + enc(namespace), null);
  }

  public void createNamespace(String name) {
    send("POST", "/v1/namespace/" + enc(name), JSON.createObjectNode().put("Name", name));
  }

  /** Any request; the answer's JSON body, or a {@link NomadError}. */
  public JsonNode send(String method, String pathAndQuery, JsonNode body) {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(address + pathAndQuery)).timeout(Duration.ofSeconds(30));
    token.ifPresent(t -> b.header("X-Nomad-Token", t));
    b.method(
        method,
        body == null
            ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(body.toString()));
    try {
      HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() >= 300) {
        throw new NomadError(r.statusCode(), method + " " + pathAndQuery + ": " + r.body());
      }
      return r.body().isEmpty() ? JSON.nullNode() : JSON.readTree(r.body());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static String enc(String s) {
    if (s.equals(".") || s.equals("..")) {
      return s.replace(".", "%2E"); // or the path would climb a level
    }
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }

  /** Nomad answered with an error status. */
  public static final class NomadError extends RuntimeException {
    public final int status;

    NomadError(int status, String message) {
      super(status + " " + message);
      this.status = status;
    }
  }
}

package dev.nomadbackup.nomad;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.hashicorp.nomad.apimodel.AgentSelf;
import com.hashicorp.nomad.javasdk.ErrorResponseException;
import com.hashicorp.nomad.javasdk.NomadApiClient;
import com.hashicorp.nomad.javasdk.NomadApiConfiguration;
import com.hashicorp.nomad.javasdk.NomadException;
import dev.nomadbackup.config.NomadConfig;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The calls the operator makes to Nomad. The typed ones go through HashiCorp's nomad-sdk; what the
 * SDK predates goes over plain HTTP on the same connection pool. Every failure is an {@link
 * IOException}, a {@link NomadApiException} when Nomad answered with an error status.
 */
public final class NomadClient implements JobSource, JobStore, RunSource, VariableStore, Closeable {
  static final int PAGE_SIZE = 1000;

  private final NomadConfig config;
  private final NomadHttp http;
  private final NomadApiClient sdk;
  private final ObjectMapper json;

  private volatile String agentRegion;
  /** How long a read waits for Nomad to commit what an event announced. */
  static final Duration COMMIT_WAIT = Duration.ofSeconds(5);
  // the highest Raft index an answer reflected: Nomad's state has committed everything up to it
  private final AtomicLong committed = new AtomicLong();
  // the highest index of an event handed on: reads must not answer from before it
  private final AtomicLong announced = new AtomicLong();
  NomadClient(NomadConfig config, NomadHttp http, NomadApiClient sdk, ObjectMapper json) {
    this.config = config;
    this.http = http;
    this.sdk = sdk;
    this.json = json;
  }

  /** A client on a pool of {@code maxConnections}, plus one for each event stream. */
  public static NomadClient create(NomadConfig config, int maxConnections) {
    ObjectMapper json = new ObjectMapper();
    var httpClient = NomadHttp.newClient(config, maxConnections);
    NomadApiConfiguration.Builder sdkConfig =
        new NomadApiConfiguration.Builder().setAddress(config.address().toString());
    config.region().ifPresent(sdkConfig::setRegion);
    config.token().ifPresent(sdkConfig::setAuthToken);
    NomadApiClient sdk = new NomadApiClient(sdkConfig.build(), httpClient);
    return new NomadClient(config, new NomadHttp(config, httpClient, json), sdk, json);
  }

  /** The SDK client, on this client's connection pool. */
  NomadApiClient sdk() {
    return sdk;
  }

  public NomadConfig config() {
    return config;
  }

  /** The address of the cluster's leader; empty while there is none. */
  public String leader() throws IOException {
    return sdk(() -> sdk.getStatusApi().leader().getValue(), "GET /v1/status/leader");
  }

  /**
   * The version of the agent we talk to, e.g. {@code 1.11.3}; {@code unknown} when the token may not
   * read the agent (the operator needs no agent capability for its work).
   */
  public String agentVersion() throws IOException {
    AgentSelf self;
    try {
      self = sdk(() -> sdk.getAgentApi().self().getValue(), "GET /v1/agent/self");
    } catch (NomadApiException e) {
      if (e.forbidden()) {
        return "unknown";
      }
      throw e;
    }
    Object build = self.getMember() == null ? null : self.getMember().getTags().get("build");
    Object region = self.getConfig() == null ? null : self.getConfig().get("Region");
    if (region instanceof String r && !r.isEmpty()) {
      agentRegion = r;
    }
    if (build != null) {
      String b = build.toString();
      int colon = b.indexOf(':'); // "1.11.3:abcdef" on some versions
      return colon < 0 ? b : b.substring(0, colon);
    }
    return "unknown";
  }

  /**
   * The region every job this client reads is in: {@code NOMAD_REGION}, or else the agent's, once
   * {@link #agentVersion} has read it (empty before, or when the token may not read the agent).
   */
  @Override
  public Optional<String> region() {
    return config.region().or(() -> Optional.ofNullable(agentRegion));
  }

  /** Every job of {@code namespace} ({@code *} for all) with its meta, read page by page. */
  @Override
  public JobList listJobs(String namespace) throws IOException {
    return list(namespace, Optional.empty());
  }

  /**
   * Reads {@code GET /v1/jobs/statuses}, the listing Nomad's UI pages its jobs with (1.8 on): unlike
   * {@code GET /v1/jobs} it carries each job's {@code Version}, and it leaves children out unless
   * asked. Nomad applies {@code filter} to the whole job, so the answer can be narrowed by meta.
   */
  @Override
  public Optional<List<JobVersion>> versions(String namespace, String filter) throws IOException {
    List<JobVersion> versions = new ArrayList<>();
    Optional<String> next = Optional.empty();
    do {
      Map<String, String> query = new LinkedHashMap<>();
      query.put("namespace", namespace);
      query.put("filter", filter);
      query.put("per_page", Integer.toString(PAGE_SIZE));
      next.ifPresent(token -> query.put("next_token", token));
      NomadResponse page;
      try {
        page = http.get("/v1/jobs/statuses", query);
      } catch (NomadApiException e) {
        if (e.notFound() || e.forbidden() || e.status() == 405 || e.status() == 400) {
          return Optional.empty(); // an older Nomad, a filter it cannot read, or a token without read-job
        }
        throw e;
      }
      for (JsonNode job : page.body()) {
        versions.add(new JobVersion(new JobKey(job.path("Namespace").asText(namespace), job.path("ID").asText()),
            job.path("Version").asLong(), job.path("ModifyIndex").asLong()));
      }
      next = page.nextToken();
    } while (next.isPresent());
    return Optional.of(versions);
  }

  @Override
  public List<NomadJob> children(JobKey parent) throws IOException {
    caughtUp(parent.namespace());
    List<NomadJob> children = new ArrayList<>();
    for (NomadJob job : list(parent.namespace(), Optional.of(parent.jobId() + "/")).jobs()) {
      if (job.parentId().filter(parent.jobId()::equals).isPresent()) {
        children.add(job);
      }
    }
    return children;
  }

  private JobList list(String namespace, Optional<String> prefix) throws IOException {
    List<NomadJob> jobs = new ArrayList<>();
    long index = 0;
    Optional<String> next = Optional.empty();
    do {
      Map<String, String> query = new LinkedHashMap<>();
      query.put("namespace", namespace);
      query.put("meta", "true");
      query.put("per_page", Integer.toString(PAGE_SIZE));
      prefix.ifPresent(p -> query.put("prefix", p));
      next.ifPresent(token -> query.put("next_token", token));
      NomadResponse page = saw(http.get("/v1/jobs", query));
      for (JsonNode stub : page.body()) {
        jobs.add(NomadJob.fromJson(stub));
      }
      index = Math.max(index, page.index());
      next = page.nextToken();
    } while (next.isPresent());
    return new JobList(jobs, index);
  }

  /** The job as Nomad has it now, or empty when there is no such job. */
  @Override
  public Optional<NomadJob> readJob(JobKey key) throws IOException {
    caughtUp(key.namespace());
    try {
      NomadResponse r = saw(http.get("/v1/job/" + NomadHttp.segment(key.jobId()), ns(key.namespace())));
      return Optional.of(NomadJob.fromJson(r.body()));
    } catch (NomadApiException e) {
      if (e.notFound()) {
        return Optional.empty();
      }
      throw e;
    }
  }

  /**
   * Parses HCL into a canonical job of {@code namespace}, as {@code nomad job run -namespace} would;
   * HCL errors come back as 400. Nomad's parse fills in "default" for a spec that names no
   * namespace; the job is put in {@code namespace}, where it is validated and registered, and
   * where a token narrowed to that namespace may do so.
   */
  @Override
  public ObjectNode parseJob(String namespace, String hcl) throws IOException {
    ObjectNode body = json.createObjectNode().put("JobHCL", hcl).put("Canonicalize", true);
    JsonNode job = http.post("/v1/jobs/parse", ns(namespace), body).body();
    if (!(job instanceof ObjectNode object)) {
      throw new IOException("POST /v1/jobs/parse answered with no job");
    }
    object.put("Namespace", namespace);
    return object;
  }

  /**
   * Registers {@code job} only if the job's modify index is still {@code expectedModifyIndex} (0: it
   * must not exist), so a job someone else wrote meanwhile is never overwritten.
   *
   * @return the job's new modify index
   */
  @Override
  public long registerJob(ObjectNode job, long expectedModifyIndex, String hcl) throws IOException {
    ObjectNode body = json.createObjectNode();
    body.set("Job", job);
    body.putObject("Submission").put("Source", hcl).put("Format", "hcl2");
    body.put("EnforceIndex", true).put("JobModifyIndex", expectedModifyIndex);
    NomadResponse r = saw(http.post("/v1/jobs", ns(job.path("Namespace").asText("default")), body));
    return r.body().path("JobModifyIndex").asLong(r.index());
  }

  /** What Nomad's validation says of a job, cron spec included; empty when it is valid. */
  @Override
  public List<String> validateJob(ObjectNode job) throws IOException {
    ObjectNode body = json.createObjectNode();
    body.set("Job", job);
    JsonNode r = http.post("/v1/validate/job", ns(job.path("Namespace").asText("default")), body).body();
    List<String> errors = new ArrayList<>();
    r.path("ValidationErrors").forEach(e -> errors.add(e.asText()));
    if (errors.isEmpty() && !r.path("Error").asText("").isEmpty()) {
      errors.add(r.path("Error").asText());
    }
    return errors;
  }

  /** Stops and purges a job. A job that is already gone is not an error. */
  @Override
  public long purgeJob(JobKey key) throws IOException {
    try {
      // not through the SDK: it sends the ID unencoded, and "backup-a//b" would purge "backup-a/b"
      NomadResponse r = saw(http.delete("/v1/job/" + NomadHttp.segment(key.jobId()),
          Map.of("namespace", key.namespace(), "purge", "true")));
      return Math.max(r.index(), r.body().path("JobModifyIndex").asLong(0));
    } catch (NomadApiException e) {
      if (!e.notFound()) {
        throw e;
      }
      return 0; // already gone: that is what we wanted
    }
  }

  @Override
  public void announced(long index) {
    announced.accumulateAndGet(index, Math::max);
  }

  /**
   * Before a read: returns once Nomad's job table has reached the highest index an event announced,
   * or after {@link #COMMIT_WAIT}. Nomad publishes an event just before it commits the change, so a
   * job read the moment its event arrives can still be the old one; a blocking list query on the
   * index is the wait for that commit. Costs no call when an earlier answer already reflected the
   * index (the events of the operator's own writes, say: the write's answer comes after its
   * commit), nor when a reconcile is decided by the events' payload and reads nothing.
   */
  private void caughtUp(String namespace) throws IOException {
    long index = announced.get();
    if (index <= committed.get()) {
      return;
    }
    Map<String, String> query = new LinkedHashMap<>();
    query.put("namespace", namespace);
    query.put("per_page", "1");
    query.put("index", Long.toString(index - 1));
    query.put("wait", COMMIT_WAIT.toMillis() + "ms");
    saw(http.get("/v1/jobs", query));
  }

  @Override
  public void forcePeriodic(JobKey key) throws IOException {
    http.post("/v1/job/" + NomadHttp.segment(key.jobId()) + "/periodic/force", ns(key.namespace()),
        json.createObjectNode());
  }

  @Override
  public Namespaces namespaces(long index, Duration wait) throws IOException {
    Map<String, String> query = new LinkedHashMap<>();
    if (index > 0) {
      query.put("index", Long.toString(index));
      query.put("wait", wait.toMillis() + "ms");
    }
    NomadResponse r = http.get("/v1/namespaces", query);
    Set<String> names = new TreeSet<>();
    r.body().forEach(n -> names.add(n.path("Name").asText()));
    return new Namespaces(names, r.index());
  }

  @Override
  public List<Allocation> allocations(JobKey run) throws IOException {
    caughtUp(run.namespace());
    List<Allocation> allocations = new ArrayList<>();
    for (JsonNode alloc : http.get("/v1/job/" + NomadHttp.segment(run.jobId()) + "/allocations",
        ns(run.namespace())).body()) {
      allocations.add(Allocation.fromJson(alloc));
    }
    return allocations;
  }

  @Override
  public Optional<String> placementFailure(JobKey run) throws IOException {
    caughtUp(run.namespace());
    Set<String> reasons = new TreeSet<>();
    for (JsonNode eval : http.get("/v1/job/" + NomadHttp.segment(run.jobId()) + "/evaluations",
        ns(run.namespace())).body()) {
      eval.path("FailedTGAllocs").properties().forEach(group -> {
        JsonNode metric = group.getValue();
        metric.path("ConstraintFiltered").properties().forEach(c -> reasons.add(c.getKey()));
        metric.path("ClassFiltered").properties().forEach(c -> reasons.add("node class " + c.getKey()));
        metric.path("DimensionExhausted").properties().forEach(d -> reasons.add(d.getKey() + " exhausted"));
        if (metric.path("NodesEvaluated").asInt(0) == 0 && metric.path("NodesFiltered").asInt(0) == 0) {
          reasons.add("no node in the job's datacenters and node pool");
        }
      });
    }
    return reasons.isEmpty() ? Optional.empty() : Optional.of(String.join("; ", reasons));
  }

  @Override
  public String logTail(String namespace, String allocationId, String task, boolean stderr, int bytes)
      throws IOException {
    Map<String, String> query = new LinkedHashMap<>();
    query.put("namespace", namespace);
    query.put("task", task);
    query.put("type", stderr ? "stderr" : "stdout");
    query.put("origin", "end");
    query.put("offset", Integer.toString(bytes));
    query.put("follow", "false");
    JsonNode frame = http.get("/v1/client/fs/logs/" + NomadHttp.segment(allocationId), query).body();
    String data = frame.path("Data").asText("");
    return data.isEmpty() ? "" : new String(Base64.getDecoder().decode(data), StandardCharsets.UTF_8);
  }

  @Override
  public List<Variable> list(String namespace, String prefix) throws IOException {
    List<Variable> found = new ArrayList<>();
    Optional<String> next = Optional.empty();
    do {
      Map<String, String> query = new LinkedHashMap<>();
      query.put("namespace", namespace);
      query.put("prefix", prefix);
      query.put("per_page", Integer.toString(PAGE_SIZE));
      next.ifPresent(token -> query.put("next_token", token));
      NomadResponse page = http.get("/v1/vars", query);
      for (JsonNode v : page.body()) {
        found.add(new Variable(v.path("Namespace").asText("default"), v.path("Path").asText(), Map.of(),
            v.path("ModifyIndex").asLong(0)));
      }
      next = page.nextToken();
    } while (next.isPresent());
    return found;
  }

  @Override
  public Optional<Variable> read(String namespace, String path) throws IOException {
    try {
      JsonNode v = http.get(NomadHttp.variable(path), ns(namespace)).body();
      return Optional.of(new Variable(v.path("Namespace").asText(namespace), v.path("Path").asText(path),
          NomadJob.strings(v.path("Items")), v.path("ModifyIndex").asLong(0)));
    } catch (NomadApiException e) {
      if (e.notFound()) {
        return Optional.empty();
      }
      throw e;
    }
  }

  @Override
  public long write(String namespace, String path, Map<String, String> items, long expectedIndex)
      throws IOException {
    ObjectNode body = json.createObjectNode().put("Namespace", namespace).put("Path", path);
    ObjectNode values = body.putObject("Items");
    items.forEach(values::put);
    NomadResponse r = http.put(NomadHttp.variable(path),
        Map.of("namespace", namespace, "cas", Long.toString(expectedIndex)), body);
    return r.body().path("ModifyIndex").asLong(r.index());
  }

  @Override
  public void delete(String namespace, String path) throws IOException {
    try {
      http.delete(NomadHttp.variable(path), ns(namespace));
    } catch (NomadApiException e) {
      if (!e.notFound()) {
        throw e;
      }
      // already gone: that is what we wanted
    }
  }

  private NomadResponse saw(NomadResponse response) {
    committed.accumulateAndGet(response.index(), Math::max);
    return response;
  }

  /** Opens {@code /v1/event/stream} for the Job topic of {@code namespace}, from {@code index} on. */
  @Override
  public InputStream openJobEvents(String namespace, long index, Duration readTimeout)
      throws IOException {
    Map<String, String> query = new LinkedHashMap<>();
    query.put("topic", "Job:*");
    query.put("namespace", namespace);
    query.put("index", Long.toString(index));
    return http.openStream("/v1/event/stream", query, readTimeout);
  }

  private static Map<String, String> ns(String namespace) {
    return Map.of("namespace", namespace);
  }

  private interface SdkCall<T> {
    T call() throws IOException, NomadException;
  }

  private static <T> T sdk(SdkCall<T> call, String request) throws IOException {
    try {
      return call.call();
    } catch (ErrorResponseException e) {
      throw new NomadApiException(e.getServerErrorCode(), request, String.valueOf(e.getServerErrorMessage()));
    } catch (NomadException e) {
      throw new IOException(request + " failed: " + e.getMessage(), e);
    }
  }

  @Override
  public void close() throws IOException {
    sdk.close(); // closes the shared HTTP client too
  }
}

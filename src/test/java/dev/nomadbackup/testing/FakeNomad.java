package dev.nomadbackup.testing;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nomadbackup.nomad.ApiErrors;
import dev.nomadbackup.nomad.JobKey;
import dev.nomadbackup.nomad.JobList;
import dev.nomadbackup.nomad.JobSource;
import dev.nomadbackup.nomad.JobStore;
import dev.nomadbackup.nomad.Namespaces;
import dev.nomadbackup.nomad.NomadJob;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An in-memory Nomad for unit tests: a job table with Raft indexes, conditional registration, and
 * the event stream's connections, namespaces and announced indexes as the test scripts them. Every call
 * is recorded ({@link #calls()}), so a test asserts on what the code under test asked for. A failure
 * scripted with {@link #failNext} is thrown by the next call of that operation, once.
 *
 * <p>{@link #parseJob} does not parse HCL: it reads the job's name, type, {@code crons} and whether
 * it is periodic or parameterized from the text, and answers a small job in Nomad's JSON shape.
 */
public final class FakeNomad implements JobSource, JobStore {
  /** The operations, as {@link Call#op()} names them. */
  public static final String READ = "read";
  public static final String PARSE = "parse";
  public static final String REGISTER = "register";
  public static final String VALIDATE = "validate";
  public static final String PURGE = "purge";
  public static final String FORCE = "force";
  public static final String CHILDREN = "children";
  public static final String VERSIONS = "versions";
  public static final String LIST = "list";
  public static final String OPEN = "open";
  public static final String ANNOUNCED = "announced";
  public static final String NAMESPACES = "namespaces";

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern JOB_NAME = Pattern.compile("job\\s+\"([^\"]*)\"");
  private static final Pattern TYPE = Pattern.compile("\\btype\\s*=\\s*\"([^\"]*)\"");
  /** The one filter form {@link #versions} understands: {@code Meta["key"] == "value"}. */
  private static final Pattern META_FILTER = Pattern.compile("Meta\\[\"([^\"]*)\"\\] == \"([^\"]*)\"");
  private static final Pattern CRONS = Pattern.compile("\\bcrons\\s*=\\s*\\[\\s*\"([^\"]*)\"");
  /** How long {@link #openJobEvents} waits for a scripted connection before it is refused. */
  private static final Duration CONNECT_WAIT = Duration.ofMillis(200);

  /** One call: the operation, and the job, namespace or index it was about. */
  public record Call(String op, String target) {}

  /** What a hook may do: block, record, throw. */
  @FunctionalInterface
  public interface Hook<T> {
    void run(T argument) throws IOException;
  }

  /** A scripted answer to {@link #namespaces}. */
  @FunctionalInterface
  public interface Answer<T> {
    T get() throws IOException;
  }

  private final Map<JobKey, ObjectNode> jobs = new LinkedHashMap<>();
  private final Map<String, Deque<IOException>> failures = new HashMap<>();
  private final List<Call> calls = new CopyOnWriteArrayList<>();
  private final List<ObjectNode> registered = new CopyOnWriteArrayList<>();
  private final List<String> parsedHcl = new CopyOnWriteArrayList<>();
  private final BlockingQueue<InputStream> connections = new LinkedBlockingQueue<>();
  private final BlockingQueue<Answer<Namespaces>> namespaceAnswers = new LinkedBlockingQueue<>();
  private volatile List<String> validationProblems = List.of();
  private volatile Optional<String> region = Optional.of("global");
  private volatile boolean versionListing = true;
  private volatile Hook<String> beforeList = ns -> {};
  private volatile java.util.function.LongConsumer onAnnounced = index -> {};
  private volatile Namespaces lastNamespaces;
  private long index = 1;

  // --- the job table, as a test sets it up -------------------------------------------------------

  /** A service job in Nomad's JSON shape, with one group and task and {@code meta} on the job. */
  public static ObjectNode service(String namespace, String id, Map<String, String> meta) {
    ObjectNode job = JSON.createObjectNode();
    job.put("ID", id);
    job.put("Name", id);
    job.put("Namespace", namespace);
    job.put("Type", "service");
    job.put("Region", "global");
    job.put("Status", "running");
    job.put("Stop", false);
    job.putArray("Datacenters").add("dc1");
    ObjectNode m = job.putObject("Meta");
    meta.forEach(m::put);
    ObjectNode group = job.putArray("TaskGroups").addObject();
    group.put("Name", "app");
    group.putArray("Tasks").addObject().put("Name", "app");
    return job;
  }

  /** Stores {@code job} (a copy) as registered now, and returns its modify index. */
  public synchronized long put(ObjectNode job) {
    ObjectNode copy = job.deepCopy();
    long at = ++index;
    copy.put("JobModifyIndex", at);
    copy.put("ModifyIndex", at);
    if (!copy.has("Namespace")) {
      copy.put("Namespace", "default");
    }
    ObjectNode before = jobs.get(key(copy));
    long sent = copy.path("Version").asLong(0);
    if (before != null && sent <= before.path("Version").asLong(0)) {
      sent = before.path("Version").asLong(0) + 1; // as Nomad does: every registration is a new version
    }
    copy.put("Version", sent);
    jobs.put(key(copy), copy);
    return at;
  }

  /** Changes the stored job {@code key} with {@code change}, as a new registration would. */
  public synchronized long update(JobKey key, java.util.function.Consumer<ObjectNode> change) {
    ObjectNode job = jobs.get(key);
    if (job == null) {
      throw new IllegalStateException("no job " + key);
    }
    ObjectNode copy = job.deepCopy();
    change.accept(copy);
    return put(copy);
  }

  /** Removes {@code key} from the table behind the operator's back (not recorded as a call). */
  public synchronized void delete(JobKey key) {
    if (jobs.remove(key) != null) {
      index++;
    }
  }

  /** The stored job {@code key}, as JSON, if there is one. */
  public synchronized Optional<ObjectNode> stored(JobKey key) {
    return Optional.ofNullable(jobs.get(key)).map(ObjectNode::deepCopy);
  }

  /** The current Raft index; a listing reflects it. */
  public synchronized long index() {
    return index;
  }

  /** Moves the Raft index on to {@code to}, as other writes to the cluster would. */
  public synchronized void advanceIndex(long to) {
    index = Math.max(index, to);
  }

  // --- scripting ----------------------------------------------------------------------------------

  /** The next call of {@code op} throws {@code failure}. Several queue up in order. */
  public synchronized FakeNomad failNext(String op, IOException failure) {
    failures.computeIfAbsent(op, k -> new ArrayDeque<>()).add(failure);
    return this;
  }

  /** {@code failNext(op, <Nomad's answer status to request>)}. */
  public FakeNomad answerNext(String op, int status, String request, String body) {
    return failNext(op, ApiErrors.of(status, request, body));
  }

  /** What {@link #validateJob} says from now on. */
  public void validationProblems(List<String> problems) {
    this.validationProblems = List.copyOf(problems);
  }

  /** Whether {@link #versions} is answered (true) or Nomad has no such listing, as before 1.8. */
  public void versionListing(boolean answered) {
    this.versionListing = answered;
  }

  public void region(Optional<String> region) {
    this.region = region;
  }

  /** Called at the start of every listing, with its namespace; may block or throw. */
  public void beforeList(Hook<String> hook) {
    this.beforeList = hook;
  }

  /** Called whenever a source announces an event's index, with that index. */
  public void onAnnounced(java.util.function.LongConsumer hook) {
    this.onAnnounced = hook;
  }

  /** The next {@link #openJobEvents} answers with {@code stream}. */
  public FakeEventStream connect(FakeEventStream stream) {
    connections.add(stream);
    return stream;
  }

  /** A connection that is open and sends nothing until the test says so. */
  public FakeEventStream connect() {
    return connect(new FakeEventStream());
  }

  /** The next {@link #namespaces} answer. */
  public void answerNamespaces(Answer<Namespaces> answer) {
    namespaceAnswers.add(answer);
  }

  // --- what was asked ------------------------------------------------------------------------------

  public List<Call> calls() {
    return List.copyOf(calls);
  }

  /** The targets of the calls of {@code op}, in order. */
  public List<String> calls(String op) {
    return calls.stream().filter(c -> c.op().equals(op)).map(Call::target).toList();
  }

  /** The calls that change the cluster: registrations, purges and forced runs. */
  public List<Call> writes() {
    return calls.stream()
        .filter(c -> c.op().equals(REGISTER) || c.op().equals(PURGE) || c.op().equals(FORCE))
        .toList();
  }

  /** Every job sent to {@link #registerJob}, as sent, whether it was accepted or not. */
  public List<ObjectNode> registered() {
    return List.copyOf(registered);
  }

  /** Every HCL text sent to {@link #parseJob}. */
  public List<String> parsedHcl() {
    return List.copyOf(parsedHcl);
  }

  // --- JobStore --------------------------------------------------------------------------------------

  @Override
  public synchronized Optional<NomadJob> readJob(JobKey key) throws IOException {
    record(READ, key.toString());
    return Optional.ofNullable(jobs.get(key)).map(NomadJob::fromJson);
  }

  @Override
  public synchronized ObjectNode parseJob(String namespace, String hcl) throws IOException {
    record(PARSE, namespace);
    parsedHcl.add(hcl);
    ObjectNode job = JSON.createObjectNode();
    String name = find(JOB_NAME, hcl).orElse("");
    job.put("ID", name);
    job.put("Name", name);
    job.put("Namespace", namespace);
    job.put("Type", find(TYPE, hcl).orElse("service"));
    job.putArray("Datacenters").add("dc1");
    if (hcl.contains("periodic {")) {
      ObjectNode periodic = job.putObject("Periodic");
      periodic.put("Enabled", true);
      periodic.put("Spec", find(CRONS, hcl).orElse(""));
      periodic.put("SpecType", "cron");
      periodic.put("ProhibitOverlap", true);
    }
    if (hcl.contains("parameterized {")) {
      job.putObject("ParameterizedJob").putArray("MetaRequired").add("backup");
    }
    ArrayNode groups = job.putArray("TaskGroups");
    groups.addObject().put("Name", "backup").putArray("Tasks");
    job.putObject("Meta");
    return job;
  }

  @Override
  public synchronized long registerJob(ObjectNode job, long expectedModifyIndex, String hcl) throws IOException {
    JobKey key = key(job);
    record(REGISTER, key + "@" + expectedModifyIndex);
    registered.add(job.deepCopy());
    ObjectNode current = jobs.get(key);
    long currentIndex = current == null ? 0 : current.path("JobModifyIndex").asLong();
    if (currentIndex != expectedModifyIndex) {
      throw ApiErrors.of(500, "POST /v1/jobs", "1 error occurred:\n\t* Enforcing job modify index "
          + expectedModifyIndex + ": job exists with conflicting job modify index: " + currentIndex + "\n");
    }
    ObjectNode stored = job.deepCopy();
    stored.put("Status", "pending");
    stored.put("Stop", false);
    return put(stored);
  }

  @Override
  public synchronized List<String> validateJob(ObjectNode job) throws IOException {
    record(VALIDATE, key(job).toString());
    return validationProblems;
  }

  @Override
  public synchronized long purgeJob(JobKey key) throws IOException {
    record(PURGE, key.toString());
    if (jobs.remove(key) != null) {
      index++;
      return index;
    }
    return 0;
  }

  @Override
  public synchronized void forcePeriodic(JobKey key) throws IOException {
    record(FORCE, key.toString());
  }

  @Override
  public synchronized List<NomadJob> children(JobKey parent) throws IOException {
    record(CHILDREN, parent.toString());
    List<NomadJob> out = new ArrayList<>();
    for (ObjectNode job : jobs.values()) {
      if (parent.namespace().equals(job.path("Namespace").asText())
          && parent.jobId().equals(job.path("ParentID").asText())) {
        out.add(NomadJob.fromJson(stub(job)));
      }
    }
    return out;
  }

  @Override
  public synchronized Optional<List<JobVersion>> versions(String namespace, String filter) throws IOException {
    record(VERSIONS, namespace);
    if (!versionListing) {
      return Optional.empty();
    }
    Matcher m = META_FILTER.matcher(filter);
    if (!m.matches()) {
      throw new IllegalArgumentException("FakeNomad cannot filter by " + filter);
    }
    List<JobVersion> out = new ArrayList<>();
    for (Map.Entry<JobKey, ObjectNode> e : jobs.entrySet()) {
      ObjectNode job = e.getValue();
      if ((namespace.equals("*") || e.getKey().namespace().equals(namespace))
          && job.path("ParentID").asText("").isEmpty()
          && m.group(2).equals(job.path("Meta").path(m.group(1)).asText(null))) {
        out.add(new JobVersion(e.getKey(), job.path("Version").asLong(), job.path("ModifyIndex").asLong()));
      }
    }
    return Optional.of(out);
  }

  @Override
  public Optional<String> region() {
    return region;
  }

  // --- JobSource -------------------------------------------------------------------------------------

  @Override
  public JobList listJobs(String namespace) throws IOException {
    calls.add(new Call(LIST, namespace));
    beforeList.run(namespace);
    synchronized (this) {
      throwScripted(LIST);
      List<NomadJob> stubs = new ArrayList<>();
      for (Map.Entry<JobKey, ObjectNode> e : jobs.entrySet()) {
        if (namespace.equals("*") || e.getKey().namespace().equals(namespace)) {
          stubs.add(NomadJob.fromJson(stub(e.getValue())));
        }
      }
      return new JobList(stubs, index);
    }
  }

  /**
   * Answers with the next connection the test gave ({@link #connect}); refuses, as a closed port
   * would, when none comes soon.
   */
  @Override
  public InputStream openJobEvents(String namespace, long from, Duration readTimeout) throws IOException {
    calls.add(new Call(OPEN, namespace + "@" + from));
    synchronized (this) {
      throwScripted(OPEN);
    }
    try {
      InputStream next = connections.poll(CONNECT_WAIT.toMillis(), TimeUnit.MILLISECONDS);
      if (next == null) {
        throw new IOException("connection refused (the test scripted no stream)");
      }
      return next;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new java.io.InterruptedIOException("interrupted while connecting");
    }
  }

  @Override
  public void announced(long at) {
    calls.add(new Call(ANNOUNCED, Long.toString(at)));
    onAnnounced.accept(at);
  }

  /**
   * Answers with the next scripted answer, waiting for one up to {@code wait} as a blocking query
   * does; with none, the last namespaces again.
   */
  @Override
  public Namespaces namespaces(long at, Duration wait) throws IOException {
    calls.add(new Call(NAMESPACES, Long.toString(at)));
    Answer<Namespaces> answer;
    try {
      answer = namespaceAnswers.poll(wait.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new java.io.InterruptedIOException("interrupted in a blocking query");
    }
    if (answer == null) {
      if (lastNamespaces == null) {
        throw new IOException("no namespaces scripted");
      }
      return lastNamespaces;
    }
    Namespaces now = answer.get();
    lastNamespaces = now;
    return now;
  }

  // --- inside --------------------------------------------------------------------------------------

  private void record(String op, String target) throws IOException {
    calls.add(new Call(op, target));
    throwScripted(op);
  }

  private void throwScripted(String op) throws IOException {
    Deque<IOException> queued = failures.get(op);
    IOException next = queued == null ? null : queued.poll();
    if (next != null) {
      throw next;
    }
  }

  /** A job as the job list has it: no groups, no region. */
  private static ObjectNode stub(ObjectNode job) {
    ObjectNode stub = job.deepCopy();
    stub.remove("TaskGroups");
    stub.remove("Region");
    stub.remove("Version"); // Nomad's job list stubs have none
    return stub;
  }

  private static JobKey key(ObjectNode job) {
    return new JobKey(job.path("Namespace").asText("default"), job.path("ID").asText());
  }

  private static Optional<String> find(Pattern pattern, String text) {
    Matcher m = pattern.matcher(text);
    return m.find() ? Optional.of(m.group(1)) : Optional.empty();
  }
}

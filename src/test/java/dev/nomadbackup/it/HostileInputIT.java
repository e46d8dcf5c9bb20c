package dev.nomadbackup.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nomadbackup.testing.Backups;
import dev.nomadbackup.testing.DedicatedNomadAgent;
import dev.nomadbackup.testing.FaultProxy;
import dev.nomadbackup.testing.Jobs;
import dev.nomadbackup.testing.NomadAgent;
import dev.nomadbackup.testing.OperatorRun;
import dev.nomadbackup.testing.OperatorTest;
import dev.nomadbackup.testing.TestNomad;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * What a job author can put in a job, thrown at the operator and a real Nomad: meta values made to
 * break out of the template's strings, jobs in one namespace aimed at another, odd job IDs, empty
 * and non-boolean settings, and jobs that look like the operator's own without its ownership meta.
 */
@OperatorTest
class HostileInputIT {
  static final Duration SETTLE = Duration.ofSeconds(60);
  static final int RANDOM_VALUES = 200;

  /**
   * Every place a value can stand: a quoted string, a list element with text around it, a heredoc
   * line, and the schedule and database, which come from their own meta keys.
   */
  static final String TEMPLATE = """
      job "[[ .JobID ]]" {
        datacenters = [[ .Datacenters ]]
        type        = "batch"

        periodic {
          crons            = ["[[ .Schedule ]]"]
          prohibit_overlap = true
        }

        group "backup" {
          task "dump" {
            driver = "docker"

            config {
              image   = "postgres:17-alpine"
              command = "pg_dump"
              args    = ["--label=[[ .Meta.backup-x | default "" ]]", "--file=/alloc/data/[[ .SourceJobID ]].dump"]
            }

            env {
              VALUE      = "[[ .Meta.backup-x | default "" ]]"
              PGDATABASE = "[[ .TargetDB ]]"
            }

            template {
              destination = "local/value.txt"
              data        = <<EOT
      value: [[ .Meta.backup-y | default "" ]]
      EOT
            }
          }
        }
      }
      """;

  /** Pieces that mean something to HCL, to Nomad's template runner, to the placeholder syntax or to a terminal. */
  static final String[] TOKENS = {
    "\"", "\\", "\\\"", "\n", "\r", "\r\n", "\t", "$", "%", "{", "}", "${", "%{", "$${", "%%{", "${x}", "%{ if true }",
    "%{ endif }", "${file(\"/etc/passwd\")}", "${uuidv4()}", "${env.HOME}", "[", "]", "[[", "]]", "[[ .JobID ]]",
    "[[ .Meta.backup-x ]]", "<<EOT", "<<-EOT", "EOT", "\nEOT\n", "#", "//", "/*", "*/", "=", ",", "x = 1",
    "\"\n  EVIL = \"", "\", \"--evil", "namespace = \"other\"", "\ntype = \"service\"\n", "}\n}\njob \"evil\" {",
    "é", "漢字", "🙂", "\u0000", "\u0001", "\u001b[31m", "\u007f", "\u2028", "\u202e", "\uFEFF", "\uD83D", "a", " ",
    "{{", "}}", "{{ env \"NOMAD_TOKEN\" }}",
  };

  /** Whole values aimed at one way out each, tried before the random ones. */
  static final List<String> CRAFTED = List.of(
      "plain",
      "",
      "\"",
      "\\",
      "\\\"",
      "x\"\n          EVIL = \"injected",
      "x\", \"--evil=1",
      "\"]\n      }\n    }\n    task \"evil\" {\n      driver = \"raw_exec\"\n      config {\n        command = \"/bin/sh\"\n      }\n      env {\n        X = [\"",
      "${file(\"/etc/passwd\")}",
      "${uuidv4()}",
      "$${not interpolated}",
      "%{ for x in [1,2] }${x}%{ endfor }",
      "%%{ escaped }",
      "EOT",
      "x\nEOT\n  }\n}\njob \"evil\" {",
      "<<EOT\nevil\nEOT",
      "]]",
      "[[ .JobID ]]",
      "[[ .Meta.backup-x ]]",
      "{{ env \"NOMAD_TOKEN\" }}",
      "}}",
      "{ {",
      "\n\n\n",
      "\r",
      "\t\u0000\u0001\u001b\u007f",
      "\u202egnp.exe",
      "\uFEFFbom",
      "漢字とかな",
      "🙂🙃",
      "\uD83D",
      "namespace = \"other\"",
      "\"\n  namespace = \"other\"\n  x = \"",
      "A".repeat(10_000),
      "\"".repeat(5_000),
      "${".repeat(2_000),
      "漢".repeat(20_000),
      "x".repeat(256 * 1024));

  static String randomValue(Random random) {
    StringBuilder value = new StringBuilder();
    int tokens = 1 + random.nextInt(10);
    for (int t = 0; t < tokens; t++) {
      String token = TOKENS[random.nextInt(TOKENS.length)];
      value.append(random.nextInt(12) == 0 ? token.repeat(1 + random.nextInt(300)) : token);
    }
    return value.toString();
  }

  /** Hostile schedules: the only acceptable outcomes are a backup with exactly this one cron, or a refusal. */
  static final List<String> SCHEDULES = List.of(
      "@daily\", \"* * * * *",
      "@daily\"]\n    crons = [\"* * * * *",
      "* * * * *\"]\n  }\n  periodic {\n    crons = [\"* * * * *",
      "${timestamp()}",
      "%{ if true }* * * * *%{ endif }",
      "0 3 * * *\n",
      "@reboot",
      "\u0000",
      "{{ now }}",
      "*/5 * * * *",
      "@daily ");

  /** Hostile datacenter names, which the template writes as a list outside any string. */
  static final List<String> DATACENTERS = List.of(
      "dc\"]\n  type = \"service",
      "dc\", \"evil",
      "${uuidv4()}",
      "]]",
      "dc1\n",
      "漢字",
      "{{ x }}");

  record Case(String kind, String id, String x, String y, String db, String schedule, List<String> datacenters) {}

  @Test
  void metaValuesEitherRenderAsLiteralsInTheTemplatesStructureOrAreRefusedWithALog(NomadAgent agent, TestNomad nomad) throws Exception {
    String p = Jobs.uniqueId("hx");
    Path template = Files.createTempFile(Path.of("target"), "hostile", ".nomad.tmpl");
    Files.writeString(template, TEMPLATE);
    List<Case> cases = new ArrayList<>();
    cases.add(new Case("reference", p + "-ref", "benign", "benign", "benign", "@daily", List.of("dc1")));
    List<String> values = new ArrayList<>(CRAFTED);
    Random random = new Random(20260601L);
    for (int i = 0; i < RANDOM_VALUES; i++) {
      values.add(randomValue(random));
    }
    for (String v : values) {
      cases.add(new Case("value", String.format("%s-%03d", p, cases.size()), v, v.replaceAll("[\r\n]", " "), v,
          "@daily", List.of("dc1")));
    }
    for (String s : SCHEDULES) {
      cases.add(new Case("schedule", String.format("%s-%03d", p, cases.size()), "benign", "benign", "benign", s,
          List.of("dc1")));
    }
    for (String dc : DATACENTERS) {
      cases.add(new Case("datacenter", String.format("%s-%03d", p, cases.size()), "benign", "benign", "benign",
          "@daily", List.of("dc1", dc)));
    }

    ObjectNode base = nomad.parse("default", Jobs.periodic("base", Map.of()));
    Map<String, String> refusedBySource = new TreeMap<>();
    try (OperatorRun run = OperatorRun.start(agent, Map.of("OPERATOR_TEMPLATE", template.toString()))) {
      List<Case> registered = new ArrayList<>();
      for (Case c : cases) {
        ObjectNode job = base.deepCopy();
        job.put("ID", c.id()).put("Name", c.id());
        ArrayNode dcs = job.putArray("Datacenters");
        c.datacenters().forEach(dcs::add);
        ObjectNode meta = job.putObject("Meta");
        meta.put("auto-backup", "true");
        meta.put("backup-schedule", c.schedule());
        meta.put("backup-target-db", c.db());
        meta.put("backup-x", c.x());
        meta.put("backup-y", c.y());
        try {
          nomad.register("default", job);
          registered.add(c);
        } catch (TestNomad.NomadError e) {
          refusedBySource.put(c.id(), e.getMessage()); // Nomad would not take the source job itself
        }
      }

      // each case ends with a backup job or an error line that names the job
      await().atMost(SETTLE).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
        Set<String> backups = Backups.managed(nomad, "default", p).keySet();
        List<String> open = registered.stream().map(Case::id)
            .filter(id -> !backups.contains(id) && errorFor(run, id).isEmpty())
            .toList();
        assertEquals(List.of(), open, "cases with neither a backup nor an error");
      });
      assertTrue(run.idle(SETTLE));

      JsonNode reference = nomad.job("backup-" + p + "-ref").orElseThrow();
      JsonNode shape = normalize(reference);
      Set<String> backups = Backups.managed(nomad, "default", p).keySet();
      Map<String, Integer> outcomes = new TreeMap<>();
      int literalChecks = 0;
      for (Case c : registered) {
        JsonNode source = nomad.job(c.id()).orElseThrow();
        String x = source.path("Meta").path("backup-x").asText();
        String y = source.path("Meta").path("backup-y").asText();
        String db = source.path("Meta").path("backup-target-db").asText();
        Optional<String> error = errorFor(run, c.id());
        if (!backups.contains(c.id())) {
          String line = error.orElseThrow();
          String cause = cause(line);
          assertFalse(cause.equals("other"), "an unclear refusal: " + line);
          outcomes.merge(c.kind() + " refused: " + cause, 1, Integer::sum);
          continue;
        }
        assertTrue(error.isEmpty(), "a backup and an error for " + c.id() + ": " + error);
        JsonNode backup = nomad.job("backup-" + c.id()).orElseThrow();
        assertEquals(shape, normalize(backup), () -> "the structure of backup-" + c.id() + " differs from the template's");
        JsonNode task = backup.path("TaskGroups").get(0).path("Tasks").get(0);
        assertEquals(x, task.path("Env").path("VALUE").asText(), c.id());
        assertEquals(db, task.path("Env").path("PGDATABASE").asText(), c.id());
        assertEquals("--label=" + x, task.path("Config").path("args").get(0).asText(), c.id());
        assertEquals("--file=/alloc/data/" + c.id() + ".dump", task.path("Config").path("args").get(1).asText());
        assertEquals("value: " + y + "\n", task.path("Templates").get(0).path("EmbeddedTmpl").asText(), c.id());
        assertEquals(List.of(c.schedule().trim()), Jobs.strings(backup.path("Periodic").path("Specs")), c.id());
        assertEquals(Jobs.strings(source.path("Datacenters")), Jobs.strings(backup.path("Datacenters")), c.id());
        assertEquals("default", backup.path("Namespace").asText());
        literalChecks += 6;
        outcomes.merge(c.kind() + " rendered as literals", 1, Integer::sum);
      }
      assertTrue(outcomes.getOrDefault("value rendered as literals", 0) > registered.size() / 3,
          "too few values got through to test the escaping: " + outcomes);
      System.out.printf("[hostile] %d meta/schedule/datacenter cases (%d crafted, %d random, %d schedules, %d datacenters): "
              + "%s; %d literal checks; %d source jobs Nomad itself refused%n",
          cases.size() - 1, CRAFTED.size(), RANDOM_VALUES, SCHEDULES.size(), DATACENTERS.size(), outcomes,
          literalChecks, refusedBySource.size());
      refusedBySource.forEach((id, why) -> System.out.printf("[hostile]   source %s refused: %.160s%n", id, why));
    }
  }

  @Test
  void theStructureCheckCatchesValuesThatWereNotEscaped(TestNomad nomad) throws Exception {
    ObjectNode benign = nomad.parse("default", naive("benign", "benign"));
    assertTrue(passes(benign, normalize(backupLike(benign)), "benign", "benign"), "the check refuses a plain value");
    // values pasted in as they are, the way the article's operator did: each one gets caught
    Map<String, String[]> attacks = new LinkedHashMap<>();
    attacks.put("an extra env var", new String[] {"x\"\n          EVIL = \"injected", "benign"});
    attacks.put("an interpolation", new String[] {"${uuidv4()}", "benign"});
    attacks.put("a template directive", new String[] {"%{ if true }yes%{ else }no%{ endif }", "benign"});
    attacks.put("an extra task", new String[] {"x\"\n        }\n      }\n      task \"evil\" {\n        driver = \"raw_exec\"\n"
        + "        config {\n          command = \"/bin/sh\"\n        }\n        env {\n          Y = \"", "benign"});
    attacks.put("a heredoc ended early", new String[] {"benign", "x\nEOT\n        env {\n          EVIL = \"1\"\n        }\n"
        + "        template {\n          destination = \"local/2\"\n          data = <<EOT\n"});
    for (var attack : attacks.entrySet()) {
      String x = attack.getValue()[0];
      String y = attack.getValue()[1];
      ObjectNode parsed;
      try {
        parsed = nomad.parse("default", naive(x, y));
      } catch (TestNomad.NomadError e) {
        assertEquals(400, e.status, attack.getKey());
        continue; // Nomad refused it: caught too
      }
      assertFalse(passes(parsed, normalize(backupLike(benign)), x, y), attack.getKey() + " went unnoticed");
    }
  }

  /** The check the property test makes of each backup, on a parsed job. */
  static boolean passes(ObjectNode parsed, JsonNode shape, String x, String y) {
    JsonNode task = parsed.path("TaskGroups").get(0).path("Tasks").get(0);
    return shape.equals(normalize(backupLike(parsed)))
        && x.equals(task.path("Env").path("VALUE").asText())
        && ("value: " + y + "\n").equals(task.path("Templates").get(0).path("EmbeddedTmpl").asText());
  }

  @Test
  void aJobInOneNamespaceNeverCausesAWriteInAnother(NomadAgent agent, TestNomad nomad) throws Exception {
    String a = Jobs.uniqueId("ns-a");
    String b = Jobs.uniqueId("ns-b");
    nomad.createNamespace(a);
    nomad.createNamespace(b);
    // B: a job and a user's own job with the name a backup of it would have
    nomad.run(b, Jobs.service("app", Map.of("team", "b")));
    nomad.run(b, Jobs.service("backup-app", Map.of("owner", "b")));
    nomad.run(b, Jobs.service("backup-evil?namespace=" + b, Map.of("owner", "b")));
    Map<String, Long> bIndexes = indexes(nomad, b);

    // A: the same ID opting in with values aimed at B, IDs that try to smuggle a namespace into a
    // URL, and a job that claims (by meta) to be the operator's backup of B's job
    Map<String, String> aimed = Jobs.optIn("@daily");
    aimed.put("backup-target-db", b);
    aimed.put("backup-pg-host", "\"\n        }\n      }\n    }\n  }\n  namespace = \"" + b + "\"\n  x = {\n    y = \"");
    List<String> aIds = List.of("app", "evil?namespace=" + b, "evil&namespace=" + b, "evil#namespace=" + b,
        "..%2F" + b);
    try (FaultProxy proxy = FaultProxy.start(agent.address());
        OperatorRun run = OperatorRun.start(agent, Map.of("NOMAD_ADDR", proxy.address().toString()))) {
      ObjectNode base = withMeta(nomad.parse(a, Jobs.service("base", Map.of())), aimed);
      for (String id : aIds) {
        ObjectNode job = base.deepCopy();
        job.put("ID", id).put("Name", id);
        nomad.register(a, job);
      }
      ObjectNode forged = nomad.parse(a, Jobs.service("backup-claim", Map.of(
          "backup-operator-managed", "true", "backup-operator-source", "app", "backup-operator-spec-hash", "0")));
      nomad.register(a, forged);

      await().atMost(SETTLE).pollInterval(Duration.ofMillis(200)).untilAsserted(() ->
          assertEquals(new TreeSet<>(aIds), Backups.managed(nomad, a, "").keySet()));
      assertTrue(run.idle(SETTLE));
      for (String id : aIds) {
        nomad.stop(a, id);
      }
      await().atMost(SETTLE).pollInterval(Duration.ofMillis(200)).untilAsserted(() ->
          assertEquals(Set.of("app"), Backups.managed(nomad, a, "").keySet(), "only the forged claim is left"));
      assertTrue(run.idle(SETTLE));

      List<FaultProxy.JobWrite> writes = proxy.jobWrites();
      assertTrue(writes.size() >= 2 * aIds.size(), "the operator wrote less than expected: " + writes);
      for (FaultProxy.JobWrite w : writes) {
        assertEquals(a, w.namespace(), "a write outside " + a + ": " + w);
        assertEquals(a, w.queryNamespace(), "a write sent outside " + a + ": " + w);
      }
      assertEquals(bIndexes, indexes(nomad, b), "jobs in " + b + " changed");
      assertEquals(Map.of(), Backups.managed(nomad, b, ""), "a backup appeared in " + b);
      System.out.printf("[hostile] namespaces: %d job writes by the operator, all in the source's namespace; "
          + "%d jobs in the other namespace unchanged%n", writes.size(), bIndexes.size());
    }
  }

  @Test
  void oddJobIdsGetTheirBackupAndLoseItAgain(NomadAgent agent, TestNomad nomad) throws Exception {
    String u = Jobs.uniqueId("odd");
    List<String> ids = List.of(
        u + "-" + "L".repeat(5000), // Nomad sets no limit; 5,000 characters tried
        u + "/b", u + "//c", u + "/./d", u + "/..", u + "/../" + u + "-victim", u + "?b", u + "#b", u + "%2Fb",
        u + "&purge=true", u + "\"q", u + "\\b", u + "${x}", u + "%{x}", u + "[[x]]", u + "-ünï-漢字-🙂",
        ".", "..", "...");
    // the jobs that a path with "//", "/./" or "/../" would reach once cleaned up: none may change
    ObjectNode plain = nomad.parse("default", Jobs.service("x", Map.of("team", "web")));
    Set<String> victims = Set.of(u + "-victim", "backup-" + u + "/c", "backup-" + u + "/d");
    for (String v : victims) {
      nomad.register("default", withId(plain, v));
    }
    ObjectNode template = nomad.parse("default", Jobs.periodic("template", Jobs.optIn("@daily")));
    Map<String, Long> victimIndexes = indexes(nomad, "default", victims);
    try (FaultProxy proxy = FaultProxy.start(agent.address());
        OperatorRun run = OperatorRun.start(agent, Map.of("NOMAD_ADDR", proxy.address().toString()))) {
      for (String id : ids) {
        nomad.register("default", withId(template, id));
      }
      await().atMost(SETTLE).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
        for (String id : ids) {
          assertTrue(nomad.job("backup-" + id).isPresent(), "no backup for " + abbreviate(id));
        }
      });
      assertTrue(run.idle(SETTLE));
      for (String id : ids) {
        nomad.purge("default", id);
      }
      await().atMost(SETTLE).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
        for (String id : ids) {
          assertTrue(nomad.job("backup-" + id).isEmpty(), "backup left behind for " + abbreviate(id));
        }
      });
      assertTrue(run.idle(SETTLE));
      assertEquals(victimIndexes, indexes(nomad, "default", victims), "a job the operator does not own changed");
      for (FaultProxy.JobWrite w : proxy.jobWrites()) {
        assertTrue(ids.stream().anyMatch(id -> w.jobId().equals("backup-" + id) || w.jobId().equals("restore-" + id)),
            "an unexpected write: " + abbreviate(w.toString()));
      }
      assertTrue(run.log.lines().stream().noneMatch(l -> l.startsWith("WARN") || l.startsWith("ERROR")),
          "odd IDs caused warnings or errors");
      System.out.printf("[hostile] odd IDs: %d IDs created and removed, %d jobs in the way untouched%n",
          ids.size(), victims.size());
    }
  }

  /**
   * A job ID ending in one of Nomad's job sub-resources ({@code /summary}, {@code /versions}, ...)
   * cannot be addressed through Nomad's HTTP API: {@code GET /v1/job/x%2Fsummary} is the summary of
   * job {@code x}. The operator then reads the source as gone or as a job without settings (or gets
   * a 405 and retries), so it makes no backup; what it must never do is write to the job the API
   * confused it with. On an agent of its own: nobody can delete these jobs through the API either
   * (the DELETE lands on the sub-resource), so they would stay behind on the shared agent.
   */
  @Test
  void idsThatNomadsApiReadsAsASubResourceNeverCostAnotherJob() throws Exception {
    try (DedicatedNomadAgent agent = DedicatedNomadAgent.start("nomad-suffix", "")) {
      subResourceIds(agent);
    }
  }

  private void subResourceIds(NomadAgent agent) throws Exception {
    TestNomad nomad = agent.api(); // not noted: the agent goes with its jobs
    String u = Jobs.uniqueId("suffix");
    String lone = Jobs.uniqueId("lone"); // no job called "lone" or "backup-lone" exists
    List<String> ids = List.of(u + "/summary", u + "/versions", u + "/allocations", u + "/evaluate",
        lone + "/summary", lone + "/versions");
    // "backup-<u>" is what GET /v1/job/backup-<u>%2Fsummary actually reads: a user's job
    nomad.run(Jobs.service("backup-" + u, Map.of("owner", "me")));
    nomad.run(Jobs.service(u, Map.of("owner", "me")));
    Map<String, Long> before = indexes(nomad, "default", Set.of("backup-" + u, u));
    ObjectNode template = nomad.parse("default", Jobs.periodic("template", Jobs.optIn("@daily")));
    try (FaultProxy proxy = FaultProxy.start(agent.address());
        OperatorRun run = OperatorRun.start(agent, Map.of("NOMAD_ADDR", proxy.address().toString()))) {
      for (String id : ids) {
        nomad.register("default", withId(template, id));
      }
      await().atMost(SETTLE).pollInterval(Duration.ofMillis(200)).untilAsserted(() ->
          assertTrue(ids.stream().allMatch(id -> attempts(run, id) >= 1)));
      for (String id : ids) {
        // opting out by registering again: neither a stop nor a purge would get through, as the
        // DELETE lands on the sub-resource
        nomad.register("default", withMeta(withId(template, id), Map.of("auto-backup", "false")));
      }
      await().atMost(SETTLE).pollInterval(Duration.ofMillis(200)).untilAsserted(() ->
          assertTrue(ids.stream().allMatch(id -> attempts(run, id) >= 2)));
      assertEquals(before, indexes(nomad, "default", Set.of("backup-" + u, u)), "the jobs the API confused them with changed");
      for (FaultProxy.JobWrite w : proxy.jobWrites()) {
        assertTrue(ids.stream().anyMatch(id -> w.jobId().equals("backup-" + id) || w.jobId().equals("restore-" + id)),
            "an unexpected write: " + abbreviate(w.toString()));
        assertEquals("POST", w.method(), "no backup of these can be found again, so none may be deleted: " + w);
      }
      Set<String> orphans = new TreeSet<>(Backups.managed(nomad, "default", u).keySet());
      orphans.addAll(Backups.managed(nomad, "default", lone).keySet());
      assertEquals(Set.of(), orphans, "a backup that Nomad's API cannot find again");
      List<String> retrying = ids.stream().filter(id -> failures(run, id) > 0).toList();
      System.out.printf("[hostile] sub-resource IDs: %d tried, other jobs untouched, no backup made; "
          + "retried as failures: %s%n", ids.size(), retrying);
    }
  }

  @Test
  void emptyValuesAndNonBooleansHaveDefinedOutcomes(NomadAgent agent, TestNomad nomad) throws Exception {
    String p = Jobs.uniqueId("edge");
    Map<String, Map<String, String>> metas = new LinkedHashMap<>();
    metas.put(p + "-empty-flag", Map.of("auto-backup", "", "backup-schedule", "@daily"));
    metas.put(p + "-yes", Map.of("auto-backup", "yes", "backup-schedule", "@daily"));
    metas.put(p + "-empty-schedule", Map.of("auto-backup", "true", "backup-schedule", ""));
    metas.put(p + "-blank-schedule", Map.of("auto-backup", "true", "backup-schedule", "  "));
    metas.put(p + "-empty-db", Map.of("auto-backup", "true", "backup-schedule", "@daily", "backup-target-db", ""));
    metas.put(p + "-empty-host", Map.of("auto-backup", "true", "backup-schedule", "@daily", "backup-pg-host", ""));
    metas.put(p + "-padded", Map.of("auto-backup", " TRUE ", "backup-schedule", " @daily "));
    metas.put(p + "-one", Map.of("auto-backup", "1", "backup-schedule", "@hourly"));
    metas.put(p + "-empty-key", Map.of("auto-backup", "true", "backup-schedule", "@daily", "backup-", "x"));
    metas.put(p + "-off", Map.of("auto-backup", "f", "backup-schedule", "@daily"));
    ObjectNode base = nomad.parse("default", Jobs.periodic("base", Map.of()));
    try (OperatorRun run = OperatorRun.start(agent)) {
      // a job with a backup whose flag then turns into "yes": the backup is left as it is
      nomad.register("default", withMeta(withId(base, p + "-was-on"), Jobs.optIn("@daily")));
      JsonNode first = awaitBackup(nomad, p + "-was-on");
      nomad.register("default", withMeta(withId(base, p + "-was-on"), Map.of("auto-backup", "yes", "backup-schedule", "@daily")));
      metas.forEach((id, meta) -> nomad.register("default", withMeta(withId(base, id), meta)));

      await().atMost(SETTLE).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
        for (String id : metas.keySet()) {
          assertTrue(run.log.contains("--> Done: " + id + " ("), id);
        }
        assertTrue(run.log.count("--> Done: " + p + "-was-on (") >= 2);
      });
      assertTrue(run.idle(SETTLE));

      assertError(run, p + "-empty-flag", "auto-backup = \"\" is not a boolean");
      assertError(run, p + "-yes", "auto-backup = \"yes\" is not a boolean");
      assertError(run, p + "-was-on", "auto-backup = \"yes\" is not a boolean");
      assertError(run, p + "-empty-schedule", "backup-schedule is required when auto-backup is true");
      assertError(run, p + "-blank-schedule", "backup-schedule is required when auto-backup is true");
      assertEquals(Set.of(p + "-empty-db", p + "-empty-host", p + "-padded", p + "-one", p + "-empty-key", p + "-was-on"),
          Backups.managed(nomad, "default", p).keySet());
      assertEquals(first.path("JobModifyIndex").asLong(),
          nomad.job("backup-" + p + "-was-on").orElseThrow().path("JobModifyIndex").asLong(),
          "a backup whose flag became unreadable must be left as it is");
      JsonNode db = task(nomad, p + "-empty-db");
      assertEquals("", db.path("Env").path("PGDATABASE").asText());
      assertEquals("postgres.service.consul", task(nomad, p + "-empty-host").path("Env").path("PGHOST").asText(),
          "an empty value takes the template's default");
      assertEquals("@daily", nomad.job("backup-" + p + "-padded").map(Jobs::cronOf).orElseThrow());
      assertEquals("@hourly", nomad.job("backup-" + p + "-one").map(Jobs::cronOf).orElseThrow());
    }
  }

  @Test
  void jobsWithoutTheOwnershipMetaAreNeverChanged(NomadAgent agent, TestNomad nomad) throws Exception {
    String p = Jobs.uniqueId("own");
    Map<String, Map<String, String>> lookalikes = new LinkedHashMap<>();
    lookalikes.put(p + "-1", Map.of());
    lookalikes.put(p + "-2", Map.of("backup-operator-managed", "false", "backup-operator-source", p + "-2"));
    lookalikes.put(p + "-3", Map.of("backup-operator-managed", "TRUE", "backup-operator-source", p + "-3"));
    lookalikes.put(p + "-4", Map.of("backup-operator-managed", "true ", "backup-operator-source", p + "-4"));
    lookalikes.put(p + "-5", Map.of("backup-operator-managed", "true", "backup-operator-source", p + "-other"));
    lookalikes.put(p + "-6", Map.of("backup-operator-source", p + "-6"));
    lookalikes.put(p + "-7", Map.of("backup-operator-managed", "true", "backup-operator-source", ""));
    ObjectNode periodic = nomad.parse("default", Jobs.periodic("base", Map.of()));
    Set<String> theirs = lookalikes.keySet().stream().map(id -> "backup-" + id).collect(Collectors.toSet());
    for (var e : lookalikes.entrySet()) {
      nomad.register("default", withMeta(withId(periodic, "backup-" + e.getKey()), e.getValue()));
    }
    // and one that carries the full ownership meta for a job that is gone: it is the operator's by definition
    nomad.register("default", withMeta(withId(periodic, "backup-" + p + "-orphan"), Map.of(
        "backup-operator-managed", "true", "backup-operator-source", p + "-orphan")));
    Map<String, Long> before = indexes(nomad, "default", theirs);
    try (FaultProxy proxy = FaultProxy.start(agent.address());
        OperatorRun run = OperatorRun.start(agent, Map.of("NOMAD_ADDR", proxy.address().toString()))) {
      for (String id : lookalikes.keySet()) {
        nomad.register("default", withMeta(withId(periodic, id), Jobs.optIn("@daily")));
      }
      await().atMost(SETTLE).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
        for (String id : lookalikes.keySet()) {
          assertTrue(run.log.contains("Conflict: backup-" + id + " exists and is not managed by the operator"), id);
        }
        assertTrue(nomad.job("backup-" + p + "-orphan").isEmpty(), "the orphan with ownership meta stays");
      });
      for (String id : lookalikes.keySet()) {
        nomad.register("default", withMeta(withId(periodic, id), Jobs.optIn("@weekly")));
        nomad.stop("default", id);
      }
      await().atMost(SETTLE).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
        for (String id : lookalikes.keySet()) {
          assertTrue(run.log.contains("Left alone: backup-" + id + " is not managed by the operator"), id);
        }
      });
      for (String id : lookalikes.keySet()) {
        nomad.purge("default", id);
      }
      assertTrue(run.idle(SETTLE));
      assertEquals(before, indexes(nomad, "default", theirs), "a look-alike job was written");
      for (String id : theirs) {
        assertFalse(nomad.job(id).orElseThrow().path("Stop").asBoolean(), id + " was stopped");
      }
      List<FaultProxy.JobWrite> writes = proxy.jobWrites();
      assertEquals(List.of(new FaultProxy.JobWrite("DELETE", "default", "default", "backup-" + p + "-orphan")), writes,
          "the operator's only write is removing the orphan that carries its meta");
      System.out.printf("[hostile] ownership: %d look-alikes left alone through conflict, stop and purge; "
          + "%d write (the orphan with full ownership meta)%n", lookalikes.size(), writes.size());
    }
  }

  // ---- helpers ----

  /** Reconciles of this job that ended, well or not. */
  static long attempts(OperatorRun run, String id) {
    return run.log.count("--> Done: " + id + " (") + failures(run, id);
  }

  /**
   * Failed reconciles of this job: WARN lines that name it, followed by a comma, as the retry line
   * does. That line is the only sign of a failed attempt; its wording is not checked.
   */
  static long failures(OperatorRun run, String id) {
    return run.log.lines().stream().filter(l -> l.startsWith("WARN") && l.contains(" " + id + ", ")).count();
  }

  /** The error line that names this job, if any. */
  static Optional<String> errorFor(OperatorRun run, String id) {
    return run.log.lines().stream()
        .filter(l -> l.startsWith("ERROR") && (l.contains(" for " + id + ": ") || l.contains(" for " + id + " ")))
        .findFirst();
  }

  static void assertError(OperatorRun run, String id, String cause) {
    String line = errorFor(run, id).orElseThrow(() -> new AssertionError("no error line for " + id));
    assertTrue(line.contains(cause), line);
  }

  /** Why a value was refused, in a word, from the operator's error line. */
  static String cause(String line) {
    if (line.contains("would be evaluated by Nomad's template runner")) {
      return "{{ or }} (Nomad's template runner)";
    }
    if (line.contains("holds a line break")) {
      return "line break in a heredoc";
    }
    if (line.contains("backup-schedule is required")) {
      return "schedule empty once trimmed";
    }
    if (line.contains("cron") || line.contains("Periodic")) {
      return "invalid schedule (Nomad)";
    }
    if (line.contains("does not parse")) {
      return "Nomad could not parse it";
    }
    if (line.contains("rejected by Nomad")) {
      return "rejected by Nomad";
    }
    return "other";
  }

  /**
   * The backup job with every field that may differ between two sources set to a fixed mark:
   * where values are written, the source's ID and hash, indexes and times. What remains is the
   * template's structure, and has to be the same for every value.
   */
  static JsonNode normalize(JsonNode job) {
    ObjectNode j = job.deepCopy();
    for (String f : List.of("ID", "Name", "CreateIndex", "ModifyIndex", "JobModifyIndex", "SubmitTime", "Version",
        "Status", "StatusDescription", "Stable", "Stop")) {
      j.remove(f);
    }
    if (j.path("Meta") instanceof ObjectNode meta && meta.has("backup-operator-source")) {
      meta.put("backup-operator-source", "*");
      meta.put("backup-operator-spec-hash", "*");
    }
    j.putArray("Datacenters").add("*");
    mark(j.path("Periodic").path("Specs"));
    for (JsonNode group : j.path("TaskGroups")) {
      for (JsonNode task : group.path("Tasks")) {
        mark(task.path("Config").path("args"));
        mark(task.path("Env"));
        for (JsonNode t : task.path("Templates")) {
          ((ObjectNode) t).put("EmbeddedTmpl", "*");
        }
      }
    }
    return j;
  }

  /** Sets every value of a list or object to "*", keeping its size and keys. */
  private static void mark(JsonNode node) {
    if (node instanceof ArrayNode array) {
      for (int i = 0; i < array.size(); i++) {
        array.set(i, "*");
      }
    } else if (node instanceof ObjectNode object) {
      List<String> keys = new ArrayList<>();
      object.fieldNames().forEachRemaining(keys::add);
      keys.forEach(k -> object.put(k, "*"));
    }
  }

  /** What the reconciler does to a parsed template before registering it, for comparing parses. */
  static JsonNode backupLike(ObjectNode parsed) {
    ObjectNode j = parsed.deepCopy();
    ObjectNode meta = j.path("Meta").isObject() ? (ObjectNode) j.get("Meta") : j.putObject("Meta");
    meta.put("backup-operator-managed", "true").put("backup-operator-source", "*").put("backup-operator-spec-hash", "*");
    return j;
  }

  /**
   * The template with values pasted in as they are, the way the article's operator did it ({@code
   * x} only in the env var, so that each attack aims at one place).
   */
  static String naive(String x, String y) {
    return TEMPLATE.replace("--label=[[ .Meta.backup-x | default \"\" ]]", "--label=benign")
        .replace("[[ .JobID ]]", "backup-naive")
        .replace("[[ .Datacenters ]]", "[\"dc1\"]")
        .replace("[[ .Schedule ]]", "@daily")
        .replace("[[ .SourceJobID ]]", "naive")
        .replace("[[ .TargetDB ]]", "benign")
        .replace("[[ .Meta.backup-x | default \"\" ]]", x)
        .replace("[[ .Meta.backup-y | default \"\" ]]", y);
  }

  static JsonNode task(TestNomad nomad, String source) {
    return nomad.job("backup-" + source).orElseThrow().path("TaskGroups").get(0).path("Tasks").get(0);
  }

  static JsonNode awaitBackup(TestNomad nomad, String source) {
    return await().atMost(SETTLE).pollInterval(Duration.ofMillis(200))
        .until(() -> nomad.job("backup-" + source), Optional::isPresent).orElseThrow();
  }

  static ObjectNode withId(ObjectNode job, String id) {
    ObjectNode copy = job.deepCopy();
    copy.put("ID", id).put("Name", id);
    return copy;
  }

  static ObjectNode withMeta(ObjectNode job, Map<String, String> meta) {
    ObjectNode m = job.putObject("Meta");
    meta.forEach(m::put);
    return job;
  }

  /** JobModifyIndex of every job of a namespace. */
  static Map<String, Long> indexes(TestNomad nomad, String namespace) {
    Map<String, Long> out = new TreeMap<>();
    for (JsonNode stub : nomad.jobs(namespace)) {
      out.put(stub.path("ID").asText(), stub.path("JobModifyIndex").asLong());
    }
    return out;
  }

  static Map<String, Long> indexes(TestNomad nomad, String namespace, Set<String> ids) {
    Map<String, Long> all = indexes(nomad, namespace);
    all.keySet().retainAll(ids);
    assertEquals(ids, all.keySet(), "jobs missing");
    return all;
  }

  static String abbreviate(String s) {
    return s.length() > 80 ? s.substring(0, 80) + "... (" + s.length() + " chars)" : s;
  }
}

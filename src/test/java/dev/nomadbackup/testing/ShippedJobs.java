package dev.nomadbackup.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nomadbackup.backup.template.TemplateException;
import dev.nomadbackup.backup.template.TemplateSource;
import dev.nomadbackup.backup.template.TemplateValues;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * Jobs from the shipped templates, and the Nomad Variables their tasks read.
 *
 * <p>{@link #register} stands in for the operator where it does not register a kind of job yet
 * (the MariaDB kind, restore jobs): once it does, tests read what it registered instead.
 */
public final class ShippedJobs {
  private static final ObjectMapper JSON = new ObjectMapper();

  private ShippedJobs() {}

  /** A template file of the repository: {@code backup.nomad.tmpl} or {@code templates/<kind>/<name>.nomad.tmpl}. */
  public static Path template(String kind, String name) {
    return "postgres".equals(kind) && "backup".equals(name)
        ? Path.of("backup.nomad.tmpl")
        : Path.of("templates", kind, name + ".nomad.tmpl");
  }

  /**
   * Renders {@code template} with {@code values} as the operator would, has Nomad parse it
   * ({@code POST /v1/jobs/parse}), registers it as {@code values.jobId()} in {@code values.namespace()},
   * and returns the job as Nomad has it.
   */
  public static JsonNode register(NomadAgent agent, Path template, TemplateValues values) {
    String hcl;
    try {
      hcl = TemplateSource.load(Optional.of(template)).render(values);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + template, e);
    } catch (TemplateException e) {
      throw new IllegalStateException(template + " does not render: " + e.getMessage(), e);
    }
    TestNomad nomad = agent.api();
    ObjectNode job = nomad.parse(values.namespace(), hcl);
    job.put("ID", values.jobId());
    job.put("Name", values.jobId());
    nomad.register(values.namespace(), job);
    return nomad.job(values.namespace(), values.jobId()).orElseThrow();
  }

  /** Writes the Nomad Variable {@code nomad/jobs/<jobId>} with {@code items}. */
  public static void putJobVariable(NomadAgent agent, String namespace, String jobId, Map<String, String> items) {
    String path = "nomad/jobs/" + jobId;
    ObjectNode body = JSON.createObjectNode().put("Namespace", namespace).put("Path", path);
    ObjectNode i = body.putObject("Items");
    items.forEach(i::put);
    agent.api().send("PUT", "/v1/var/" + path + "?namespace=" + enc(namespace), body);
  }

  /** Deletes the Nomad Variable {@code nomad/jobs/<jobId>}; no error when there is none. */
  public static void deleteJobVariable(NomadAgent agent, String namespace, String jobId) {
    try {
      agent.api().send("DELETE", "/v1/var/nomad/jobs/" + jobId + "?namespace=" + enc(namespace), null);
    } catch (TestNomad.NomadError e) {
      if (e.status != 404) {
        throw e;
      }
    }
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }
}

package dev.nomadbackup.backup;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nomadbackup.nomad.JobKey;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import dev.nomadbackup.nomad.NomadJob;
import java.util.Optional;

/**
 * How the operator marks the jobs it owns. Only a job carrying this meta is ever changed or removed
 * by the operator; a job that merely has a {@code backup-} name is somebody else's.
 */
public final class Ownership {
  public static final String PREFIX = "backup-";
  public static final String RESTORE_PREFIX = "restore-";
  static final String MANAGED = "backup-operator-managed";
  static final String SOURCE = "backup-operator-source";
  static final String SPEC_HASH = "backup-operator-spec-hash";
  /**
   * The {@code Version} the operator's own write gives the job. Nomad raises a job's version with
   * every change of its spec, so a job whose version differs was changed by someone else.
   */
  static final String VERSION = "backup-operator-version";
  /** Bumped whenever the way a spec is stamped changes, so existing jobs are rewritten once. */
  private static final String STAMP_VERSION = "3";
  /** Meta keys that belong to the operator and are never read as settings. */
  static final String RESERVED_PREFIX = "backup-operator-";

  private Ownership() {}

  public static String backupIdFor(String sourceJobId) {
    return PREFIX + sourceJobId;
  }

  public static String restoreIdFor(String sourceJobId) {
    return RESTORE_PREFIX + sourceJobId;
  }

  /**
   * Marks {@code spec}, a parsed job, as the operator's job {@code key} for {@code source}: whatever
   * the template said, the job lands under that name, in the source's namespace, with the hash of
   * what it was rendered from.
   */
  public static void stamp(ObjectNode spec, JobKey key, JobKey source, String specHash, long version) {
    spec.put("ID", key.jobId());
    spec.put("Version", version);
    spec.put("Name", key.jobId());
    spec.put("Namespace", key.namespace());
    ObjectNode meta = spec.path("Meta").isObject() ? (ObjectNode) spec.get("Meta") : spec.putObject("Meta");
    meta.put(MANAGED, "true");
    meta.put(SOURCE, source.jobId());
    meta.put(SPEC_HASH, specHash);
    meta.put(VERSION, Long.toString(version));
  }

  /**
   * True when {@code job}, one the operator wrote, was changed since by someone else: its version
   * is not the one the operator's write gave it. Unknown (false) for a job list stub.
   */
  static boolean changedByOthers(NomadJob job) {
    return job.version() >= 0 && !Long.toString(job.version()).equals(job.meta().get(VERSION));
  }

  /**
   * What the operator stamps on a job it writes ({@value #SPEC_HASH}), so it can tell whether the
   * job needs a write: a hash of the rendered HCL and of whether the schedule is suspended.
   */
  public static String specHash(String hcl, boolean suspended) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update(STAMP_VERSION.getBytes(StandardCharsets.UTF_8));
      sha.update((byte) '\n');
      sha.update((suspended ? "suspended\n" : "scheduled\n").getBytes(StandardCharsets.UTF_8));
      byte[] digest = sha.digest(hcl.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest, 0, 16);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }

  /** True when the operator made this job. */
  public static boolean managed(NomadJob job) {
    return "true".equals(job.meta().get(MANAGED));
  }

  /** For a backup job the operator owns: the key of the job it backs up. */
  public static Optional<JobKey> sourceOf(NomadJob job) {
    String source = job.meta().get(SOURCE);
    if (!managed(job) || source == null || source.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(new JobKey(job.namespace(), source));
  }

  /** True for a backup job the operator made: not its restore jobs, nor any job's runs. */
  public static boolean backupJob(NomadJob job) {
    return job.parentId().isEmpty()
        && sourceOf(job).filter(source -> job.id().equals(backupIdFor(source.jobId()))).isPresent();
  }

  /** True when {@code backup} is the operator's backup of {@code source}. */
  static boolean owns(NomadJob backup, JobKey source) {
    return sourceOf(backup).filter(source::equals).isPresent();
  }
}

package dev.nomadbackup.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;

/**
 * A copy of a registered backup or restore job that a client without Docker can run, derived
 * mechanically from the job's JSON as Nomad returns it ({@code GET /v1/job/<id>}): only the
 * driver stanza and the volume change, so the template's own script, environment, naming,
 * checksums and retention are what runs.
 *
 * <ul>
 *   <li>each task's {@code Driver} becomes {@code raw_exec}, its {@code Config} keeps only
 *       {@code command} and {@code args}, its {@code VolumeMounts} go;</li>
 *   <li>each group's {@code Volumes} go, and the tasks' {@code BACKUP_DIR} points at a host
 *       directory instead of the mount;</li>
 *   <li>the operator's {@code backup-operator-*} meta goes, so the copy is nobody's;</li>
 *   <li>the copy gets its own ID, and loses the fields Nomad fills in on registration.</li>
 * </ul>
 */
public final class RawExecCopy {
  private static final Set<String> KEPT_CONFIG = Set.of("command", "args");
  private static final Set<String> STATE_FIELDS = Set.of("Status", "StatusDescription", "Stable", "Version",
      "SubmitTime", "CreateIndex", "ModifyIndex", "JobModifyIndex", "ParentID", "Dispatched", "DispatchIdempotencyToken");

  private RawExecCopy() {}

  /**
   * The copy of {@code job} as {@code newId}, with {@code BACKUP_DIR} set to {@code backupRoot}
   * (absolute, so that the task finds it from its own working directory).
   */
  public static ObjectNode of(JsonNode job, String newId, Path backupRoot) {
    ObjectNode copy = job.deepCopy();
    copy.put("ID", newId);
    copy.put("Name", newId);
    STATE_FIELDS.forEach(copy::remove);
    if (copy.path("Meta").isObject()) {
      Iterator<Map.Entry<String, JsonNode>> meta = copy.path("Meta").fields();
      while (meta.hasNext()) {
        if (meta.next().getKey().startsWith("backup-operator-")) {
          meta.remove();
        }
      }
    }
    for (JsonNode group : copy.path("TaskGroups")) {
      ((ObjectNode) group).putNull("Volumes");
      for (JsonNode t : group.path("Tasks")) {
        ObjectNode task = (ObjectNode) t;
        task.put("Driver", "raw_exec");
        if (task.path("Config").isObject()) {
          ((ObjectNode) task.path("Config")).retain(KEPT_CONFIG);
        }
        task.putNull("VolumeMounts");
        if (!task.path("Env").isObject()) {
          task.putObject("Env");
        }
        ((ObjectNode) task.path("Env")).put("BACKUP_DIR", backupRoot.toAbsolutePath().toString());
      }
    }
    return copy;
  }
}

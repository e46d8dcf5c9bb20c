# The least the operator needs. Apply and bind it (see README, "Deploy"):
#
#   nomad acl policy apply -description "nomad-backup-operator" \
#     -namespace default -job nomad-backup-operator \
#     nomad-backup-operator acl/operator-policy.hcl
#
# Narrow "*" to the namespaces the operator watches (OPERATOR_NAMESPACES).
namespace "*" {
  # list-jobs and read-job: the listing, the Job event stream, reading a job.
  # parse-job: rendering the template into a job through /v1/jobs/parse.
  # submit-job: registering and purging backup-<id> and restore-<id> jobs, validating them,
  #   forcing a first run (backup-immediate) and purging runs left behind.
  # read-logs: the last line a failed backup run wrote to stderr, for its status.
  capabilities = ["list-jobs", "read-job", "parse-job", "submit-job", "read-logs"]

  # The leader lock (OPERATOR_LOCK_PATH, in the operator's own namespace) and, in each watched
  # namespace, one backup status per protected job (nomad-backup-operator/status/<job>).
  variables {
    path "nomad-backup-operator/*" {
      capabilities = ["read", "write", "list", "destroy"]
    }
  }
}

# The backup jobs write their dumps to a host volume (meta backup-volume, "backups" by default)
# and the restore jobs read it; registering a job that mounts a host volume read-write takes
# mount-readwrite on it. Narrow "*" to the volume names your backup jobs use.
host_volume "*" {
  capabilities = ["mount-readwrite"]
}

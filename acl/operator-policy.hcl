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
  # submit-job: registering and purging backup-<id> jobs, and validating them.
  capabilities = ["list-jobs", "read-job", "parse-job", "submit-job"]

  # The leader lock (OPERATOR_LOCK_PATH); it lives in the default namespace.
  variables {
    path "nomad-backup-operator/*" {
      capabilities = ["read", "write"]
    }
  }
}

# The backup jobs write their dumps to a host volume (meta backup-volume, "backups" by default)
# and the restore jobs read it; registering a job that mounts a host volume read-write takes
# mount-readwrite on it. Narrow "*" to the volume names your backup jobs use.
host_volume "*" {
  capabilities = ["mount-readwrite"]
}

# The least the operator needs. Apply and bind it (see README, "Deploy"):
#
#   nomad acl policy apply -description "nomad-backup-operator" \
#     -namespace default -job nomad-backup-operator \
#     nomad-backup-operator acl/operator-policy.hcl
#
# Nomad gives each namespace the capabilities of the one rule that names it most exactly: a rule
# for "default" replaces the "*" rule in "default", the two do not add up. Hence two rules:
#
# 1. The namespaces the operator watches (OPERATOR_NAMESPACES). To watch only some, replace "*"
#    with one copy of this rule per namespace, e.g. namespace "prod" { ... }.
namespace "*" {
  # list-jobs and read-job: the listing, the Job event stream, reading a job.
  # parse-job: rendering the template into a job through /v1/jobs/parse.
  # submit-job: registering and purging backup-<id> and restore-<id> jobs, validating them,
  #   forcing a first run (backup-immediate) and purging runs left behind.
  # read-logs: the last line a failed backup run wrote to stderr, for its status.
  capabilities = ["list-jobs", "read-job", "parse-job", "submit-job", "read-logs"]

  # One backup status per protected job of the namespace (nomad-backup-operator/status/<job>).
  variables {
    path "nomad-backup-operator/status/*" {
      capabilities = ["read", "write", "list", "destroy"]
    }
  }
}

# 2. The operator's own namespace (NOMAD_NAMESPACE, "default" unless set), where its leader lock
#    lives (OPERATOR_LOCK_PATH, "nomad-backup-operator/leader" unless set). Name that namespace
#    here. While the operator watches it too (as with "*" above), this rule is the one Nomad
#    applies there, so it repeats rule 1: keep the lines marked "watched" then, and delete them
#    when the operator does not watch its own namespace.
namespace "default" {
  capabilities = ["list-jobs", "read-job", "parse-job", "submit-job", "read-logs"] # watched

  variables {
    path "nomad-backup-operator/status/*" { capabilities = ["read", "write", "list", "destroy"] } # watched
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

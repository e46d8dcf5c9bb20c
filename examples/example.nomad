# A small service job that opts in to automatic backups through its job-level
# meta. With the operator running, registering it makes the operator create a
# periodic batch job "backup-example" next to it:
#
#   nomad job run examples/example.nomad
#   nomad job status backup-example
#
# examples/example-no-backup.nomad is the same job without the meta: running it
# takes the opt-in away and the operator removes backup-example again.
job "example" {
  datacenters = ["dc1"]
  type        = "service"

  meta {
    auto-backup      = "true"
    backup-schedule  = "@daily"
    backup-target-db = "postgres"
  }

  group "cache" {
    count = 1

    network {
      port "redis" {
        to = 6379
      }
    }

    task "redis" {
      driver = "docker"

      config {
        image = "redis:7"
        ports = ["redis"]
      }

      resources {
        cpu    = 100
        memory = 128
      }
    }
  }
}

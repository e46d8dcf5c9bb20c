# The same job without the backup meta: it has not opted in, so the operator
# leaves it alone and creates no "backup-example" job for it.
#
#   nomad job run examples/example-no-backup.nomad
#
# Running this after examples/example.nomad (same job ID) takes the opt-in away
# again, and the operator removes the backup-example job it had created.
job "example" {
  datacenters = ["dc1"]
  type        = "service"

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

# The same job without the backup meta: it has not opted in, so the operator leaves it alone and
# creates no "backup-example" job for it.
#
#   nomad job run examples/example-no-backup.nomad
#
# Running this after examples/example.nomad (same job ID) takes the opt-in away again, and the
# operator removes the backup-example and restore-example jobs it had created. The dumps already
# on the volume stay.
job "example" {
  datacenters = ["dc1"]
  type        = "service"

  group "db" {
    count = 1

    network {
      port "pg" {
        static = 5432
        to     = 5432
      }
    }

    task "postgres" {
      driver = "docker"

      config {
        image = "postgres:17-alpine"
        ports = ["pg"]
      }

      env {
        POSTGRES_HOST_AUTH_METHOD = "trust"
      }

      resources {
        cpu    = 200
        memory = 256
      }
    }
  }
}

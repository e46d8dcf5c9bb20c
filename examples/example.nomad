# A small PostgreSQL service that opts in to automatic backups through its job-level meta. With
# the operator running, registering it makes the operator create a periodic batch job
# "backup-example" (and a "restore-example") next to it:
#
#   nomad job run examples/example.nomad
#   nomad job status backup-example
#   nomad job periodic force backup-example    # a dump now, under the client's "backups" volume
#
# The backup task runs in a container of its own and reaches this database through the port it
# publishes on the host: backup-pg-host is the host as containers on Docker's default bridge see
# it on Linux (use host.docker.internal with Docker Desktop). start.sh's dev agent has the
# "backups" host volume the backup job mounts, at .run/backups.
#
# examples/example-no-backup.nomad is the same job without the meta: running it takes the opt-in
# away and the operator removes backup-example again.
job "example" {
  datacenters = ["dc1"]
  type        = "service"

  meta {
    auto-backup      = "true"
    backup-schedule  = "@daily"
    backup-target-db = "postgres"
    backup-pg-host   = "172.17.0.1"
    backup-pg-port   = "5432"
  }

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
        # for the example only: a real database reads a password from a Nomad Variable
        POSTGRES_HOST_AUTH_METHOD = "trust"
      }

      resources {
        cpu    = 200
        memory = 256
      }
    }
  }
}

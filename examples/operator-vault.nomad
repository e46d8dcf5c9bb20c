# The operator with a Nomad token from Vault's Nomad secrets engine instead of a workload identity,
# for clusters that already hand out tokens that way. Create a Vault role "operator-job" whose
# Nomad policy is acl/operator-policy.hcl; the template renders the token into the environment.
job "nomad-backup-operator" {
  type = "service"

  group "operator" {
    count = 2

    network {
      port "http" {
        to = 8080
      }
    }

    service {
      name     = "nomad-backup-operator"
      provider = "nomad"
      port     = "http"

      check {
        type     = "http"
        path     = "/health/ready"
        interval = "10s"
        timeout  = "2s"
      }
    }

    task "operator" {
      driver = "docker"

      config {
        image = "nomad-backup-operator:local"
        ports = ["http"]
      }

      vault {}

      template {
        data        = <<EOT
{{ with secret "nomad/creds/operator-job" }}
NOMAD_TOKEN={{ .Data.secret_id | toJSON }}
{{ end }}
EOT
        destination = "secrets/nomad.env"
        env         = true
      }

      env {
        NOMAD_ADDR         = "https://nomad.service.consul:4646"
        OPERATOR_HTTP_ADDR = ":8080"
      }

      resources {
        cpu    = 200
        memory = 192
      }

      kill_timeout = "20s"
    }
  }
}

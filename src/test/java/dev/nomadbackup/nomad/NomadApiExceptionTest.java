package dev.nomadbackup.nomad;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class NomadApiExceptionTest {

  @Test
  void flattensNomadsMultiErrorText() {
    assertEquals("Invalid cron spec \"x\": bad", NomadApiException.oneLine("1 error occurred:\n\t* Invalid cron spec \"x\": bad\n\n"));
    assertEquals("a; b", NomadApiException.oneLine("2 errors occurred:\n\t* a\n\t* b\n"));
    assertEquals("plain text", NomadApiException.oneLine("plain text\n"));
  }

  @Test
  void messageNamesStatusRequestAndCause() {
    NomadApiException e = new NomadApiException(500, "POST /v1/jobs", "rpc error: no leader");
    assertEquals("500 from POST /v1/jobs: rpc error: no leader", e.getMessage());
  }

  @Test
  void aForbiddenCallNamesTheCapabilityItNeeds() {
    assertEquals("403 from POST /v1/jobs/parse: Permission denied (the token needs parse-job)",
        new NomadApiException(403, "POST /v1/jobs/parse", "Permission denied").getMessage());
    assertEquals("403 from GET /v1/jobs: Permission denied (the token needs list-jobs)",
        new NomadApiException(403, "GET /v1/jobs", "Permission denied").getMessage());
    assertEquals("403 from DELETE /v1/job/x: Permission denied (the token needs submit-job)",
        new NomadApiException(403, "DELETE /v1/job/x", "Permission denied").getMessage());
  }

  @Test
  void aTokenNomadDoesNotKnowIsNamedAsSuchNotAsAMissingCapability() {
    NomadApiException e = new NomadApiException(403, "PUT /v1/var/nomad-backup-operator/leader", "ACL token not found");
    assertEquals("403 from PUT /v1/var/nomad-backup-operator/leader: ACL token not found"
        + " (the token is not valid: Nomad does not know it, it was deleted or has expired; set NOMAD_TOKEN to a valid token)", e.getMessage());
    assertEquals(true, e.tokenRejected());
    assertEquals(true, new NomadApiException(403, "GET /v1/jobs", "ACL token expired").tokenRejected());
    assertEquals(false, new NomadApiException(403, "GET /v1/jobs", "Permission denied").tokenRejected());
  }
}

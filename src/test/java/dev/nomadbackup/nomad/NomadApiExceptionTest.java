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
    NomadApiException e = new NomadApiException(403, "POST /v1/jobs", "Permission denied");
    assertEquals("403 from POST /v1/jobs: Permission denied", e.getMessage());
  }
}

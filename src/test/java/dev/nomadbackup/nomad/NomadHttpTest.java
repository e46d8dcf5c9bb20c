package dev.nomadbackup.nomad;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class NomadHttpTest {

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "example|example",
        "nightly/periodic-1795239679|nightly%2Fperiodic-1795239679",
        "a b|a%20b",
        "a?b#c|a%3Fb%23c",
        "a%2Fb|a%252Fb",
        "'a\"b'|a%22b",
        "ünï|%C3%BCn%C3%AF",
        "x/../y|x%2F..%2Fy",
        ".|%2E",
        "..|%2E%2E",
        "...|...",
        "v1.2|v1.2",
      })
  void encodesAJobIdAsOnePathSegment(String id, String segment) {
    assertEquals(segment, NomadHttp.segment(id));
  }
}

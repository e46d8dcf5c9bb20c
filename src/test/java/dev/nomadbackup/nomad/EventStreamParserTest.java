package dev.nomadbackup.nomad;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class EventStreamParserTest {
  private final EventStreamParser parser = new EventStreamParser(new ObjectMapper());

  /** Captured from a real agent: run example, stop it, purge it, run a periodic job and force it. */
  @Test
  void keepsRegistrationsAndDeregistrationsOfARecordedSession() throws Exception {
    List<String> seen = new ArrayList<>();
    int heartbeats = 0;
    for (String line : recorded("events/job-session.ndjson")) {
      EventBatch batch = parser.parse(line);
      if (batch.heartbeat()) {
        heartbeats++;
      }
      assertTrue(batch.problems().isEmpty(), batch.problems().toString());
      batch.events().forEach(e -> seen.add(e.type() + " " + e.key() + " " + e.status()));
    }
    assertEquals(1, heartbeats);
    assertEquals(
        List.of(
            "JobRegistered example pending",
            "JobDeregistered example pending",
            "JobDeregistered example dead",
            "JobRegistered nightly running",
            "JobRegistered nightly/periodic-1795239679 pending",
            "JobRegistered example dead",
            "JobRegistered example pending",
            "JobDeregistered example pending",
            "JobDeregistered example dead"),
        seen);
  }

  @Test
  void periodicChildCarriesItsParentAndTheInheritedMeta() throws Exception {
    JobEvent child =
        recorded("events/job-session.ndjson").stream()
            .map(this::parseUnchecked)
            .flatMap(b -> b.events().stream())
            .filter(e -> e.key().jobId().startsWith("nightly/periodic-"))
            .findFirst()
            .orElseThrow();
    assertEquals("nightly", child.job().orElseThrow().parentId().orElseThrow());
    assertEquals("true", child.job().orElseThrow().meta().get("auto-backup"));
  }

  @Test
  void looksAtEveryEventOfABatchEvenWhenTheFirstIsNotAJobEvent() throws Exception {
    String line =
        """
        {"Index":40,"Events":[
          {"Topic":"Job","Type":"EvaluationUpdated","Key":"a","Namespace":"default","Index":40,"Payload":{"Job":{"ID":"a"}}},
          {"Topic":"Allocation","Type":"AllocationUpdated","Key":"x","Namespace":"default","Index":40},
          {"Topic":"Job","Type":"JobRegistered","Key":"b","Namespace":"team-a","Index":40,"Payload":{"Job":{"ID":"b","Status":"pending"}}},
          {"Topic":"Job","Type":"JobBatchDeregistered","Key":"c","Namespace":"default","Index":40,"Payload":{"Job":{"ID":"c"}}}
        ]}
        """.replace("\n", "");
    EventBatch batch = parser.parse(line);
    assertEquals(40, batch.index());
    assertEquals(
        List.of(new JobKey("team-a", "b"), new JobKey("default", "c")),
        batch.events().stream().map(JobEvent::key).toList());
  }

  @Test
  void reportsAnEventWithoutPayloadButStillNamesItsJob() throws Exception {
    EventBatch batch =
        parser.parse("{\"Index\":7,\"Events\":[{\"Topic\":\"Job\",\"Type\":\"JobRegistered\",\"Key\":\"a\",\"Namespace\":\"default\"}]}");
    assertEquals(List.of(new JobKey("default", "a")), batch.events().stream().map(JobEvent::key).toList());
    assertEquals(1, batch.problems().size());
    assertTrue(batch.problems().get(0).contains("carries no job payload"));
  }

  @Test
  void reportsAnEventThatNamesNoJobAndKeepsTheRest() throws Exception {
    EventBatch batch =
        parser.parse("{\"Index\":7,\"Events\":[{\"Topic\":\"Job\",\"Type\":\"JobRegistered\"},"
            + "{\"Topic\":\"Job\",\"Type\":\"JobDeregistered\",\"Key\":\"b\",\"Namespace\":\"default\"}]}");
    assertEquals(List.of(new JobKey("default", "b")), batch.events().stream().map(JobEvent::key).toList());
    assertTrue(batch.problems().get(0).contains("names no job"));
  }

  @Test
  void rejectsALineThatIsNotJson() {
    MalformedEventException e = assertThrows(MalformedEventException.class, () -> parser.parse("{\"Index\":3,"));
    assertTrue(e.getMessage().contains("not JSON"));
    assertThrows(MalformedEventException.class, () -> parser.parse("[1,2]"));
  }

  @Test
  void reportsAnUnknownEventTypeOnceAndSkipsItsEvents() throws Exception {
    String line =
        "{\"Index\":9,\"Events\":[{\"Topic\":\"Job\",\"Type\":\"JobSomethingNew\",\"Key\":\"a\",\"Namespace\":\"default\"},"
            + "{\"Topic\":\"Job\",\"Type\":\"JobRegistered\",\"Key\":\"b\",\"Namespace\":\"default\",\"Payload\":{\"Job\":{\"ID\":\"b\"}}}]}";
    EventBatch first = parser.parse(line);
    assertEquals(List.of(new JobKey("default", "b")), first.events().stream().map(JobEvent::key).toList());
    assertEquals(1, first.problems().size(), first.problems().toString());
    assertTrue(first.problems().get(0).contains("unknown event type \"JobSomethingNew\""), first.problems().toString());

    EventBatch again = parser.parse(line);
    assertEquals(1, again.events().size());
    assertTrue(again.problems().isEmpty(), "an unknown type is reported once: " + again.problems());
  }

  @Test
  void skipsTheStatusEventsOfTheJobTopicSilently() throws Exception {
    for (String type : List.of("EvaluationUpdated", "AllocationUpdated", "PlanResult", "DeploymentStatusUpdate")) {
      EventBatch batch = parser.parse("{\"Index\":9,\"Events\":[{\"Topic\":\"Job\",\"Type\":\"" + type
          + "\",\"Key\":\"a\",\"Namespace\":\"default\",\"Payload\":{\"Job\":{\"ID\":\"a\"}}}]}");
      assertTrue(batch.events().isEmpty(), type);
      assertTrue(batch.problems().isEmpty(), type + ": " + batch.problems());
    }
  }

  @Test
  void anEventThatIsNotAnObjectIsReportedAndTheRestKept() throws Exception {
    EventBatch batch =
        parser.parse("{\"Index\":11,\"Events\":[42,\"JobRegistered\",null,"
            + "{\"Topic\":\"Job\",\"Type\":\"JobRegistered\",\"Key\":\"c\",\"Namespace\":\"default\",\"Payload\":{\"Job\":{\"ID\":\"c\"}}}]}");
    assertEquals(List.of(new JobKey("default", "c")), batch.events().stream().map(JobEvent::key).toList());
    assertEquals(3, batch.problems().size(), batch.problems().toString());
    assertTrue(batch.problems().get(0).contains("event 1 at index 11 is not a JSON object"));
  }

  @Test
  void aBlankNamespaceMeansTheDefaultOneNeverAnEmptyKey() throws Exception {
    EventBatch batch =
        parser.parse("{\"Index\":12,\"Events\":[{\"Topic\":\"Job\",\"Type\":\"JobRegistered\",\"Key\":\"d\",\"Namespace\":\"\","
            + "\"Payload\":{\"Job\":{\"ID\":\"d\",\"Namespace\":\"\"}}},"
            + "{\"Topic\":\"Job\",\"Type\":\"JobRegistered\",\"Key\":\" \",\"Namespace\":\"team\",\"Payload\":{\"Job\":{\"ID\":\"e\"}}}]}");
    assertEquals(List.of(new JobKey("default", "d"), new JobKey("team", "e")),
        batch.events().stream().map(JobEvent::key).toList());
  }

  @Test
  void aPayloadThatIsNotAJobObjectIsReportedAndTheJobStillNamed() throws Exception {
    EventBatch batch =
        parser.parse("{\"Index\":13,\"Events\":[{\"Topic\":\"Job\",\"Type\":\"JobDeregistered\",\"Key\":\"f\",\"Namespace\":\"default\","
            + "\"Payload\":{\"Job\":\"f\"}}]}");
    assertEquals(List.of(new JobKey("default", "f")), batch.events().stream().map(JobEvent::key).toList());
    assertTrue(batch.events().get(0).job().isEmpty());
    assertTrue(batch.problems().get(0).contains("carries no job payload"), batch.problems().toString());
  }

  @Test
  void eventsIsNotAListIsReported() throws Exception {
    EventBatch batch = parser.parse("{\"Index\":14,\"Events\":{\"Topic\":\"Job\"}}");
    assertTrue(batch.events().isEmpty());
    assertTrue(batch.problems().get(0).contains("Events is not a list"), batch.problems().toString());
  }

  @Test
  void aHeartbeatIsNoBatch() throws Exception {
    assertTrue(parser.parse("{}").heartbeat());
  }

  private EventBatch parseUnchecked(String line) {
    try {
      return parser.parse(line);
    } catch (MalformedEventException e) {
      throw new AssertionError(e);
    }
  }

  private static List<String> recorded(String resource) throws IOException {
    try (InputStream in = EventStreamParserTest.class.getClassLoader().getResourceAsStream(resource)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().filter(l -> !l.isBlank()).toList();
    }
  }
}

package dev.nomadbackup.nomad;

import java.util.List;

/**
 * One line of the event stream: the job events kept from it, and a word for each event that could
 * not be read. A heartbeat is a batch with index 0 and no events.
 */
public record EventBatch(long index, List<JobEvent> events, List<String> problems) {
  public EventBatch {
    events = List.copyOf(events);
    problems = List.copyOf(problems);
  }

  public boolean heartbeat() {
    return index == 0 && events.isEmpty() && problems.isEmpty();
  }
}

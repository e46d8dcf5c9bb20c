package dev.nomadbackup.testing;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The jobs one test ran, so that {@link OperatorTestExtension} can purge them afterwards together
 * with everything named after them: the backup and restore jobs the operator made ({@code
 * backup-<id>}, {@code restore-<id>}) and the children a periodic or parameterized job launched
 * ({@code <id>/periodic-...}, {@code backup-<id>/periodic-...}).
 */
final class JobLedger {
  private record Entry(TestNomad nomad, String namespace, String id) {}

  private final Set<Entry> ran = new LinkedHashSet<>();

  synchronized void ran(TestNomad nomad, String namespace, String id) {
    ran.add(new Entry(nomad, namespace, id));
  }

  /**
   * Purges every job that is one of those run or named after one, one listing per agent and
   * namespace; tries them all before throwing the first failure.
   */
  void purgeAll() {
    Map<List<Object>, List<Entry>> byPlace = new LinkedHashMap<>();
    synchronized (this) {
      for (Entry e : ran) {
        byPlace.computeIfAbsent(List.of(e.nomad(), e.namespace()), k -> new ArrayList<>()).add(e);
      }
      ran.clear();
    }
    RuntimeException failure = null;
    for (List<Entry> entries : byPlace.values()) {
      TestNomad nomad = entries.get(0).nomad();
      String namespace = entries.get(0).namespace();
      try {
        for (JsonNode stub : nomad.jobs(namespace)) {
          String id = stub.path("ID").asText();
          if (entries.stream().anyMatch(e -> namedAfter(id, e.id()))) {
            nomad.purge(namespace, id);
          }
        }
      } catch (RuntimeException e) {
        if (failure == null) {
          failure = e;
        } else {
          failure.addSuppressed(e);
        }
      }
    }
    if (failure != null) {
      throw failure;
    }
  }

  private static boolean namedAfter(String candidate, String id) {
    for (String own : new String[] {id, "backup-" + id, "restore-" + id}) {
      if (candidate.equals(own) || candidate.startsWith(own + "/")) {
        return true;
      }
    }
    return false;
  }
}

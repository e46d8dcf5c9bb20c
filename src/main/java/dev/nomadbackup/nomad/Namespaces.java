package dev.nomadbackup.nomad;

import java.util.Set;

/** The namespaces of the cluster, and the Raft index their list reflects. */
public record Namespaces(Set<String> names, long index) {
  public Namespaces {
    names = Set.copyOf(names);
  }
}

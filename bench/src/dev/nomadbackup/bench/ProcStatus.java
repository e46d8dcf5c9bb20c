package dev.nomadbackup.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** A process's resident set and threads, from {@code /proc/<pid>/status}. */
final class ProcStatus {
  private ProcStatus() {}

  static long rssBytes(long pid) throws IOException {
    return field(pid, "VmRSS:") * 1024;
  }

  static long threads(long pid) throws IOException {
    return field(pid, "Threads:");
  }

  private static long field(long pid, String name) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
      if (line.startsWith(name)) {
        return Long.parseLong(line.substring(name.length()).trim().split("\\s+")[0]);
      }
    }
    throw new IOException("no " + name + " for process " + pid);
  }
}

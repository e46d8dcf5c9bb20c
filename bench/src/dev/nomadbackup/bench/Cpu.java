package dev.nomadbackup.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** CPU time a process has used, user and system, from {@code /proc/<pid>/stat}. */
final class Cpu {
  /** Linux reports it in clock ticks of 1/100 s on every common platform. */
  private static final long NANOS_PER_TICK = 10_000_000L;

  private Cpu() {}

  static long nanos(long pid) {
    return fields(pid, 11, 12);
  }

  /**
   * CPU time of the children {@code pid} has waited for: for a Nomad client, the {@code raw_exec}
   * executors and their tasks once they ended.
   */
  static long childNanos(long pid) {
    return fields(pid, 13, 14);
  }

  private static long fields(long pid, int user, int system) {
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      // after the command: state(0) ... utime(11) stime(12) cutime(13) cstime(14)
      return (Long.parseLong(f[user]) + Long.parseLong(f[system])) * NANOS_PER_TICK;
    } catch (IOException | RuntimeException e) {
      return 0; // the process is gone
    }
  }
}

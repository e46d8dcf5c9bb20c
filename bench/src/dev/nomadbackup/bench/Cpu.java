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
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      // after the command: state(0) ... utime(11) stime(12)
      return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * NANOS_PER_TICK;
    } catch (IOException | RuntimeException e) {
      return 0; // the process is gone
    }
  }
}

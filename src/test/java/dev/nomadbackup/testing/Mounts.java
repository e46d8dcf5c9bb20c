package dev.nomadbackup.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;

/**
 * What a Nomad client leaves mounted: running as root, it mounts a tmpfs on every task's {@code
 * secrets/} and {@code private/}, and a client stopped while it still had allocations leaves them
 * behind, which makes its data dir impossible to delete. Shared by the test agents and the bench's.
 */
public final class Mounts {
  private Mounts() {}

  /** Unmounts everything mounted below {@code dir}, deepest first. */
  public static void unmountUnder(Path dir) throws IOException {
    Path mounts = Path.of("/proc/self/mounts");
    if (!Files.isReadable(mounts)) {
      return;
    }
    String prefix = dir.toAbsolutePath() + "/";
    List<String> points = Files.readAllLines(mounts).stream()
        .map(line -> line.split(" "))
        .filter(fields -> fields.length > 1 && fields[1].startsWith(prefix))
        .map(fields -> fields[1])
        .sorted(Comparator.comparingInt(String::length).reversed())
        .toList();
    for (String point : points) {
      try {
        Process umount = new ProcessBuilder("umount", point).redirectErrorStream(true).start();
        String out = new String(umount.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (umount.waitFor() != 0) {
          throw new IOException("cannot unmount " + point + ", left by an earlier Nomad client: " + out.strip());
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while unmounting " + point, e);
      }
    }
  }
}

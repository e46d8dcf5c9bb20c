package dev.nomadbackup.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

/**
 * The directory where the backup jobs of one source job keep their dumps, {@code
 * <root>/<namespace>/<job>/}, as a person would look at it.
 *
 * @param extension the dump files' extension with its dot: {@code .dump}, {@code .sql}
 */
public record DumpDir(Path dir, String extension) {
  private static final String STAMP = "\\d{8}T\\d{6}Z(_\\d{2})?";

  public static DumpDir of(Path root, String namespace, String job, String extension) {
    return new DumpDir(root.resolve(namespace).resolve(job), extension);
  }

  /** Every file name in the directory, hidden ones too, sorted; empty when it does not exist. */
  public List<String> files() {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> files = Files.list(dir)) {
      return files.map(p -> p.getFileName().toString()).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The dumps under their final names, oldest first. */
  public List<String> dumps() {
    return files().stream().filter(n -> n.matches(STAMP + java.util.regex.Pattern.quote(extension))).toList();
  }

  /** Each dump beside its checksum file, and nothing else: no partial or orphaned file. */
  public void assertOnlyDumpsWithChecksums() {
    List<String> expected = dumps().stream().flatMap(d -> Stream.of(d, d + ".sha256")).sorted().toList();
    assertEquals(expected, files(), "the files in " + dir);
  }

  /** The checksum file says, in sha256sum's format, what the dump's SHA-256 is. */
  public void assertChecksumMatches(String dump) {
    Path file = dir.resolve(dump);
    try {
      String line = Files.readString(dir.resolve(dump + ".sha256"), StandardCharsets.UTF_8);
      assertEquals(sha256(file) + "  " + dump + "\n", line, "the checksum file of " + dump);
      assertTrue(Files.size(file) > 0, dump + " is empty");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static String sha256(Path file) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      byte[] buffer = new byte[65536];
      for (int n; (n = in.read(buffer)) > 0; ) {
        digest.update(buffer, 0, n);
      }
      return HexFormat.of().formatHex(digest.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}

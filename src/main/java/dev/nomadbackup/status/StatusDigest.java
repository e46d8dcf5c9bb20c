package dev.nomadbackup.status;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

/**
 * The statuses of one namespace packed into a few Variables beside them ({@value #PREFIX}{@code
 * <n>}), so that a term's start reads a few Variables instead of every status. Each packed status
 * carries the modify index of its own Variable and counts only while that Variable is still at
 * that index: a digest that is behind is never believed, only read past. The status Variables
 * stay what the {@code status} command, Nomad's UI and a person read.
 */
final class StatusDigest {
  static final String PREFIX = StatusBook.PREFIX + "~digest/";
  /** Nomad refuses a Variable whose items exceed 64 KiB. */
  static final int MAX_BYTES = 60 * 1024;
  /** What one chunk packs before compression; split in two when it still comes out too big. */
  private static final int RAW_BYTES = 256 * 1024;
  private static final String ITEM = "statuses";
  private static final ObjectMapper JSON = new ObjectMapper();

  private StatusDigest() {}

  /** One status as packed: its own Variable's path and modify index, and its items. */
  record Packed(String path, long modifyIndex, Map<String, String> items) {
    Packed {
      items = Map.copyOf(items);
    }
  }

  static boolean isDigest(String path) {
    return path.startsWith(PREFIX);
  }

  static String chunkPath(int n) {
    return PREFIX + n;
  }

  /** The statuses a chunk's items pack; empty when they are not a digest (written by hand, say). */
  static Optional<List<Packed>> decode(Map<String, String> items) {
    String packed = items.get(ITEM);
    if (packed == null) {
      return Optional.empty();
    }
    try (GZIPInputStream in = new GZIPInputStream(new java.io.ByteArrayInputStream(Base64.getDecoder().decode(packed)))) {
      List<Packed> all = new ArrayList<>();
      for (JsonNode s : JSON.readTree(in)) {
        Map<String, String> values = new TreeMap<>();
        s.path("s").properties().forEach(e -> values.put(e.getKey(), e.getValue().asText()));
        all.add(new Packed(s.path("p").asText(), s.path("i").asLong(), values));
      }
      return Optional.of(all);
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }

  /** The chunks' items for {@code statuses}, sorted by path so that the same statuses give the same chunks. */
  static List<Map<String, String>> encode(List<Packed> statuses) {
    List<Packed> sorted = new ArrayList<>(statuses);
    sorted.sort((a, b) -> a.path().compareTo(b.path()));
    List<Map<String, String>> chunks = new ArrayList<>();
    List<Packed> chunk = new ArrayList<>();
    int raw = 0;
    for (Packed p : sorted) {
      int size = p.path().length() + 32 + p.items().entrySet().stream()
          .mapToInt(e -> e.getKey().length() + e.getValue().length() + 6).sum();
      if (!chunk.isEmpty() && raw + size > RAW_BYTES) {
        pack(chunk, chunks);
        chunk = new ArrayList<>();
        raw = 0;
      }
      chunk.add(p);
      raw += size;
    }
    if (!chunk.isEmpty()) {
      pack(chunk, chunks);
    }
    return chunks;
  }

  private static void pack(List<Packed> chunk, List<Map<String, String>> into) {
    String packed = compress(chunk);
    if (packed.length() + ITEM.length() > MAX_BYTES && chunk.size() > 1) {
      pack(chunk.subList(0, chunk.size() / 2), into);
      pack(chunk.subList(chunk.size() / 2, chunk.size()), into);
      return;
    }
    into.add(Map.of(ITEM, packed));
  }

  private static String compress(List<Packed> chunk) {
    ArrayNode all = JSON.createArrayNode();
    for (Packed p : chunk) {
      ObjectNode s = all.addObject().put("p", p.path()).put("i", p.modifyIndex());
      ObjectNode values = s.putObject("s");
      new TreeMap<>(p.items()).forEach(values::put);
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (GZIPOutputStream out = new GZIPOutputStream(bytes)) {
      JSON.writeValue(out, all);
    } catch (IOException e) {
      throw new UncheckedIOException("compressing in memory", e);
    }
    return Base64.getEncoder().encodeToString(bytes.toByteArray());
  }
}

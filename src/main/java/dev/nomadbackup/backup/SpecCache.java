package dev.nomadbackup.backup;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.nomadbackup.backup.template.BackupTemplate;
import dev.nomadbackup.backup.template.Skeleton;
import dev.nomadbackup.backup.template.TemplateException;
import dev.nomadbackup.backup.template.TemplateValues;
import dev.nomadbackup.nomad.NomadApiException;
import java.io.IOException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Nomad's parse of each shape of rendered job, with a new job's values placed into it: one Nomad
 * call saved for every job whose shape was parsed before.
 *
 * <p>A job's shape is its template rendered with a sentinel in place of every value that stands as
 * a whole quoted string or list element (see {@link Skeleton}); Nomad parses that once. A later job
 * of the same shape gets a copy of that JSON with each sentinel string replaced by its value, as a
 * JSON string, so nothing in a value can change the structure. A shape is used only when Nomad gave
 * back every sentinel unchanged and only as a whole string value (not in a key, not inside a longer
 * string); a shape that does not parse with its sentinels, or where one is missing, changed or
 * merged, or that stands in a field Nomad may read ({@link #VERBATIM}), is parsed job by job. So is a value Nomad could change on its way through HCL: an empty
 * one (Nomad fills in defaults for empty strings) and one with a character from U+0300 on (HCL
 * normalizes strings to NFC); such a value is written into the shape as it is instead.
 *
 * <p>Sentinels are mixed-case, begin and end with a space and carry a random nonce of this
 * instance, so a field that Nomad trims or changes the case of does not give the sentinel back.
 * Holds at most {@value #SHAPES} shapes, the least recently used go first. Thread-safe.
 */
public final class SpecCache {
  /** How many shapes are kept. */
  public static final int SHAPES = 256;
  /** Chars from here on may be changed by Unicode normalization; below, none is. */
  static final char FIRST_COMBINING = '\u0300';
  /**
   * Where in Nomad's JSON a value may be placed: fields that Nomad's parse (jobspec2, then the API's
   * {@code Canonicalize}) copies as they are and never reads, so that no other field depends on
   * them. Anywhere else a value could steer a default (an identity named {@code default} moves, a
   * job's {@code Type} picks an update strategy): such a shape is parsed job by job.
   */
  static final Pattern VERBATIM = Pattern.compile("/(ID|Name|Datacenters/\\d+|Periodic/(Spec|Specs/\\d+)|Meta/[^/]+"
      + "|TaskGroups/\\d+/(Meta/[^/]+|Volumes/[^/]+/Source|Tasks/\\d+/(Meta/[^/]+|Env/[^/]+|Config/.+)))");
  private static final Logger log = LoggerFactory.getLogger(SpecCache.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final boolean enabled;
  private final String nonce;
  private final Map<Key, Shape> shapes;

  private SpecCache(boolean enabled, int capacity, String nonce) {
    this.enabled = enabled;
    this.nonce = nonce;
    this.shapes = new LinkedHashMap<>(16, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<Key, Shape> eldest) {
        return size() > capacity;
      }
    };
  }

  /** A cache of {@value #SHAPES} shapes. */
  public SpecCache() {
    this(SHAPES);
  }

  SpecCache(int capacity) {
    this(true, capacity, newNonce());
  }

  /** No cache: every job is parsed by Nomad. */
  public static SpecCache off() {
    return new SpecCache(false, 0, "");
  }

  private static String newNonce() {
    byte[] bytes = new byte[8];
    new SecureRandom().nextBytes(bytes);
    return HexFormat.of().formatHex(bytes);
  }

  /** A shape's text and the namespace it is parsed in. */
  private record Key(String namespace, String hcl) {}

  /** Nomad's parse of a shape, as JSON, or empty when the shape cannot be used. */
  private record Shape(Optional<byte[]> json) {}

  /** The one call this needs: Nomad's parse of HCL into a canonical job of a namespace. */
  @FunctionalInterface
  public interface Parser {
    ObjectNode parseJob(String namespace, String hcl) throws IOException;
  }

  /**
   * The canonical job of {@code hcl}, {@code template} rendered with {@code values}: a copy of its
   * shape's parse with the values placed, or Nomad's parse of {@code hcl}. Fails as {@code nomad}
   * does (a 400 when {@code hcl} does not parse).
   */
  public ObjectNode spec(Parser nomad, String namespace, BackupTemplate template, TemplateValues values, String hcl)
      throws IOException {
    if (!enabled) {
      return nomad.parseJob(namespace, hcl);
    }
    List<String> carriesNonce = new ArrayList<>(0);
    Skeleton skeleton;
    try {
      skeleton = template.skeleton(values, (index, value) -> {
        if (value.contains(nonce)) {
          carriesNonce.add(value);
        }
        return placeable(value) ? Optional.of(sentinel(index)) : Optional.empty();
      });
    } catch (TemplateException e) {
      log.debug("    No shape for {}: {}", values.jobId(), e.getMessage()); // not expected: the job rendered
      return nomad.parseJob(namespace, hcl);
    }
    if (skeleton.sentinels().isEmpty() || !carriesNonce.isEmpty()) {
      return nomad.parseJob(namespace, hcl);
    }
    Key key = new Key(namespace, skeleton.hcl());
    Shape shape;
    synchronized (shapes) {
      shape = shapes.get(key);
    }
    if (shape == null) {
      shape = learn(nomad, namespace, template, skeleton);
      synchronized (shapes) {
        shapes.put(key, shape);
      }
    }
    if (shape.json().isEmpty()) {
      return nomad.parseJob(namespace, hcl);
    }
    return placed(shape.json().get(), skeleton);
  }

  /** How many shapes are held now. */
  int size() {
    synchronized (shapes) {
      return shapes.size();
    }
  }

  private boolean placeable(String value) {
    if (value.isEmpty()) {
      return false;
    }
    for (int i = 0; i < value.length(); i++) {
      if (value.charAt(i) >= FIRST_COMBINING) {
        return false;
      }
    }
    return true;
  }

  private String sentinel(int index) {
    return " Nb" + nonce + "v" + index + "Q ";
  }

  private Shape learn(Parser nomad, String namespace, BackupTemplate template, Skeleton skeleton)
      throws IOException {
    ObjectNode parsed;
    try {
      parsed = nomad.parseJob(namespace, skeleton.hcl());
    } catch (NomadApiException e) {
      if (e.status() != 400) {
        throw e;
      }
      log.debug("    Jobs of this shape of {} are parsed one by one: it does not parse with stand-ins ({})",
          template.source(), NomadApiException.oneLine(e.body()));
      return new Shape(Optional.empty());
    }
    Set<String> sentinels = new HashSet<>(skeleton.sentinels());
    Set<String> seen = new HashSet<>();
    Optional<String> problem = check(parsed, "", sentinels, seen);
    if (problem.isEmpty() && !seen.equals(sentinels)) {
      problem = Optional.of((sentinels.size() - seen.size()) + " of its values are missing from Nomad's parse");
    }
    if (problem.isPresent()) {
      log.debug("    Jobs of this shape of {} are parsed one by one: {}", template.source(), problem.get());
      return new Shape(Optional.empty());
    }
    log.debug("    New shape of {}: {} values placed into Nomad's parse from now on", template.source(),
        sentinels.size());
    return new Shape(Optional.of(JSON.writeValueAsBytes(parsed)));
  }

  /** Why the sentinels in {@code node}, at {@code path}, cannot be replaced by their values; notes those seen. */
  private Optional<String> check(JsonNode node, String path, Set<String> sentinels, Set<String> seen) {
    if (node.isTextual()) {
      String text = node.textValue();
      if (sentinels.contains(text) && VERBATIM.matcher(path).matches()) {
        seen.add(text);
      } else if (sentinels.contains(text)) {
        return Optional.of("a value stands where Nomad may read it (" + path + ")");
      } else if (text.contains(nonce)) {
        return Optional.of("a value ends up inside a longer string or changed (" + path + ")");
      }
      return Optional.empty();
    }
    var fields = node.fields();
    while (fields.hasNext()) {
      Map.Entry<String, JsonNode> field = fields.next();
      if (field.getKey().contains(nonce)) {
        return Optional.of("a value ends up as a key (" + path + ")");
      }
      Optional<String> problem = check(field.getValue(), path + "/" + field.getKey(), sentinels, seen);
      if (problem.isPresent()) {
        return problem;
      }
    }
    if (node.isArray()) {
      for (int i = 0; i < node.size(); i++) {
        Optional<String> problem = check(node.get(i), path + "/" + i, sentinels, seen);
        if (problem.isPresent()) {
          return problem;
        }
      }
    }
    return Optional.empty();
  }

  private static ObjectNode placed(byte[] json, Skeleton skeleton) throws IOException {
    Map<String, String> values = new HashMap<>();
    for (int i = 0; i < skeleton.sentinels().size(); i++) {
      values.put(skeleton.sentinels().get(i), skeleton.values().get(i));
    }
    ObjectNode spec = (ObjectNode) JSON.readTree(json);
    place(spec, values);
    return spec;
  }

  private static void place(JsonNode node, Map<String, String> values) {
    if (node instanceof ObjectNode object) {
      List<String> names = new ArrayList<>();
      object.fieldNames().forEachRemaining(names::add);
      for (String name : names) {
        JsonNode child = object.get(name);
        String value = child.isTextual() ? values.get(child.textValue()) : null;
        if (value != null) {
          object.set(name, TextNode.valueOf(value));
        } else {
          place(child, values);
        }
      }
    } else if (node instanceof ArrayNode array) {
      for (int i = 0; i < array.size(); i++) {
        JsonNode child = array.get(i);
        String value = child.isTextual() ? values.get(child.textValue()) : null;
        if (value != null) {
          array.set(i, TextNode.valueOf(value));
        } else {
          place(child, values);
        }
      }
    }
  }
}

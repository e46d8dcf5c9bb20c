package dev.nomadbackup.testing.http;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/** The HTTP/1.1 wire format, as much of it as a relay between a client and Nomad needs. */
public final class Http1 {
  private Http1() {}

  /** A request's or response's start line and headers (names case-insensitive), and their bytes. */
  public record Head(String startLine, Map<String, String> headers, byte[] raw) {
    /** The next head on {@code in}, skipping blank lines; null at the end of the stream. */
    public static Head read(InputStream in) throws IOException {
      String first = readLine(in);
      while (first != null && first.isEmpty()) {
        first = readLine(in);
      }
      if (first == null) {
        return null;
      }
      StringBuilder raw = new StringBuilder(first).append("\r\n");
      Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
      for (String line = readLine(in); line != null && !line.isEmpty(); line = readLine(in)) {
        raw.append(line).append("\r\n");
        int colon = line.indexOf(':');
        if (colon > 0) {
          headers.put(line.substring(0, colon).trim(), line.substring(colon + 1).trim());
        }
      }
      raw.append("\r\n");
      return new Head(first, headers, raw.toString().getBytes(StandardCharsets.ISO_8859_1));
    }

    public String header(String name) {
      return headers.get(name);
    }

    /** This head with its body framed by Content-Length instead of chunks. */
    public Head withLength(int length) {
      StringBuilder raw = new StringBuilder(startLine).append("\r\n");
      Map<String, String> out = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
      headers.forEach((k, v) -> {
        if (!k.equalsIgnoreCase("transfer-encoding") && !k.equalsIgnoreCase("content-length")) {
          out.put(k, v);
        }
      });
      out.put("Content-Length", Integer.toString(length));
      out.forEach((k, v) -> raw.append(k).append(": ").append(v).append("\r\n"));
      raw.append("\r\n");
      return new Head(startLine, out, raw.toString().getBytes(StandardCharsets.ISO_8859_1));
    }

    /** The method of a request, or the status code of a response. */
    public String first() {
      return startLine.split(" ", 2)[0];
    }

    /** The status code of a response. */
    public int status() {
      return Integer.parseInt(startLine.split(" ")[1]);
    }

    /** The target of a request: path and query. */
    public String target() {
      return startLine.split(" ")[1];
    }

    public boolean chunked() {
      String te = header("transfer-encoding");
      return te != null && te.toLowerCase(Locale.ROOT).contains("chunked");
    }

    /** Whether the connection ends with this message. */
    public boolean closes() {
      String c = header("connection");
      return c != null && c.equalsIgnoreCase("close") || startLine.startsWith("HTTP/1.0");
    }
  }

  /**
   * Copies the body that follows {@code head} from {@code in} to {@code out}, framed as it came
   * (Content-Length, chunked, or, for a response that closes, until the end of the stream). {@code
   * tee}, if not null, gets a copy of the body's bytes; {@code flushEach} flushes every chunk, as an
   * event stream needs.
   */
  public static void copyBody(Head head, InputStream in, OutputStream out, ByteArrayOutputStream tee, boolean flushEach)
      throws IOException {
    if (head.chunked()) {
      while (true) {
        String sizeLine = readLine(in);
        if (sizeLine == null) {
          throw new IOException("unexpected end of a chunked body");
        }
        out.write((sizeLine + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
        long size = chunkSize(sizeLine);
        if (size == 0) {
          for (String trailer = readLine(in); trailer != null && !trailer.isEmpty(); trailer = readLine(in)) {
            out.write((trailer + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
          }
          out.write("\r\n".getBytes(StandardCharsets.ISO_8859_1));
          return;
        }
        copy(in, out, size, tee);
        String crlf = readLine(in);
        out.write(((crlf == null ? "" : crlf) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
        if (flushEach) {
          out.flush();
        }
      }
    }
    String length = head.header("content-length");
    if (length != null) {
      copy(in, out, Long.parseLong(length.trim()), tee);
    } else if (head.startLine().startsWith("HTTP/") && head.closes()) {
      byte[] buf = new byte[65536];
      for (int r; (r = in.read(buf)) >= 0; ) {
        out.write(buf, 0, r);
        if (tee != null) {
          tee.write(buf, 0, r);
        }
        if (flushEach || in.available() == 0) {
          out.flush();
        }
      }
    }
  }

  /** The body that follows {@code head}, read whole and unframed. */
  public static byte[] readBody(Head head, InputStream in) throws IOException {
    if (head.chunked()) {
      return new ChunkedInputStream(in).readAllBytes();
    }
    String length = head.header("content-length");
    if (length != null) {
      return in.readNBytes(Integer.parseInt(length.trim()));
    }
    return head.startLine().startsWith("HTTP/") && head.closes() ? in.readAllBytes() : new byte[0];
  }

  /** A complete response with a Content-Length. */
  public static void writeResponse(OutputStream out, int status, Map<String, String> headers, byte[] body)
      throws IOException {
    StringBuilder head = new StringBuilder("HTTP/1.1 ").append(status).append(' ').append(reason(status)).append("\r\n");
    headers.forEach((k, v) -> head.append(k).append(": ").append(v).append("\r\n"));
    head.append("Content-Length: ").append(body.length).append("\r\n\r\n");
    out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
    out.write(body);
    out.flush();
  }

  private static String reason(int status) {
    return switch (status) {
      case 200 -> "OK";
      case 400 -> "Bad Request";
      case 403 -> "Forbidden";
      case 404 -> "Not Found";
      case 500 -> "Internal Server Error";
      case 502 -> "Bad Gateway";
      case 503 -> "Service Unavailable";
      case 504 -> "Gateway Timeout";
      default -> "Status";
    };
  }

  /** A line of ISO-8859-1 text without its CRLF or LF; null at the end of the stream. */
  public static String readLine(InputStream in) throws IOException {
    return readLine(in, StandardCharsets.ISO_8859_1);
  }

  /** A line of UTF-8 text, such as a line of an NDJSON body; null at the end of the stream. */
  public static String readUtf8Line(InputStream in) throws IOException {
    return readLine(in, StandardCharsets.UTF_8);
  }

  private static String readLine(InputStream in, java.nio.charset.Charset charset) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream(128);
    for (int c; (c = in.read()) != -1; ) {
      if (c == '\n') {
        String s = b.toString(charset);
        return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
      }
      b.write(c);
    }
    return b.size() == 0 ? null : b.toString(charset);
  }

  private static long chunkSize(String sizeLine) {
    int semi = sizeLine.indexOf(';');
    return Long.parseLong((semi < 0 ? sizeLine : sizeLine.substring(0, semi)).trim(), 16);
  }

  private static void copy(InputStream in, OutputStream out, long n, ByteArrayOutputStream tee) throws IOException {
    byte[] buf = new byte[(int) Math.min(65536, Math.max(1, n))];
    while (n > 0) {
      int r = in.read(buf, 0, (int) Math.min(buf.length, n));
      if (r < 0) {
        throw new IOException("unexpected end of body");
      }
      out.write(buf, 0, r);
      if (tee != null) {
        tee.write(buf, 0, r);
      }
      n -= r;
    }
  }

  /** The body of a message sent with {@code Transfer-Encoding: chunked}, unframed. */
  public static final class ChunkedInputStream extends InputStream {
    private final InputStream in;
    private long left;
    private boolean started;
    private boolean done;

    public ChunkedInputStream(InputStream in) {
      this.in = in;
    }

    @Override
    public int read() throws IOException {
      if (done) {
        return -1;
      }
      if (left == 0) {
        if (started) {
          readLine(in); // the CRLF after the previous chunk
        }
        started = true;
        String size = readLine(in);
        if (size == null) {
          done = true;
          return -1;
        }
        left = chunkSize(size);
        if (left == 0) {
          done = true;
          for (String t = readLine(in); t != null && !t.isEmpty(); t = readLine(in)) {
            // trailers: nothing here needs them
          }
          return -1;
        }
      }
      int c = in.read();
      if (c >= 0) {
        left--;
      }
      return c;
    }
  }
}

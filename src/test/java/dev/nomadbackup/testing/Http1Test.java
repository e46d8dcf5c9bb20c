package dev.nomadbackup.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nomadbackup.testing.http.Http1;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The HTTP/1.1 framing that the fault proxy and the benchmark's proxy relay by. */
class Http1Test {
  private static InputStream wire(String text) {
    return new ByteArrayInputStream(text.getBytes(StandardCharsets.ISO_8859_1));
  }

  @Test
  void readsAHeadWithHeadersWhateverTheirCase() throws Exception {
    Http1.Head head = Http1.Head.read(wire("\r\nPOST /v1/jobs?namespace=a HTTP/1.1\r\ncontent-LENGTH: 2\r\n\r\n{}"));
    assertEquals("POST", head.first());
    assertEquals("/v1/jobs?namespace=a", head.target());
    assertEquals("2", head.header("Content-Length"));
    assertTrue(new String(head.raw(), StandardCharsets.ISO_8859_1).endsWith("content-LENGTH: 2\r\n\r\n"));
  }

  @Test
  void theEndOfTheStreamIsNoHead() throws Exception {
    assertNull(Http1.Head.read(wire("")));
  }

  @Test
  void aChunkedBodyIsReadUnframedAndCanBeSentWithALength() throws Exception {
    InputStream in = wire("POST /v1/jobs HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
        + "3\r\n{\"a\r\n4;ext=1\r\n\":1}\r\n0\r\nTrailer: x\r\n\r\nGET / HTTP/1.1\r\n\r\n");
    Http1.Head head = Http1.Head.read(in);
    byte[] body = Http1.readBody(head, in);
    assertEquals("{\"a\":1}", new String(body, StandardCharsets.UTF_8));
    Http1.Head sized = head.withLength(body.length);
    assertEquals("7", sized.header("content-length"));
    assertNull(sized.header("transfer-encoding"));
    assertEquals("GET", Http1.Head.read(in).first(), "the next request on the connection is intact");
  }

  @Test
  void copyingAChunkedBodyKeepsItsFramingAndTeesItsBytes() throws Exception {
    String chunks = "2\r\nab\r\n1\r\nc\r\n0\r\n\r\n";
    InputStream in = wire("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + chunks);
    Http1.Head head = Http1.Head.read(in);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream tee = new ByteArrayOutputStream();
    Http1.copyBody(head, in, out, tee, true);
    assertEquals(chunks, out.toString(StandardCharsets.ISO_8859_1));
    assertEquals("abc", tee.toString(StandardCharsets.UTF_8));
  }

  @Test
  void aResponseWithoutLengthThatClosesRunsToTheEnd() throws Exception {
    InputStream in = wire("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n{}\n{}\n");
    Http1.Head head = Http1.Head.read(in);
    assertTrue(head.closes());
    assertArrayEquals("{}\n{}\n".getBytes(StandardCharsets.UTF_8), Http1.readBody(head, in));
  }
}

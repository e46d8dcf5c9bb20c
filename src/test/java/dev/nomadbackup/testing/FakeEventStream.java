package dev.nomadbackup.testing;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * One connection of the event stream, fed line by line by a test. A read blocks until a line is
 * sent, the test ends the stream (EOF, as when Nomad closes it), or someone closes it (the reader
 * then fails as it would on a closed socket). Unlike a pipe, a close wakes a blocked reader at once.
 */
public final class FakeEventStream extends InputStream {
  private final Deque<byte[]> chunks = new ArrayDeque<>();
  private int offset;
  private boolean ended;
  private boolean closed;

  /** A stream that has already ended, before sending anything: a quiet close. */
  public static FakeEventStream ended() {
    FakeEventStream s = new FakeEventStream();
    s.end();
    return s;
  }

  /** Sends one line (a newline is added). */
  public synchronized FakeEventStream send(String line) {
    chunks.add((line + "\n").getBytes(StandardCharsets.UTF_8));
    notifyAll();
    return this;
  }

  /** Ends the stream once what was sent is read. */
  public synchronized void end() {
    ended = true;
    notifyAll();
  }

  /** True once the reader's side closed it. */
  public synchronized boolean closed() {
    return closed;
  }

  @Override
  public synchronized int read() throws IOException {
    byte[] one = new byte[1];
    int n = read(one, 0, 1);
    return n < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public synchronized int read(byte[] into, int off, int len) throws IOException {
    if (len == 0) {
      return 0;
    }
    while (!closed && chunks.isEmpty() && !ended) {
      try {
        wait();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new java.io.InterruptedIOException("interrupted while reading the fake stream");
      }
    }
    if (closed) {
      throw new IOException("stream closed");
    }
    if (chunks.isEmpty()) {
      return -1;
    }
    byte[] chunk = chunks.peek();
    int n = Math.min(len, chunk.length - offset);
    System.arraycopy(chunk, offset, into, off, n);
    offset += n;
    if (offset == chunk.length) {
      chunks.poll();
      offset = 0;
    }
    return n;
  }

  @Override
  public synchronized void close() {
    closed = true;
    notifyAll();
  }
}

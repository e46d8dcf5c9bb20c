package dev.nomadbackup.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.net.URI;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A unix socket in front of an agent's TCP port, byte for byte: stands in for Nomad's Task API
 * socket, which only a client running a task would give us.
 */
public final class UnixSocketForwarder implements AutoCloseable {
  private final ServerSocketChannel server;
  private final Path path;
  private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "unix-forwarder");
    t.setDaemon(true);
    return t;
  });
  private final AtomicInteger connections = new AtomicInteger();

  private UnixSocketForwarder(ServerSocketChannel server, Path path) {
    this.server = server;
    this.path = path;
  }

  public static UnixSocketForwarder start(Path path, URI target) throws IOException {
    Files.deleteIfExists(path);
    ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    server.bind(UnixDomainSocketAddress.of(path));
    UnixSocketForwarder f = new UnixSocketForwarder(server, path);
    f.threads.execute(() -> f.accept(new InetSocketAddress(target.getHost(), target.getPort())));
    return f;
  }

  /** Connections accepted so far. */
  public int connections() {
    return connections.get();
  }

  private void accept(InetSocketAddress target) {
    while (server.isOpen()) {
      try {
        SocketChannel client = server.accept();
        connections.incrementAndGet();
        Socket upstream = new Socket(target.getAddress(), target.getPort());
        threads.execute(() -> toUpstream(client, upstream));
        threads.execute(() -> toClient(upstream, client));
      } catch (IOException e) {
        return; // closed
      }
    }
  }

  // The channel is read and written directly, from two threads: streams made with
  // Channels.newInputStream/newOutputStream share one lock and would block each other.
  private static void toUpstream(SocketChannel client, Socket upstream) {
    ByteBuffer buffer = ByteBuffer.allocate(16384);
    try (upstream) {
      OutputStream out = upstream.getOutputStream();
      while (client.read(buffer) >= 0) {
        out.write(buffer.array(), 0, buffer.position());
        out.flush();
        buffer.clear();
      }
    } catch (IOException e) {
      // a side closed: nothing more to forward
    } finally {
      closeQuietly(client);
    }
  }

  private static void toClient(Socket upstream, SocketChannel client) {
    byte[] bytes = new byte[16384];
    try (upstream) {
      InputStream in = upstream.getInputStream();
      int n;
      while ((n = in.read(bytes)) >= 0) {
        ByteBuffer buffer = ByteBuffer.wrap(bytes, 0, n);
        while (buffer.hasRemaining()) {
          client.write(buffer);
        }
      }
    } catch (IOException e) {
      // a side closed: nothing more to forward
    } finally {
      closeQuietly(client);
    }
  }

  private static void closeQuietly(SocketChannel channel) {
    try {
      channel.close();
    } catch (IOException e) {
      // already closed
    }
  }

  @Override
  public void close() throws IOException {
    server.close();
    threads.shutdownNow();
    Files.deleteIfExists(path);
  }
}

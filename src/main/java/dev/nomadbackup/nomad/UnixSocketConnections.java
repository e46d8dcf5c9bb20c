package dev.nomadbackup.nomad;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import org.apache.http.HttpHost;
import org.apache.http.conn.socket.ConnectionSocketFactory;
import org.apache.http.protocol.HttpContext;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;

/**
 * Connects every request to one unix socket, whatever host the URL names: Nomad's Task API
 * ({@code NOMAD_ADDR=unix://${NOMAD_SECRETS_DIR}/api.sock}) and agents bound to a socket. The
 * sockets are real {@link Socket}s, so read timeouts work as on TCP.
 */
final class UnixSocketConnections implements ConnectionSocketFactory {
  private final Path socket;

  UnixSocketConnections(Path socket) {
    this.socket = socket;
  }

  @Override
  public Socket createSocket(HttpContext context) throws IOException {
    return AFUNIXSocket.newInstance();
  }

  @Override
  public Socket connectSocket(
      int connectTimeout,
      Socket sock,
      HttpHost host,
      InetSocketAddress remoteAddress,
      InetSocketAddress localAddress,
      HttpContext context)
      throws IOException {
    Socket s = sock == null ? createSocket(context) : sock;
    try {
      s.connect(AFUNIXSocketAddress.of(socket), connectTimeout);
    } catch (IOException e) {
      s.close();
      throw new IOException("cannot connect to unix socket " + socket + ": " + e.getMessage(), e);
    }
    return s;
  }
}

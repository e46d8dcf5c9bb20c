package dev.nomadbackup.testing.http;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A plain HTTP/1.1 relay on a loopback port in front of one upstream (a Nomad agent): one thread
 * and one upstream connection per client connection, bodies passed through as they come, so that
 * it adds a fraction of a millisecond. What happens to each request is up to its {@link Handler},
 * which sees the request before anything reaches the upstream: the benchmark's counting proxy
 * forwards everything and counts, the tests' fault proxy also answers, drops or holds requests
 * and taps event streams.
 *
 * <p>Written on blocking sockets rather than an HTTP server library, so that its owner can count
 * and cut connections and stop reading a stream (the JDK's HttpServer and HttpClient also added
 * several milliseconds).
 */
public final class HttpRelay implements AutoCloseable {
  /** Decides what becomes of each request a client sends. */
  public interface Handler {
    /**
     * Handles {@code request} on {@code exchange}, typically by {@link Exchange#forward} and
     * {@link Exchange#relay}; returns false to close the client's connection afterwards.
     */
    boolean handle(Request request, Exchange exchange) throws IOException;
  }

  /** A request read off a client connection, its body read whole. */
  public record Request(Http1.Head head, byte[] body) {
    public String method() {
      return head.first();
    }

    /** The raw path, without the query. */
    public String path() {
      String target = head.target();
      int q = target.indexOf('?');
      return q < 0 ? target : target.substring(0, q);
    }

    /** The raw query, or empty. */
    public String query() {
      String target = head.target();
      int q = target.indexOf('?');
      return q < 0 ? "" : target.substring(q + 1);
    }

    public String header(String name) {
      return head.header(name);
    }

    public String bodyText() {
      return new String(body, StandardCharsets.UTF_8);
    }
  }

  private final URI upstream;
  private final Handler handler;
  private final String threadName;
  private final int port;
  private volatile ServerSocket listener;
  private final Set<Socket> connections = ConcurrentHashMap.newKeySet();
  private final AtomicInteger accepted = new AtomicInteger();

  private HttpRelay(URI upstream, Handler handler, String threadName, ServerSocket listener) {
    this.upstream = upstream;
    this.handler = handler;
    this.threadName = threadName;
    this.listener = listener;
    this.port = listener.getLocalPort();
  }

  /**
   * A relay on a free loopback port in front of {@code upstream} (an {@code http://} address),
   * its threads named after {@code threadName}.
   */
  public static HttpRelay start(URI upstream, String threadName, Handler handler) {
    try {
      HttpRelay relay = new HttpRelay(upstream, handler, threadName, listen(0));
      relay.acceptOn(relay.listener);
      return relay;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public URI address() {
    return URI.create("http://127.0.0.1:" + port);
  }

  public URI upstream() {
    return upstream;
  }

  /** Client connections open now. */
  public Set<Socket> connections() {
    return Set.copyOf(connections);
  }

  /** Client connections accepted so far. */
  public int connectionsAccepted() {
    return accepted.get();
  }

  /** Forgets the count of accepted connections. */
  public void resetCount() {
    accepted.set(0);
  }

  /** Stops listening and closes every client connection: clients now get "connection refused". */
  public synchronized void down() {
    closeQuietly(listener);
    for (Socket s : connections) {
      closeQuietly(s);
    }
  }

  /** Listens again on the same port. */
  public synchronized void up() {
    try {
      listener = listen(port);
      acceptOn(listener);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot listen on port " + port + " again", e);
    }
  }

  @Override
  public void close() {
    down();
  }

  /** A new connection to the upstream, for a caller that relays a stream on its own. */
  public Socket connectUpstream(int receiveBuffer) throws IOException {
    Socket s = new Socket();
    if (receiveBuffer > 0) {
      s.setReceiveBufferSize(receiveBuffer);
    }
    try {
      s.connect(new InetSocketAddress(upstream.getHost(), upstream.getPort()), 5000);
      s.setTcpNoDelay(true);
      return s;
    } catch (IOException e) {
      s.close();
      throw e;
    }
  }

  private static ServerSocket listen(int port) throws IOException {
    ServerSocket socket = new ServerSocket();
    socket.setReuseAddress(true);
    socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 128);
    return socket;
  }

  private void acceptOn(ServerSocket socket) {
    daemon(() -> {
      while (!socket.isClosed()) {
        try {
          Socket client = socket.accept();
          connections.add(client);
          accepted.incrementAndGet();
          daemon(() -> serve(client), threadName + "-conn").start();
        } catch (IOException e) {
          return; // the listener was closed
        }
      }
    }, threadName + "-accept").start();
  }

  private void serve(Socket client) {
    try (client; Exchange exchange = new Exchange(client)) {
      client.setTcpNoDelay(true);
      while (true) {
        Http1.Head head = Http1.Head.read(exchange.fromClient);
        if (head == null) {
          return;
        }
        Request request = new Request(head, Http1.readBody(head, exchange.fromClient));
        if (!handler.handle(request, exchange) || head.closes()) {
          return;
        }
      }
    } catch (IOException e) {
      // the client, the upstream or the relay closed the connection: its work is over
    } finally {
      connections.remove(client);
    }
  }

  /** One client connection and, once something is forwarded, its own connection to the upstream. */
  public final class Exchange implements AutoCloseable {
    private final Socket client;
    final InputStream fromClient;
    private final OutputStream toClient;
    private Socket nomad;
    private InputStream fromNomad;
    private OutputStream toNomad;

    Exchange(Socket client) throws IOException {
      this.client = client;
      this.fromClient = new BufferedInputStream(client.getInputStream(), 65536);
      this.toClient = client.getOutputStream();
    }

    public Socket client() {
      return client;
    }

    /** The client's side, for a handler that writes a stream itself. */
    public OutputStream toClient() {
      return toClient;
    }

    /**
     * Sends {@code request} upstream and reads the head of the answer, whose body is then for
     * {@link #relay} or {@link #discard}. Returns null when the upstream cannot be reached: the
     * client has then been answered 502, as a load balancer would answer.
     */
    public Http1.Head forward(Request request) throws IOException {
      byte[] head = request.head().chunked()
          ? request.head().withLength(request.body().length).raw() // the body was read unframed
          : request.head().raw();
      boolean reused = nomad != null;
      try {
        return send(head, request.body());
      } catch (UpstreamLost e) {
        boolean idempotent = request.method().equals("GET") || request.method().equals("HEAD");
        if (!reused || !idempotent) {
          throw e;
        }
        // the connection to the upstream broke while it sat idle (the upstream restarted, say):
        // a read is sent once more on a new one, as an HTTP client would; a write is not, since
        // the upstream may have carried it out, and the client decides
        closeQuietly(nomad);
        nomad = null;
        return send(head, request.body());
      }
    }

    private Http1.Head send(byte[] head, byte[] body) throws IOException {
      if (nomad == null) {
        try {
          nomad = connectUpstream(0);
        } catch (IOException e) {
          answer(502, Map.of("Content-Type", "text/plain"),
              ("Nomad unreachable: " + e).getBytes(StandardCharsets.UTF_8));
          return null;
        }
        fromNomad = new BufferedInputStream(nomad.getInputStream(), 65536);
        toNomad = nomad.getOutputStream();
      }
      Http1.Head answer;
      try {
        toNomad.write(head);
        toNomad.write(body);
        toNomad.flush();
        answer = Http1.Head.read(fromNomad);
      } catch (IOException e) {
        throw new UpstreamLost(e.toString());
      }
      if (answer == null) {
        throw new UpstreamLost("the upstream closed the connection without an answer");
      }
      return answer;
    }

    /** Passes the answer and its body on to the client; {@code tee}, if not null, gets the body. */
    public void relay(Http1.Head answer, ByteArrayOutputStream tee, boolean flushEach) throws IOException {
      toClient.write(answer.raw());
      Http1.copyBody(answer, fromNomad, toClient, tee, flushEach);
      toClient.flush();
    }

    /** Reads the answer's body and throws it away: the client never sees it. */
    public void discard(Http1.Head answer) throws IOException {
      Http1.readBody(answer, fromNomad);
    }

    /** Answers the client without asking the upstream. */
    public void answer(int status, Map<String, String> headers, byte[] body) throws IOException {
      Http1.writeResponse(toClient, status, headers, body);
    }

    @Override
    public void close() {
      if (nomad != null) {
        closeQuietly(nomad);
      }
    }
  }

  /** The upstream connection broke before any of the answer came back. */
  private static final class UpstreamLost extends IOException {
    UpstreamLost(String message) {
      super(message);
    }
  }

  private static void closeQuietly(java.io.Closeable c) {
    try {
      c.close();
    } catch (IOException e) {
      // closing to end a connection on purpose: an error here changes nothing
    }
  }

  private static Thread daemon(Runnable r, String name) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    return t;
  }
}

package dev.nomadbackup.bench;

import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URI;

/**
 * Reads Nomad's Job event stream and throws it away: what serving one watcher costs Nomad, without
 * the watcher doing anything with it.
 */
final class StreamDrain implements AutoCloseable {
  private final HttpURLConnection connection;
  private final Thread reader;

  StreamDrain(URI agent) throws IOException {
    connection = (HttpURLConnection) URI.create(agent + "/v1/event/stream?topic=Job:*&namespace=*").toURL().openConnection();
    connection.setReadTimeout(0);
    InputStream in = connection.getInputStream();
    reader = new Thread(() -> {
      byte[] buf = new byte[65536];
      try {
        while (in.read(buf) >= 0) {
          // discard
        }
      } catch (IOException e) {
        // closed
      }
    }, "stream-drain");
    reader.setDaemon(true);
    reader.start();
  }

  @Override
  public void close() {
    connection.disconnect();
  }
}

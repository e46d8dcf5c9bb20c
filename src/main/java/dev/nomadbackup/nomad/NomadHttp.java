package dev.nomadbackup.nomad;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.nomadbackup.config.NomadConfig;
import java.io.Closeable;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.http.Header;
import org.apache.http.HttpEntity;
import org.apache.http.client.config.RequestConfig;
import org.apache.http.client.methods.CloseableHttpResponse;
import org.apache.http.client.methods.HttpDelete;
import org.apache.http.client.methods.HttpGet;
import org.apache.http.client.methods.HttpPost;
import org.apache.http.client.methods.HttpPut;
import org.apache.http.client.methods.HttpRequestBase;
import org.apache.http.client.utils.URLEncodedUtils;
import org.apache.http.NameValuePair;
import org.apache.http.message.BasicNameValuePair;
import org.apache.http.entity.ByteArrayEntity;
import org.apache.http.entity.ContentType;
import org.apache.http.impl.client.CloseableHttpClient;
import org.apache.http.impl.client.HttpClients;
import org.apache.http.impl.conn.PoolingHttpClientConnectionManager;
import org.apache.http.config.RegistryBuilder;
import org.apache.http.conn.socket.ConnectionSocketFactory;
import org.apache.http.conn.socket.PlainConnectionSocketFactory;
import org.apache.http.util.EntityUtils;

/**
 * Plain HTTP to Nomad's API for what nomad-sdk predates (the event stream, {@code /v1/jobs/parse},
 * listing with meta) and for registering parsed jobs exactly as Nomad returned them. It shares one
 * connection pool with the SDK. Throws {@link NomadApiException} for error answers and never logs.
 */
public final class NomadHttp implements Closeable {
  static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
  static final Duration READ_TIMEOUT = Duration.ofSeconds(30);

  private final NomadConfig config;
  private final CloseableHttpClient client;
  private final ObjectMapper json;

  NomadHttp(NomadConfig config, CloseableHttpClient client, ObjectMapper json) {
    this.config = config;
    this.client = client;
    this.json = json;
  }

  /** An HTTP client with a connection pool, TLS as configured, and no automatic retries. */
  static CloseableHttpClient newClient(NomadConfig config, int maxConnections) {
    RegistryBuilder<ConnectionSocketFactory> sockets =
        RegistryBuilder.<ConnectionSocketFactory>create()
            .register("http", config.unixSocket().<ConnectionSocketFactory>map(UnixSocketConnections::new)
                .orElse(PlainConnectionSocketFactory.getSocketFactory()));
    sockets.register("https", TlsContexts.socketFactory(config.tls()));
    PoolingHttpClientConnectionManager pool = new PoolingHttpClientConnectionManager(sockets.build());
    pool.setMaxTotal(maxConnections);
    pool.setDefaultMaxPerRoute(maxConnections);
    pool.setValidateAfterInactivity(2_000);
    return HttpClients.custom()
        .setConnectionManager(pool)
        .setDefaultRequestConfig(requestConfig(READ_TIMEOUT))
        .disableAutomaticRetries()
        // gzip costs Nomad more CPU per parse than the parse itself (docs/benchmarks.md)
        .disableContentCompression()
        .disableCookieManagement()
        .disableRedirectHandling()
        .useSystemProperties()
        .build();
  }

  private static RequestConfig requestConfig(Duration readTimeout) {
    return RequestConfig.custom()
        .setConnectTimeout((int) CONNECT_TIMEOUT.toMillis())
        .setConnectionRequestTimeout((int) CONNECT_TIMEOUT.toMillis())
        .setSocketTimeout((int) readTimeout.toMillis())
        .build();
  }

  NomadResponse get(String path, Map<String, String> query) throws IOException {
    return send(new HttpGet(uri(path, query)), path);
  }

  NomadResponse post(String path, Map<String, String> query, Object body) throws IOException {
    HttpPost post = new HttpPost(uri(path, query));
    post.setEntity(new ByteArrayEntity(json.writeValueAsBytes(body), ContentType.APPLICATION_JSON));
    return send(post, path);
  }

  NomadResponse put(String path, Map<String, String> query, Object body) throws IOException {
    HttpPut put = new HttpPut(uri(path, query));
    put.setEntity(new ByteArrayEntity(json.writeValueAsBytes(body), ContentType.APPLICATION_JSON));
    return send(put, path);
  }

  NomadResponse delete(String path, Map<String, String> query) throws IOException {
    return send(new HttpDelete(uri(path, query)), path);
  }

  /**
   * Opens a streaming GET. The caller owns the returned stream and must close it; a read that waits
   * longer than {@code readTimeout} fails with a {@link java.net.SocketTimeoutException}.
   */
  InputStream openStream(String path, Map<String, String> query, Duration readTimeout)
      throws IOException {
    HttpGet get = new HttpGet(uri(path, query));
    get.setConfig(requestConfig(readTimeout));
    authorise(get);
    CloseableHttpResponse response = client.execute(get);
    InputStream content;
    try {
      int status = response.getStatusLine().getStatusCode();
      HttpEntity entity = response.getEntity();
      if (status >= 300 || entity == null) {
        String body = entity == null ? "" : EntityUtils.toString(entity, StandardCharsets.UTF_8);
        throw refused(status, "GET " + path, body);
      }
      content = entity.getContent();
    } catch (IOException | RuntimeException e) {
      // give the connection back whatever went wrong: a stream that is never returned leaks it
      get.abort();
      response.close();
      throw e;
    }
    return new FilterInputStream(content) {
      @Override
      public void close() throws IOException {
        // abort rather than drain: the stream never ends on its own
        get.abort();
        response.close();
      }
    };
  }

  private NomadResponse send(HttpRequestBase request, String path) throws IOException {
    authorise(request);
    try (CloseableHttpResponse response = client.execute(request)) {
      int status = response.getStatusLine().getStatusCode();
      HttpEntity entity = response.getEntity();
      byte[] bytes = entity == null ? new byte[0] : EntityUtils.toByteArray(entity);
      if (status >= 300) {
        throw refused(status, request.getMethod() + " " + path, new String(bytes, StandardCharsets.UTF_8));
      }
      JsonNode body = bytes.length == 0 ? json.nullNode() : json.readTree(bytes);
      return new NomadResponse(
          body, longHeader(response.getFirstHeader("X-Nomad-Index")),
          Optional.ofNullable(response.getFirstHeader("X-Nomad-NextToken"))
              .map(Header::getValue)
              .filter(s -> !s.isEmpty()));
    }
  }

  /**
   * The error for an answer of {@code status}. Nomad 1.11 answers a token it does not know (one
   * deleted, say) with the same "Permission denied" as a missing capability; a token it knows
   * can always read itself, so a 403 is followed by that read to tell the two apart.
   */
  private NomadApiException refused(int status, String request, String body) {
    if (status != 403 || config.token().isEmpty() || request.endsWith(TOKEN_SELF)) {
      return new NomadApiException(status, request, body);
    }
    boolean rejected;
    try {
      get(TOKEN_SELF, Map.of());
      rejected = false;
    } catch (NomadApiException e) {
      rejected = e.status() == 403 || e.status() == 404;
    } catch (IOException e) {
      rejected = false; // cannot tell; the capability hint stays
    }
    return new NomadApiException(status, request, body, rejected);
  }

  private static final String TOKEN_SELF = "/v1/acl/token/self";

  private void authorise(HttpRequestBase request) {
    config.token().ifPresent(t -> request.setHeader("X-Nomad-Token", t));
    config.httpAuth()
        .ifPresent(
            auth ->
                request.setHeader(
                    "Authorization",
                    "Basic " + Base64.getEncoder().encodeToString(auth.getBytes(StandardCharsets.UTF_8))));
  }

  /**
   * Percent-encodes one path segment (a job ID may hold '/', as periodic children's IDs do). A job
   * called {@code .} or {@code ..} has its dots encoded too, or the path would be read as a step up.
   */
  static String segment(String value) {
    if (value.equals(".") || value.equals("..")) {
      return value.replace(".", "%2E");
    }
    StringBuilder out = new StringBuilder(value.length());
    for (byte b : value.getBytes(StandardCharsets.UTF_8)) {
      int c = b & 0xff;
      if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
          || c == '-' || c == '.' || c == '_' || c == '~') {
        out.append((char) c);
      } else {
        out.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
            .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
      }
    }
    return out.toString();
  }

  /** The API path of variable {@code path}, each of its segments encoded. */
  static String variable(String path) {
    StringBuilder b = new StringBuilder("/v1/var");
    for (String part : path.split("/")) {
      if (!part.isEmpty()) {
        b.append('/').append(segment(part));
      }
    }
    return b.toString();
  }

  private URI uri(String path, Map<String, String> query) {
    List<NameValuePair> params = new ArrayList<>();
    config.region().ifPresent(r -> params.add(new BasicNameValuePair("region", r)));
    query.forEach((k, v) -> params.add(new BasicNameValuePair(k, v)));
    String base = config.address().toString();
    String q = params.isEmpty() ? "" : "?" + URLEncodedUtils.format(params, StandardCharsets.UTF_8);
    return URI.create(base + path + q);
  }

  private static long longHeader(Header header) {
    if (header == null) {
      return 0;
    }
    try {
      return Long.parseLong(header.getValue());
    } catch (NumberFormatException e) {
      return 0; // a proxy may mangle it; 0 means "unknown" to every caller
    }
  }

  @Override
  public void close() throws IOException {
    client.close();
  }
}

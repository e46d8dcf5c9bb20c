package dev.nomadbackup.nomad;

import dev.nomadbackup.config.NomadConfig;
import java.io.IOException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSocket;
import org.apache.http.conn.ssl.DefaultHostnameVerifier;
import org.apache.http.conn.ssl.NoopHostnameVerifier;
import org.apache.http.conn.ssl.SSLConnectionSocketFactory;
import org.apache.http.protocol.HttpContext;

/**
 * HTTPS to Nomad that checks the server's name itself, so that a mismatch names the name that was
 * checked ({@code NOMAD_TLS_SERVER_NAME}, or the host of {@code NOMAD_ADDR}) and the names the
 * certificate has; and that tells a refusal for want of a client certificate from a broken pipe.
 */
final class NomadTlsSocketFactory extends SSLConnectionSocketFactory {
  /** How long a new connection waits for a refusal after a handshake that sent no certificate. */
  static final int REFUSAL_WAIT_MILLIS = 1_000;

  private final NomadConfig.Tls tls;
  private final TlsContexts.ClientCertificateRequests requests;
  private final DefaultHostnameVerifier names = new DefaultHostnameVerifier();

  NomadTlsSocketFactory(SSLContext context, NomadConfig.Tls tls, TlsContexts.ClientCertificateRequests requests) {
    // the name is checked below, after the handshake, where a mismatch can be explained
    super(context, NoopHostnameVerifier.INSTANCE);
    this.tls = tls;
    this.requests = requests;
  }

  @Override
  public Socket createLayeredSocket(Socket socket, String target, int port, HttpContext context)
      throws IOException {
    requests.reset();
    SSLSocket ssl;
    try {
      ssl = (SSLSocket) super.createLayeredSocket(socket, target, port, context);
    } catch (SSLException e) {
      if (withoutCertificate()) {
        throw certificateWanted(e);
      }
      throw e;
    }
    try {
      if (withoutCertificate()) {
        awaitRefusal(ssl);
      }
      if (!tls.skipVerify()) {
        checkName(ssl, target);
      }
      return ssl;
    } catch (IOException | RuntimeException e) {
      ssl.close();
      throw e;
    }
  }

  private boolean withoutCertificate() {
    return tls.clientCert().isEmpty() && requests.asked();
  }

  /**
   * The server asked for a client certificate and got none. Under TLS 1.3 the handshake still
   * completes on this side; a server that requires one (Nomad's {@code verify_https_client}) then
   * ends the connection, which a first request would only see as a broken pipe. A server that
   * merely asked says nothing, and the connection is used after this short wait.
   */
  private static void awaitRefusal(SSLSocket ssl) throws IOException {
    int timeout = ssl.getSoTimeout();
    ssl.setSoTimeout(REFUSAL_WAIT_MILLIS);
    int first;
    try {
      first = ssl.getInputStream().read();
    } catch (SocketTimeoutException e) {
      ssl.setSoTimeout(timeout); // no refusal: the server lets us in without a certificate
      return;
    } catch (IOException e) {
      throw certificateWanted(e);
    }
    if (first < 0) {
      throw certificateWanted(new IOException("connection closed"));
    }
    throw new IOException("Nomad spoke before it was asked anything; this is not an HTTP server");
  }

  private static SSLHandshakeException certificateWanted(IOException e) {
    SSLHandshakeException wanted = new SSLHandshakeException(
        "Nomad wants a client certificate (verify_https_client) and none is set: set NOMAD_CLIENT_CERT and"
            + " NOMAD_CLIENT_KEY (" + Failures.describe(e) + ")");
    wanted.initCause(e);
    return wanted;
  }

  private void checkName(SSLSocket ssl, String target) throws IOException {
    String expected = tls.serverName().orElse(target);
    X509Certificate cert = (X509Certificate) ssl.getSession().getPeerCertificates()[0];
    try {
      names.verify(expected, cert);
    } catch (SSLException e) {
      String has = String.join(", ", namesOf(cert));
      throw new SSLPeerUnverifiedException(tls.serverName().isPresent()
          ? "Nomad's certificate is not for NOMAD_TLS_SERVER_NAME=" + expected + "; it is for " + has
          : "Nomad's certificate is not for " + expected + " (the host of NOMAD_ADDR); it is for " + has
              + " (set NOMAD_TLS_SERVER_NAME to one of them)");
    }
  }

  /** The DNS names and IP addresses a certificate is for, or its subject when it lists none. */
  static List<String> namesOf(X509Certificate cert) {
    List<String> names = new ArrayList<>();
    try {
      Collection<List<?>> alternatives = cert.getSubjectAlternativeNames();
      if (alternatives != null) {
        for (List<?> entry : alternatives) {
          Object type = entry.get(0);
          if (Integer.valueOf(2).equals(type) || Integer.valueOf(7).equals(type)) { // DNS, IP
            names.add(String.valueOf(entry.get(1)));
          }
        }
      }
    } catch (CertificateParsingException e) {
      names.add("(unreadable subject alternative names: " + e.getMessage() + ")");
    }
    if (names.isEmpty()) {
      names.add(cert.getSubjectX500Principal().getName());
    }
    return names;
  }
}

package dev.nomadbackup.nomad;

import dev.nomadbackup.config.ConfigException;
import dev.nomadbackup.config.NomadConfig;
import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.CertPathBuilderException;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509ExtendedTrustManager;
import org.apache.http.conn.ssl.SSLConnectionSocketFactory;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;

/** Builds the TLS that {@code NOMAD_CACERT} and friends describe. */
final class TlsContexts {
  private TlsContexts() {}

  /**
   * The socket factory for {@code https://}: TLS as configured, with failures that name their
   * cause (an untrusted certificate and the CA certificates it was checked against, a server name
   * the certificate lacks and the names it has, a client certificate the server wants).
   */
  static SSLConnectionSocketFactory socketFactory(NomadConfig.Tls tls) {
    ClientCertificateRequests requests = new ClientCertificateRequests();
    return new NomadTlsSocketFactory(sslContext(tls, requests), tls, requests);
  }

  static SSLContext sslContext(NomadConfig.Tls tls, ClientCertificateRequests requests) {
    try {
      TrustManager[] trust =
          tls.skipVerify() ? new TrustManager[] {new TrustingAll()} : trustManagers(tls);
      KeyManager[] keys =
          tls.clientCert().isPresent()
              ? keyManagers(tls.clientCert().get(), tls.clientKey().orElseThrow()).getKeyManagers()
              : new KeyManager[] {requests}; // none to offer, but it notes that the server asked
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(keys, trust, null);
      return context;
    } catch (IOException | GeneralSecurityException e) {
      throw new ConfigException("cannot set up TLS for Nomad: " + e.getMessage());
    }
  }

  /** Where the CA certificates come from, as the user set it. */
  static String trustSource(NomadConfig.Tls tls) {
    List<String> parts = new ArrayList<>();
    tls.caCert().ifPresent(p -> parts.add("NOMAD_CACERT=" + p));
    tls.caPath().ifPresent(p -> parts.add("NOMAD_CAPATH=" + p));
    return parts.isEmpty()
        ? "the JVM's default trust store (set NOMAD_CACERT or NOMAD_CAPATH to Nomad's CA)"
        : String.join(" and ", parts);
  }

  private static TrustManager[] trustManagers(NomadConfig.Tls tls)
      throws IOException, GeneralSecurityException {
    List<Path> pems = new ArrayList<>();
    tls.caCert().ifPresent(pems::add);
    if (tls.caPath().isPresent()) {
      try (Stream<Path> files = Files.list(tls.caPath().get())) {
        files.filter(Files::isRegularFile).sorted().forEach(pems::add);
      }
    }
    KeyStore store = null; // the JDK's default trust store
    if (!pems.isEmpty()) {
      store = KeyStore.getInstance(KeyStore.getDefaultType());
      store.load(null, null);
      int n = 0;
      for (Path pem : pems) {
        for (Certificate cert : readCertificates(pem)) {
          store.setCertificateEntry("ca-" + n++, cert);
        }
      }
    }
    TrustManagerFactory factory =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    factory.init(store);
    List<TrustManager> managers = new ArrayList<>();
    for (TrustManager m : factory.getTrustManagers()) {
      managers.add(m instanceof X509ExtendedTrustManager x ? new Explaining(x, trustSource(tls)) : m);
    }
    return managers.toArray(TrustManager[]::new);
  }

  private static KeyManagerFactory keyManagers(Path certFile, Path keyFile)
      throws IOException, GeneralSecurityException {
    List<Certificate> chain = readCertificates(certFile);
    PrivateKey key = readPrivateKey(keyFile);
    KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
    store.load(null, null);
    char[] password = new char[0];
    store.setKeyEntry("client", key, password, chain.toArray(Certificate[]::new));
    KeyManagerFactory factory = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    factory.init(store, password);
    return factory;
  }

  private static List<Certificate> readCertificates(Path pem) throws IOException, GeneralSecurityException {
    try (InputStream in = Files.newInputStream(pem)) {
      List<Certificate> certs = new ArrayList<>(CertificateFactory.getInstance("X.509").generateCertificates(in));
      if (certs.isEmpty()) {
        throw new GeneralSecurityException(pem + " holds no certificate");
      }
      return certs;
    }
  }

  /** PKCS#1 RSA, SEC1 EC and PKCS#8 keys, as Nomad's own {@code nomad tls} commands write them. */
  private static PrivateKey readPrivateKey(Path pem) throws IOException {
    try (Reader reader = Files.newBufferedReader(pem);
        PEMParser parser = new PEMParser(reader)) {
      Object object = parser.readObject();
      JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
      if (object instanceof PEMKeyPair pair) {
        return converter.getPrivateKey(pair.getPrivateKeyInfo());
      }
      if (object instanceof PrivateKeyInfo info) {
        return converter.getPrivateKey(info);
      }
      throw new IOException(pem + " holds no unencrypted private key");
    }
  }

  /**
   * The JDK's trust manager, whose refusal of Nomad's certificate names the certificate and the CA
   * certificates it was checked against, instead of "PKIX path building failed".
   */
  private static final class Explaining extends X509ExtendedTrustManager {
    private final X509ExtendedTrustManager trust;
    private final String source;

    Explaining(X509ExtendedTrustManager trust, String source) {
      this.trust = trust;
      this.source = source;
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
        throws CertificateException {
      try {
        trust.checkServerTrusted(chain, authType, socket);
      } catch (CertificateException e) {
        throw explained(chain, e);
      }
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
        throws CertificateException {
      try {
        trust.checkServerTrusted(chain, authType, engine);
      } catch (CertificateException e) {
        throw explained(chain, e);
      }
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType)
        throws CertificateException {
      try {
        trust.checkServerTrusted(chain, authType);
      } catch (CertificateException e) {
        throw explained(chain, e);
      }
    }

    private CertificateException explained(X509Certificate[] chain, CertificateException e) {
      String which =
          chain.length == 0
              ? "Nomad's certificate"
              : "Nomad's certificate (" + commonName(chain[0].getSubjectX500Principal())
                  + ", issued by " + commonName(chain[0].getIssuerX500Principal()) + ")";
      boolean noPath = false;
      Throwable root = e;
      for (Throwable t = e; t != null; t = t.getCause()) {
        noPath |= t instanceof CertPathBuilderException;
        root = t;
      }
      String why =
          noPath
              ? "no CA certificate in " + source + " issued it"
              : "checked against " + source + ": " + Failures.describe(root);
      return new CertificateException(which + " is not trusted: " + why, e);
    }

    /** {@code CN=...} of a name, which is what tells certificates apart; the whole name without one. */
    private static String commonName(javax.security.auth.x500.X500Principal name) {
      Matcher cn = Pattern.compile("(?:^|,)(CN=(?:\\\\.|[^,])*)")
          .matcher(name.getName());
      return cn.find() ? cn.group(1) : name.getName();
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
        throws CertificateException {
      trust.checkClientTrusted(chain, authType, socket);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
        throws CertificateException {
      trust.checkClientTrusted(chain, authType, engine);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType)
        throws CertificateException {
      trust.checkClientTrusted(chain, authType);
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return trust.getAcceptedIssuers();
    }
  }

  /**
   * The key manager when no client certificate is set: it offers none, and notes, for the thread
   * whose handshake it is, that the server asked for one.
   */
  static final class ClientCertificateRequests extends X509ExtendedKeyManager {
    private final ThreadLocal<Boolean> asked = ThreadLocal.withInitial(() -> false);

    /** Forgets what an earlier handshake on this thread noted. */
    void reset() {
      asked.set(false);
    }

    /** True when the server asked this thread's last handshake for a client certificate. */
    boolean asked() {
      return asked.get();
    }

    @Override
    public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
      asked.set(true);
      return null;
    }

    @Override
    public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
      asked.set(true);
      return null;
    }

    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
      return null;
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
      return null;
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
      return null;
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
      return null;
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
      return null;
    }
  }

  /** NOMAD_SKIP_VERIFY: the user asked for no certificate checks. */
  private static final class TrustingAll extends X509ExtendedTrustManager {
    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) {}

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {}

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }
  }
}

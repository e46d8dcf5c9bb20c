package dev.nomadbackup.nomad;

import dev.nomadbackup.config.ConfigException;
import dev.nomadbackup.config.NomadConfig;
import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import javax.net.ssl.HostnameVerifier;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
import org.apache.http.conn.ssl.DefaultHostnameVerifier;
import org.apache.http.conn.ssl.NoopHostnameVerifier;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;

/** Builds the SSL context and host name check that {@code NOMAD_CACERT} and friends describe. */
final class TlsContexts {
  private TlsContexts() {}

  static SSLContext sslContext(NomadConfig.Tls tls) {
    try {
      TrustManager[] trust = tls.skipVerify() ? new TrustManager[] {new TrustingAll()} : trustManagers(tls);
      KeyManagerFactory keys = null;
      if (tls.clientCert().isPresent()) {
        keys = keyManagers(tls.clientCert().get(), tls.clientKey().orElseThrow());
      }
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(keys == null ? null : keys.getKeyManagers(), trust, null);
      return context;
    } catch (IOException | GeneralSecurityException e) {
      throw new ConfigException("cannot set up TLS for Nomad: " + e.getMessage());
    }
  }

  static HostnameVerifier hostnameVerifier(NomadConfig.Tls tls) {
    if (tls.skipVerify()) {
      return NoopHostnameVerifier.INSTANCE;
    }
    DefaultHostnameVerifier standard = new DefaultHostnameVerifier();
    return tls.serverName()
        .<HostnameVerifier>map(
            name ->
                (host, session) -> {
                  try {
                    standard.verify(name, (X509Certificate) session.getPeerCertificates()[0]);
                    return true;
                  } catch (SSLException e) {
                    return false;
                  }
                })
        .orElse(standard);
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
    if (pems.isEmpty()) {
      return null; // the JDK's default trust store
    }
    KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
    store.load(null, null);
    int n = 0;
    for (Path pem : pems) {
      for (Certificate cert : readCertificates(pem)) {
        store.setCertificateEntry("ca-" + n++, cert);
      }
    }
    TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    factory.init(store);
    return factory.getTrustManagers();
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

  /** NOMAD_SKIP_VERIFY: the user asked for no certificate checks. */
  private static final class TrustingAll implements X509TrustManager {
    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }
  }
}

package dev.nomadbackup.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;

/**
 * A CA, a server certificate and a CLI (client) certificate made by the pinned Nomad's own
 * {@code nomad tls ca create}, {@code nomad tls cert create -server -region global} and {@code
 * nomad tls cert create -cli}, in a directory of their own.
 */
public record TlsFiles(Path dir, Path ca, Path serverCert, Path serverKey, Path cliCert, Path cliKey) {

  /** Makes the files in {@code dir}, emptied first. */
  public static TlsFiles create(Path dir) {
    try {
      if (Files.exists(dir)) {
        try (var paths = Files.walk(dir)) {
          for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
            Files.delete(p);
          }
        }
      }
      Files.createDirectories(dir);
      nomad(dir, "tls", "ca", "create");
      nomad(dir, "tls", "cert", "create", "-server", "-region", "global");
      nomad(dir, "tls", "cert", "create", "-cli");
    } catch (IOException e) {
      throw new java.io.UncheckedIOException("cannot make TLS files in " + dir, e);
    }
    return new TlsFiles(dir.toAbsolutePath(), dir.resolve("nomad-agent-ca.pem").toAbsolutePath(),
        dir.resolve("global-server-nomad.pem").toAbsolutePath(),
        dir.resolve("global-server-nomad-key.pem").toAbsolutePath(),
        dir.resolve("global-cli-nomad.pem").toAbsolutePath(),
        dir.resolve("global-cli-nomad-key.pem").toAbsolutePath());
  }

  /** The agent's {@code tls} block: HTTP and RPC over TLS, client certificates required. */
  public String agentConfig() {
    return """
        tls {
          http                = true
          rpc                 = true
          ca_file             = "%s"
          cert_file           = "%s"
          key_file            = "%s"
          verify_https_client = true
        }
        """.formatted(ca, serverCert, serverKey);
  }

  /** What the test side talks to the agent with: trusts the CA, presents the CLI certificate. */
  public SSLContext clientContext() {
    try {
      KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
      trust.load(null, null);
      trust.setCertificateEntry("ca", certificates(ca).get(0));
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(trust);
      KeyStore keys = KeyStore.getInstance(KeyStore.getDefaultType());
      keys.load(null, null);
      keys.setKeyEntry("cli", key(cliKey), new char[0], certificates(cliCert).toArray(Certificate[]::new));
      KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(keys, new char[0]);
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
      return context;
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalStateException("cannot read the TLS files in " + dir, e);
    }
  }

  private static List<? extends Certificate> certificates(Path pem) throws IOException, GeneralSecurityException {
    try (InputStream in = Files.newInputStream(pem)) {
      return List.copyOf(CertificateFactory.getInstance("X.509").generateCertificates(in));
    }
  }

  private static PrivateKey key(Path pem) throws IOException {
    try (Reader reader = Files.newBufferedReader(pem); PEMParser parser = new PEMParser(reader)) {
      Object o = parser.readObject();
      JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
      if (o instanceof PEMKeyPair pair) {
        return converter.getPrivateKey(pair.getPrivateKeyInfo());
      }
      return converter.getPrivateKey((org.bouncycastle.asn1.pkcs.PrivateKeyInfo) o);
    }
  }

  private static void nomad(Path dir, String... args) throws IOException {
    List<String> command = new java.util.ArrayList<>();
    command.add(NomadAgentExtension.NomadBinary.locate().toString());
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    try {
      if (p.waitFor() != 0) {
        throw new IOException(String.join(" ", args) + " failed: " + out);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }
}

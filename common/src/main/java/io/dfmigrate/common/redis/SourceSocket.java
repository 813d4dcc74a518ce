package io.dfmigrate.common.redis;

import io.dfmigrate.common.endpoint.RedisEndpoint;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/**
 * A plain RESP socket to a source, for what the Redis client does not do (the replica link of the snapshot copy): to the
 * address that was checked, with the endpoint's TLS, SNI, CA and {@code verify}, and one-line commands and replies.
 */
final class SourceSocket {
    private SourceSocket() {
    }

    static Socket connect(RedisEndpoint source, java.net.InetAddress address, Duration timeout) throws IOException {
        int millis = (int) Math.min(Integer.MAX_VALUE, timeout.toMillis());
        Socket plain = new Socket();
        try {
            plain.connect(new InetSocketAddress(address, source.port()), millis);
            plain.setSoTimeout(millis);
            plain.setTcpNoDelay(true);
            plain.setKeepAlive(true);
            if (!source.tls()) {
                return plain;
            }
            // the name presented (SNI) and checked in the certificate: ?sni= when given, else the URI's host
            String name = source.sni() != null ? source.sni() : source.host();
            SSLSocket tls = (SSLSocket) tlsContext(source).getSocketFactory().createSocket(plain, name, source.port(), true);
            SSLParameters params = tls.getSSLParameters();
            if (source.verifyPeer()) {
                params.setEndpointIdentificationAlgorithm("HTTPS");
            }
            if (source.sni() != null) {
                params.setServerNames(List.of(new SNIHostName(source.sni())));
            }
            tls.setSSLParameters(params);
            tls.startHandshake();
            return tls;
        } catch (IOException | RuntimeException e) {
            plain.close();
            throw e;
        }
    }

    private static SSLContext tlsContext(RedisEndpoint source) throws IOException {
        try {
            TrustManager[] trust;
            if (!source.verifyPeer()) {
                trust = new TrustManager[] {new TrustAll()};
            } else if (source.caPem() != null || source.caFile() != null) {
                KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
                store.load(null, null);
                String caPem = source.caPem() != null ? source.caPem() : BlockingRedis.caFile(source);
                try (InputStream pem = new ByteArrayInputStream(caPem.getBytes(StandardCharsets.US_ASCII))) {
                    int i = 0;
                    for (Certificate cert : CertificateFactory.getInstance("X.509").generateCertificates(pem)) {
                        store.setCertificateEntry("ca" + i++, cert);
                    }
                }
                TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                tmf.init(store);
                trust = tmf.getTrustManagers();
            } else {
                trust = null; // the JVM's trust store
            }
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, trust, new SecureRandom());
            return context;
        } catch (GeneralSecurityException e) {
            throw new IOException("TLS set-up failed: " + e.getMessage(), e);
        }
    }

    /** {@code verify=none}: the operator chose not to check the certificate. */
    private static final class TrustAll implements X509TrustManager {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) {
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }

    /** Sends one command and returns its reply line (a status or an error; these commands answer with nothing else). */
    static String command(OutputStream out, InputStream in, String... args) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.write(("*" + args.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
        for (String a : args) {
            byte[] bytes = a.getBytes(StandardCharsets.UTF_8);
            b.write(("$" + bytes.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
            b.write(bytes);
            b.write("\r\n".getBytes(StandardCharsets.US_ASCII));
        }
        out.write(b.toByteArray());
        out.flush();
        return line(in);
    }

    static String line(InputStream in) throws IOException {
        StringBuilder s = new StringBuilder();
        for (int c = in.read(); c != '\n'; c = in.read()) {
            if (c < 0) {
                throw new EOFException("the source closed the connection");
            }
            if (c != '\r') {
                s.append((char) c);
            }
            if (s.length() > 4096) {
                throw new IOException("reply line too long");
            }
        }
        return s.toString();
    }
}

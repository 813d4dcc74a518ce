package io.dfmigrate.localstack;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A throw-away CA and a server certificate signed by it, made with {@code openssl} in a temporary directory, for a
 * redis-server's TLS port in tests: {@code ca.crt}, {@code server.crt} (naming {@code subjectAltName}, e.g.
 * {@code DNS:localhost,IP:127.0.0.1}) and {@code server.key}.
 */
public record TlsFiles(Path dir) {
    public static TlsFiles create(String commonName, String subjectAltName) {
        try {
            Path dir = Files.createTempDirectory("dfm-tls-");
            openssl(dir, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=dfm-test-ca", "-keyout", "ca.key", "-out", "ca.crt");
            openssl(dir, "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=" + commonName, "-keyout", "server.key", "-out", "server.csr");
            Files.writeString(dir.resolve("ext.cnf"), "subjectAltName=" + subjectAltName + "\n");
            openssl(dir, "x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2",
                    "-extfile", "ext.cnf", "-out", "server.crt");
            return new TlsFiles(dir);
        } catch (IOException e) {
            throw new StackException("could not make test certificates: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StackException("interrupted while making test certificates");
        }
    }

    public Path ca() {
        return dir.resolve("ca.crt");
    }

    /** The CA certificate as PEM text. */
    public String caPem() {
        try {
            return Files.readString(ca());
        } catch (IOException e) {
            throw new StackException("could not read " + ca() + ": " + e.getMessage(), e);
        }
    }

    /** redis-server arguments for a TLS port with this certificate (clients are not asked for certificates). */
    public String[] redisArgs(int tlsPort) {
        return new String[] {"--tls-port", Integer.toString(tlsPort), "--tls-cert-file", dir.resolve("server.crt").toString(),
                "--tls-key-file", dir.resolve("server.key").toString(), "--tls-ca-cert-file", ca().toString(), "--tls-auth-clients", "no"};
    }

    private static void openssl(Path dir, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("openssl"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) {
            throw new StackException("openssl " + args[0] + " failed: " + out);
        }
    }
}

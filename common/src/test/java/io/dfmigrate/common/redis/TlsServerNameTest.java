package io.dfmigrate.common.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dfmigrate.common.endpoint.RedisEndpoint;
import io.dfmigrate.localstack.Ports;
import io.dfmigrate.localstack.RedisServer;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code sni=}: a redis-server over TLS whose certificate names only {@code redis.internal}, reached by its IP address.
 * With {@code sni=redis.internal} the connection presents that name and the certificate is checked against it; without
 * it (or with another name) the certificate does not match and the connection is refused.
 */
class TlsServerNameTest {
    @Test
    void theServerNameIsPresentedAndTheCertificateCheckedAgainstIt() throws Exception {
        Path certs = Files.createTempDirectory("dfm-sni");
        openssl(certs, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=dfm-sni-ca", "-keyout", "ca.key", "-out", "ca.crt");
        openssl(certs, "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=redis.internal", "-keyout", "server.key", "-out", "server.csr");
        Files.writeString(certs.resolve("ext.cnf"), "subjectAltName=DNS:redis.internal\n");
        openssl(certs, "x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2",
                "-extfile", "ext.cnf", "-out", "server.crt");
        String ca = Files.readString(certs.resolve("ca.crt"));
        int tlsPort = Ports.free();
        Vertx vertx = Vertx.vertx();
        try (RedisServer server = RedisServer.start("--tls-port", Integer.toString(tlsPort), "--tls-cert-file",
                certs.resolve("server.crt").toString(), "--tls-key-file", certs.resolve("server.key").toString(),
                "--tls-ca-cert-file", certs.resolve("ca.crt").toString(), "--tls-auth-clients", "no")) {
            server.cli("SET", "k", "over TLS");
            RedisEndpoint named = RedisEndpoint.parse("rediss://127.0.0.1:" + tlsPort + "?sni=redis.internal").withCaPem(ca);
            try (BlockingRedis r = BlockingRedis.connect(vertx, named, 0, Duration.ofSeconds(10))) {
                assertEquals("over TLS", r.send(Request.cmd(Command.GET).arg("k")).toString());
            }
            assertTrue(named.masked().contains("sni=redis.internal"), named.masked());
            for (String uri : List.of("rediss://127.0.0.1:" + tlsPort, "rediss://127.0.0.1:" + tlsPort + "?sni=other.internal")) {
                RedisEndpoint e = RedisEndpoint.parse(uri).withCaPem(ca);
                RedisCommandException refused = assertThrows(RedisCommandException.class,
                        () -> BlockingRedis.connect(vertx, e, 0, Duration.ofSeconds(10)).close(), uri);
                assertTrue(refused.getMessage().contains("127.0.0.1:" + tlsPort), refused.getMessage());
            }
        } finally {
            vertx.close();
        }
    }

    static void openssl(Path dir, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("openssl"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), out);
    }
}

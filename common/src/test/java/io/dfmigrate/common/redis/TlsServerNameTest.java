package io.dfmigrate.common.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dfmigrate.common.endpoint.RedisEndpoint;
import io.dfmigrate.localstack.Ports;
import io.dfmigrate.localstack.RedisServer;
import io.dfmigrate.localstack.TlsFiles;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import java.time.Duration;
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
        TlsFiles tls = TlsFiles.create("redis.internal", "DNS:redis.internal");
        String ca = tls.caPem();
        int tlsPort = Ports.free();
        Vertx vertx = Vertx.vertx();
        try (RedisServer server = RedisServer.start(tls.redisArgs(tlsPort))) {
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

    /**
     * A host name is resolved once, by the endpoint policy, and the connection goes to that address: the client is never
     * left to resolve it again (DNS rebinding). The name still is what TLS presents and checks: a certificate that names
     * only {@code localhost} (no IP address) is accepted for {@code rediss://localhost}, over the write pipeline too.
     */
    @Test
    void aNameIsResolvedOnceAndStillPresentedAndCheckedForTls() throws Exception {
        RedisEndpoint plain = RedisEndpoint.parse("redis://localhost:6390/0");
        String conn = BlockingRedis.options(plain, 0, Duration.ofSeconds(5)).getEndpoint();
        assertTrue(conn.contains("@127.0.0.1:6390/") || conn.contains("//127.0.0.1:6390/") || conn.contains("[::1]:6390"), conn);
        TlsFiles tls = TlsFiles.create("localhost", "DNS:localhost");
        int tlsPort = Ports.free();
        Vertx vertx = Vertx.vertx();
        try (RedisServer server = RedisServer.start(tls.redisArgs(tlsPort))) {
            server.cli("SET", "k", "by name");
            RedisEndpoint named = RedisEndpoint.parse("rediss://localhost:" + tlsPort).withCaPem(tls.caPem());
            try (BlockingRedis r = BlockingRedis.connect(vertx, named, 0, Duration.ofSeconds(10))) {
                assertEquals("by name", r.send(Request.cmd(Command.GET).arg("k")).toString());
                List<BlockingRedis.Result> written = r.write(List.<byte[][]>of(new byte[][] {"SET".getBytes(), "w".getBytes(), "piped".getBytes()}));
                assertTrue(written.get(0).ok(), written.toString());
            }
            assertEquals("piped", server.cli("GET", "w"));
        } finally {
            vertx.close();
        }
    }
}

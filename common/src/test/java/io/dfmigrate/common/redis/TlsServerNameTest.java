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
}

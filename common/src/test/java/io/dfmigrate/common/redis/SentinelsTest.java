package io.dfmigrate.common.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dfmigrate.common.endpoint.InvalidEndpointException;
import io.dfmigrate.common.endpoint.RedisEndpoint;
import io.dfmigrate.localstack.RedisServer;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * A Sentinel-managed source: a master with a replica, watched by a real Sentinel ({@code redis-server --sentinel}).
 * Connections go to the master the Sentinel names; after the master is killed and the Sentinel promoted the replica,
 * new connections go there.
 */
class SentinelsTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final Vertx VERTX = Vertx.vertx();

    @AfterAll
    static void close() {
        VERTX.close();
    }

    @Test
    void theSentinelsCredentialsAndMasterTravelInTheUriAndOnlyTheMaskedFormIsShown() {
        RedisEndpoint e = RedisEndpoint.parse("redis://app:s3cret@10.0.0.9:26379/0").viaSentinel("orders", "watcher", "sentinel-secret");
        assertEquals("orders", e.sentinelMaster());
        assertEquals(e, RedisEndpoint.parse(e.toUri()), "the sealed form parses back to the same endpoint");
        assertFalse(e.masked().contains("sentinel-secret"), e.masked());
        assertFalse(e.masked().contains("s3cret"), e.masked());
        assertTrue(e.masked().contains("sentinel-master=orders"), e.masked());

        RedisEndpoint sentinel = e.sentinel();
        assertEquals("watcher", sentinel.user());
        assertEquals("sentinel-secret", sentinel.password());
        assertNull(sentinel.sentinelMaster());
        RedisEndpoint master = e.atMaster("10.0.0.5", 6380);
        assertEquals("app", master.user());
        assertEquals("s3cret", master.password());
        assertEquals("10.0.0.5:6380", master.address());
        assertEquals(0, master.db());
        assertNull(master.sentinelMaster());
        assertFalse(master.toUri().contains("sentinel"), "the master's endpoint carries no Sentinel credentials");

        assertThrows(InvalidEndpointException.class, () -> RedisEndpoint.parse("redis://h:26379?sentinel-password=x"),
                "Sentinel credentials without a master");
        assertThrows(InvalidEndpointException.class, () -> e.viaSentinel("bad name", null, null));
        assertThrows(InvalidEndpointException.class, () -> RedisEndpoint.parse("redis://h:26379?sentinel-master="));
    }

    @Test
    void connectionsGoToTheMasterTheSentinelNamesAlsoAfterAFailover() {
        try (RedisServer master = RedisServer.start();
             RedisServer replica = RedisServer.start("--replicaof", "127.0.0.1", Integer.toString(master.port()));
             RedisServer sentinel = RedisServer.startSentinel("orders", master, 1)) {
            master.cli("SET", "k", "before the failover");
            RedisEndpoint given = RedisEndpoint.parse(sentinel.uri()).viaSentinel("orders", null, null);
            assertEquals(master.port(), Sentinels.current(given, TIMEOUT).port());
            try (BlockingRedis r = BlockingRedis.connect(VERTX, given, 0, TIMEOUT)) {
                assertEquals(master.port(), r.endpoint().port());
                assertEquals("before the failover", r.send(Request.cmd(Command.GET).arg("k")).toString());
            }
            await(() -> replica.cli("INFO", "replication").contains("master_link_status:up")
                    && sentinel.cli("SENTINEL", "replicas", "orders").contains(Integer.toString(replica.port())), "the Sentinel knows the replica");
            await(() -> "1".equals(replica.cli("EXISTS", "k")), "the replica has the key");

            master.kill();
            await(() -> {
                try {
                    return Sentinels.current(given, TIMEOUT).port() == replica.port();
                } catch (RedisCommandException e) {
                    return false;
                }
            }, "the Sentinel names the promoted replica");
            await(() -> replica.cli("ROLE").startsWith("master"), "the replica is promoted");
            try (BlockingRedis r = BlockingRedis.connect(VERTX, given, 0, TIMEOUT)) {
                assertEquals(replica.port(), r.endpoint().port());
                r.send(Request.cmd(Command.SET).arg("k").arg("after the failover"));
            }
            assertEquals("after the failover", replica.cli("GET", "k"));

            RedisEndpoint unknown = RedisEndpoint.parse(sentinel.uri()).viaSentinel("payments", null, null);
            RedisCommandException e = assertThrows(RedisCommandException.class, () -> BlockingRedis.connect(VERTX, unknown, 0, TIMEOUT));
            assertTrue(e.getMessage().contains("monitors no master named 'payments'"), e.getMessage());
            RedisEndpoint notASentinel = RedisEndpoint.parse(replica.uri()).viaSentinel("orders", null, null);
            e = assertThrows(RedisCommandException.class, () -> BlockingRedis.connect(VERTX, notASentinel, 0, TIMEOUT));
            assertTrue(e.getMessage().contains("a Sentinel"), e.getMessage());
        }
    }

    private static void await(java.util.function.BooleanSupplier condition, String what) {
        io.dfmigrate.common.testing.Waits.await(condition, Duration.ofSeconds(90), what);
    }
}

package io.dfmigrate.common.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dfmigrate.common.endpoint.RedisEndpoint;
import io.dfmigrate.localstack.RedisServer;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Exact apply of the replication stream: what a real source's link delivers, applied to a real target in batches,
 * applied again from the start as a redelivery after a crash would, and with the applier's connection killed in the
 * middle of its transactions: the target ends byte-equal to the source ({@code DEBUG DIGEST}, TTLs included) and every
 * {@code INCR}/{@code LPUSH} counts once. A command the target lacks is reported and the rest applied.
 */
class StreamApplierTest {
    static final Duration TIMEOUT = Duration.ofSeconds(30);
    static final List<Integer> DBS = IntStream.range(0, 16).boxed().toList();
    static Vertx vertx;

    @BeforeAll
    static void setUp() {
        vertx = Vertx.vertx();
    }

    @AfterAll
    static void tearDown() {
        vertx.close();
    }

    static BlockingRedis connect(RedisServer s) {
        return BlockingRedis.connect(vertx, RedisEndpoint.parse(s.uri()), 0, TIMEOUT);
    }

    /** The link's units until it reaches the source's offset now. */
    static List<ReplicationLink.Entry> entries(ReplicationLink link, RedisServer s) throws Exception {
        return ReplicationLinkTest.readToSourceOffset(link, s);
    }

    /** Counters, lists, hashes, TTLs (relative and absolute), a script's effects, renames and deletes, in two databases. */
    static void writes(RedisServer s, int round) {
        s.cli("EVAL", """
                for i = 1, 200 do
                  redis.call('INCR', 'counter:' .. (i % 7))
                  redis.call('LPUSH', 'list:' .. (i % 3), i)
                  redis.call('HINCRBY', 'hash', 'f' .. (i % 5), i)
                end
                return 1
                """, "0");
        for (int i = 0; i < 30; i++) {
            s.cli("INCR", "plain:" + (i % 4));
        }
        s.cli("SET", "ttl:" + round, "v", "PX", "3600000");
        s.cli("-n", "2", "RPUSH", "q", "a", "b", "c");
        s.cli("-n", "2", "INCRBY", "n", "5");
        s.cli("SET", "gone", "1");
        s.cli("RENAME", "gone", "renamed:" + round);
        s.cli("EXPIRE", "renamed:" + round, "1000");
        s.cli("DEL", "plain:0");
    }

    @Test
    void batchesARedeliveryAndAKilledApplierEndByteEqualWithEveryIncrCountedOnce() throws Exception {
        try (RedisServer source = RedisServer.start(); RedisServer target = RedisServer.start()) {
            try (ReplicationLink link = ReplicationLink.open(RedisEndpoint.parse(source.uri()), null, 0, TIMEOUT)) {
                link.snapshot().readAllBytes(); // the source is empty: the stream is everything
                String replid = link.start().replid();
                List<ReplicationLink.Entry> all = new ArrayList<>();
                for (int round = 0; round < 3; round++) {
                    writes(source, round);
                    all.addAll(entries(link, source));
                }
                assertTrue(all.size() > 100, "units: " + all.size());

                // a first applier takes the stream in batches of 5 units, then "crashes" after the first half
                int half = all.size() / 2;
                try (BlockingRedis t = connect(target)) {
                    StreamApplier a = new StreamApplier(t, "m1");
                    assertNull(a.checkpoint(DBS), "nothing applied yet");
                    for (int i = 0; i < half; i += 5) {
                        StreamApplier.Applied r = a.apply(replid, all.subList(i, Math.min(half, i + 5)));
                        assertTrue(r.failures().isEmpty(), r.failures().toString());
                    }
                }
                int killed = 0;
                // the applier's connection cut in the middle of what it sends (a crash mid-batch: the target gets MULTI and
                // part of a transaction, never its EXEC), at three points; each new applier starts from the target's checkpoint
                for (int cutAt : List.of(3_000, 20_000, 60_000)) {
                    try (CuttingProxy proxy = new CuttingProxy(target.port(), cutAt);
                         BlockingRedis t = BlockingRedis.connect(vertx, RedisEndpoint.parse("redis://127.0.0.1:" + proxy.port()), 0, TIMEOUT)) {
                        StreamApplier b = new StreamApplier(t, "m1");
                        b.checkpoint(DBS);
                        try {
                            b.apply(replid, all);
                        } catch (RedisCommandException expected) {
                            killed++;
                        }
                    }
                }
                assertTrue(killed >= 2, "the cuts landed inside the applies: " + killed);
                // the redelivery of everything from the start: what was applied is skipped, the rest applied once
                try (BlockingRedis t = connect(target)) {
                    StreamApplier c = new StreamApplier(t, "m1");
                    StreamApplier.Checkpoint at = c.checkpoint(DBS);
                    StreamApplier.Applied r = c.apply(replid, all);
                    assertTrue(r.failures().isEmpty(), r.failures().toString());
                    assertEquals(all.get(all.size() - 1).offset(), r.offset());
                    assertTrue(at == null || r.skipped() > 0, "units at or below the checkpoint are skipped");
                    c.clear(DBS);
                }
            }
            for (int db : List.of(0, 2)) {
                assertEquals(source.cli("-n", Integer.toString(db), "DEBUG", "DIGEST"), target.cli("-n", Integer.toString(db), "DEBUG", "DIGEST"), "db " + db);
            }
            assertEquals(source.cli("GET", "counter:3"), target.cli("GET", "counter:3"));
            assertEquals("198", target.cli("LLEN", "list:0"), "3 rounds × the 66 pushes of i % 3 == 0, each once");
        }
    }

    @Test
    void aCommandTheTargetLacksIsReportedAndTheRestApplied() throws Exception {
        // Redis 8.0's HSETEX / HGETDEL are unknown to Redis 7.0 (and to Dragonfly): EXECABORT, then unit by unit
        Supplier<RedisServer> redis8 = () -> RedisServer.startTrixie("redis-server");
        try (RedisServer source = redis8.get(); RedisServer target = RedisServer.start()) {
            try (ReplicationLink link = ReplicationLink.open(RedisEndpoint.parse(source.uri()), null, 0, TIMEOUT)) {
                link.snapshot().readAllBytes();
                source.cli("SET", "a", "1");
                source.cli("HSETEX", "h", "PX", "100000", "FIELDS", "1", "f", "v");
                source.cli("INCR", "a");
                List<ReplicationLink.Entry> all = entries(link, source);
                try (BlockingRedis t = connect(target)) {
                    StreamApplier applier = new StreamApplier(t, "m2");
                    StreamApplier.Applied r = applier.apply(link.start().replid(), all);
                    assertEquals(1, r.failures().size(), r.failures().toString());
                    assertTrue(r.failures().get(0).contains("db0 HSETEX h") && r.failures().get(0).contains("refused by the target"),
                            r.failures().toString());
                    assertEquals(link.position().offset(), r.offset(), "the checkpoint moved past the refused unit");
                    assertEquals(2, r.commands());
                    applier.clear(DBS);
                }
                assertEquals("2", target.cli("GET", "a"));
                assertEquals("0", target.cli("EXISTS", "h"));
            }
        }
    }

    /**
     * A TCP proxy to the target for one connection that forwards the client's first {@code cutAt} bytes and then closes
     * both sides, as a crash of the applier in the middle of a write would.
     */
    static final class CuttingProxy implements AutoCloseable {
        private final java.net.ServerSocket server;

        CuttingProxy(int targetPort, long cutAt) throws java.io.IOException {
            server = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress());
            Thread.ofVirtual().start(() -> {
                try (java.net.Socket client = server.accept(); java.net.Socket up = new java.net.Socket("127.0.0.1", targetPort)) {
                    Thread down = Thread.ofVirtual().start(() -> {
                        try {
                            up.getInputStream().transferTo(client.getOutputStream());
                        } catch (java.io.IOException closed) {
                            // cut
                        }
                    });
                    byte[] buf = new byte[8192];
                    long sent = 0;
                    java.io.InputStream in = client.getInputStream();
                    for (int n = in.read(buf); n > 0; n = in.read(buf)) {
                        int pass = (int) Math.min(n, cutAt - sent);
                        up.getOutputStream().write(buf, 0, pass);
                        sent += pass;
                        if (sent >= cutAt) {
                            break;
                        }
                    }
                    up.getOutputStream().flush();
                    client.close();
                    up.close();
                    down.join();
                } catch (java.io.IOException | InterruptedException ignored) {
                    // closed
                }
            });
        }

        int port() {
            return server.getLocalPort();
        }

        @Override
        public void close() throws java.io.IOException {
            server.close();
        }
    }
}

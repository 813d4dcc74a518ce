package io.dfmigrate.common.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dfmigrate.common.endpoint.RedisEndpoint;
import io.dfmigrate.localstack.RedisServer;
import io.vertx.core.Vertx;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Streams keep their consumer groups across versions, whatever path the engine takes: consumers, pending entries with
 * owner, delivery count and last delivery time, entries-read, the last generated id, entries-added and the largest
 * deleted id (where both servers know them). Redis 8.0 and Valkey 8.1 from Debian trixie (deploy/local/servers.sh),
 * 7.0 from Debian, 6.2 from the embedded-redis jar.
 */
class StreamGroupsTest {
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
        return BlockingRedis.connect(vertx, RedisEndpoint.parse(s.uri()), 0, Duration.ofSeconds(10));
    }

    static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** Streams with groups, several consumers, pending entries delivered more than once, deleted entries; one empty. */
    static List<byte[]> load(RedisServer s) {
        s.cli("EVAL", """
                for n = 1, 3 do
                  local k = 'orders:' .. n
                  for i = 1, 40 do redis.call('XADD', k, i .. '-' .. n, 'item', 'i' .. i, 'qty', i) end
                  redis.call('XGROUP', 'CREATE', k, 'billing', '0')
                  redis.call('XGROUP', 'CREATE', k, 'shipping', '5-' .. n)
                  redis.call('XREADGROUP', 'GROUP', 'billing', 'alice', 'COUNT', 3, 'STREAMS', k, '>')
                  redis.call('XREADGROUP', 'GROUP', 'billing', 'bob', 'COUNT', 2, 'STREAMS', k, '>')
                  redis.call('XREADGROUP', 'GROUP', 'shipping', 'carol', 'COUNT', 4, 'STREAMS', k, '>')
                  redis.call('XCLAIM', k, 'billing', 'bob', 0, '1-' .. n)
                  redis.call('XACK', k, 'billing', '2-' .. n)
                  redis.call('XGROUP', 'CREATECONSUMER', k, 'billing', 'idle-dave')
                  redis.call('XDEL', k, '40-' .. n, '20-' .. n)
                end
                redis.call('XGROUP', 'CREATE', 'empty', 'g', '$', 'MKSTREAM')
                redis.call('XADD', 'trimmed', '9-1', 'f', 'v')
                redis.call('XGROUP', 'CREATE', 'trimmed', 'g', '0')
                redis.call('XREADGROUP', 'GROUP', 'g', 'eve', 'STREAMS', 'trimmed', '>')
                redis.call('XADD', 'trimmed', '10-1', 'f', 'w')
                redis.call('XDEL', 'trimmed', '10-1')
                return 1
                """, "0");
        List<byte[]> keys = new ArrayList<>(List.of(b("orders:1"), b("orders:2"), b("orders:3"), b("empty"), b("trimmed")));
        return keys;
    }

    /** Source and target state equal in every field both servers keep. */
    static void assertSameGroups(BlockingRedis src, BlockingRedis tgt, byte[] key, String path) {
        StreamGroups.State a = StreamGroups.read(src, key);
        StreamGroups.State t = StreamGroups.read(tgt, key);
        String what = path + " " + new String(key, StandardCharsets.UTF_8);
        assertNotNull(t, what + " missing on the target");
        assertTrue(a.hasGroups(), what);
        assertEquals(a.lastGeneratedId(), t.lastGeneratedId(), what + " last-generated-id");
        if (a.entriesAdded() != null && t.entriesAdded() != null) {
            assertEquals(a.entriesAdded(), t.entriesAdded(), what + " entries-added");
            assertEquals(a.maxDeletedId(), t.maxDeletedId(), what + " max-deleted-entry-id");
        }
        assertEquals(a.groups().size(), t.groups().size(), what + " groups");
        for (int i = 0; i < a.groups().size(); i++) {
            StreamGroups.Group g = a.groups().get(i);
            StreamGroups.Group h = t.groups().stream().filter(x -> x.name().equals(g.name())).findFirst()
                    .orElseThrow(() -> new AssertionError(what + " group " + g.name() + " missing"));
            assertEquals(g.lastDeliveredId(), h.lastDeliveredId(), what + " " + g.name() + " last-delivered-id");
            if (g.entriesRead() != null && t.entriesAdded() != null) {
                assertEquals(g.entriesRead(), h.entriesRead(), what + " " + g.name() + " entries-read");
            }
            assertEquals(g.consumers().stream().sorted().toList(), h.consumers().stream().sorted().toList(), what + " " + g.name() + " consumers");
            assertEquals(g.pending(), h.pending(), what + " " + g.name() + " pending (id, owner, delivery time, deliveries)");
        }
        assertEquals(src.send(io.vertx.redis.client.Request.cmd(io.vertx.redis.client.Command.XRANGE).arg(io.vertx.core.buffer.Buffer.buffer(key))
                .arg("-").arg("+")).toString(), tgt.send(io.vertx.redis.client.Request.cmd(io.vertx.redis.client.Command.XRANGE)
                .arg(io.vertx.core.buffer.Buffer.buffer(key)).arg("-").arg("+")).toString(), what + " entries");
    }

    void copy(Supplier<RedisServer> sourceServer, Supplier<RedisServer> targetServer, String path) {
        for (KeySync.Limits limits : List.of(KeySync.Limits.DEFAULT, new KeySync.Limits(1, 7))) {
            try (RedisServer source = sourceServer.get(); RedisServer target = targetServer.get();
                 BlockingRedis s = connect(source); BlockingRedis t = connect(target)) {
                List<byte[]> keys = load(source);
                String how = path + (limits == KeySync.Limits.DEFAULT ? "" : " (by type in chunks)");
                KeySync.Result r = new KeySync(s, t, limits).sync(keys);
                assertEquals(0, r.failed(), how + ": " + r.failures());
                for (byte[] k : keys) {
                    assertSameGroups(s, t, k, how);
                }
                // what the verification compares (with the counters where both servers keep them) is equal too
                boolean counters = StreamGroups.counters(s) && StreamGroups.counters(t);
                for (byte[] k : keys) {
                    assertEquals(new String(StreamGroups.canonical(StreamGroups.read(s, k), counters), StandardCharsets.UTF_8),
                            new String(StreamGroups.canonical(StreamGroups.read(t, k), counters), StandardCharsets.UTF_8),
                            how + ": the verification's form of " + new String(k, StandardCharsets.UTF_8));
                }
            }
        }
    }

    @Test
    void redis80ToRedis70() {
        copy(() -> RedisServer.startTrixie("redis-server"), RedisServer::start, "8.0 -> 7.0");
    }

    @Test
    void valkey81ToRedis70() {
        copy(() -> RedisServer.startTrixie("valkey-server"), RedisServer::start, "Valkey 8.1 -> 7.0");
    }

    @Test
    void redis70ToRedis62() {
        copy(RedisServer::start, () -> RedisServer.startBinary(RedisServer.redis62Binary(), false), "7.0 -> 6.2");
    }

    @Test
    void redis70ToRedis70() {
        copy(RedisServer::start, RedisServer::start, "7.0 -> 7.0");
    }

    @Test
    void redis80ToRedis80() {
        copy(() -> RedisServer.startTrixie("redis-server"), () -> RedisServer.startTrixie("redis-server"), "8.0 -> 8.0");
    }
}

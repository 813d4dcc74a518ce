package io.dfmigrate.common.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dfmigrate.common.endpoint.RedisEndpoint;
import io.dfmigrate.localstack.RedisServer;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The replica link of sync mode against real servers (Redis 7.0 from Debian, Redis 8.0 and Valkey 8.1 from Debian
 * trixie): a full sync's snapshot (diskless and on disk), then the stream as commands with their databases, MULTI/EXEC
 * blocks whole, offsets that end exactly at the source's {@code master_repl_offset}; a link closed mid-stream resumed by
 * partial resync ({@code sync_partial_ok} grows, {@code sync_full} does not) with no command lost or repeated; an offset
 * the backlog no longer holds answered with a full sync.
 */
class ReplicationLinkTest {
    static final Duration TIMEOUT = Duration.ofSeconds(30);
    static Vertx vertx;

    @BeforeAll
    static void setUp() {
        vertx = Vertx.vertx();
    }

    @AfterAll
    static void tearDown() {
        vertx.close();
    }

    static List<Supplier<RedisServer>> servers(String... args) {
        return List.of(() -> RedisServer.start(args), () -> RedisServer.startTrixie("redis-server", args),
                () -> RedisServer.startTrixie("valkey-server", args));
    }

    static RedisEndpoint endpoint(RedisServer s) {
        return RedisEndpoint.parse(s.uri());
    }

    static long info(RedisServer s, String field) {
        return s.cli("INFO").lines().filter(l -> l.startsWith(field + ":")).map(l -> Long.parseLong(l.substring(field.length() + 1).strip()))
                .findFirst().orElseThrow(() -> new AssertionError(field + " not in INFO"));
    }

    /** Units until the link's position reaches the source's offset now (every write before this call included). */
    static List<ReplicationLink.Entry> readToSourceOffset(ReplicationLink link, RedisServer s) throws IOException {
        long target = info(s, "master_repl_offset");
        List<ReplicationLink.Entry> out = new ArrayList<>();
        while (link.position().offset() < target) {
            out.add(link.next());
        }
        assertEquals(target, link.position().offset(), "the stream's offset counts every byte as the source does");
        return out;
    }

    static String describe(List<ReplicationLink.Entry> entries) {
        return entries.stream().filter(e -> !e.ops().isEmpty())
                .map(e -> (e.transaction() ? "[" : "") + e.ops().stream().map(o -> "db" + o.db() + " " + o.name()).collect(Collectors.joining(", "))
                        + (e.transaction() ? "]" : ""))
                .collect(Collectors.joining("; "));
    }

    @Test
    void aFullSyncThenTheSourcesCommandsWithTheirDatabasesAndOffsets() throws Exception {
        for (Supplier<RedisServer> server : servers()) {
            stream(server, "diskless");
        }
        stream(() -> RedisServer.start("--repl-diskless-sync", "no"), "snapshot on disk");
    }

    private void stream(Supplier<RedisServer> server, String how) throws Exception {
        try (RedisServer s = server.get()) {
            s.cli("SET", "before", "1");
            s.cli("-n", "2", "HSET", "h", "f", "v");
            try (ReplicationLink link = ReplicationLink.open(endpoint(s), null, 0, TIMEOUT)) {
                assertTrue(link.fullSync(), how);
                byte[] rdb = link.snapshot().readAllBytes();
                assertEquals("REDIS", new String(rdb, 0, 5, StandardCharsets.US_ASCII), how);
                assertEquals(0xFF, rdb[rdb.length - 9] & 0xFF, how + ": the snapshot ends with its EOF opcode and checksum, no more");

                s.cli("SET", "a", "1");
                s.cli("-n", "3", "LPUSH", "l", "x", "y");
                s.cli("SET", "t", "v", "PX", "100000");
                s.cli("EVAL", "redis.call('INCR','c') redis.call('INCR','c') return 1", "0");
                s.cli("RENAME", "a", "b");
                List<ReplicationLink.Entry> entries = readToSourceOffset(link, s);
                String got = describe(entries);
                assertEquals("db0 SET; db3 LPUSH; db0 SET; [db0 INCR, db0 INCR]; db0 RENAME", got, how + " " + s.cli("INFO", "server").lines()
                        .filter(l -> l.contains("_version:")).findFirst().orElse(""));
                ReplicationLink.Op set = entries.stream().filter(e -> !e.ops().isEmpty()).toList().get(2).ops().get(0);
                List<String> args = java.util.Arrays.stream(set.args()).map(a -> new String(a, StandardCharsets.UTF_8)).toList();
                assertTrue(args.contains("PXAT"), "a relative TTL arrives as its absolute time: " + args);
                assertEquals(0, link.db(), "the database the stream is in now");

                // REPLCONF ACK: the source sees the offset the link says it has taken
                link.ack(link.position().offset());
                long acked = link.position().offset();
                io.dfmigrate.common.testing.Waits.await(() -> s.cli("INFO", "replication").contains("offset=" + acked + ","), TIMEOUT, "the source shows the acked offset");
            }
        }
    }

    @Test
    void aLinkClosedMidStreamResumesByPartialResyncWithNoCommandLostOrRepeated() throws Exception {
        for (Supplier<RedisServer> server : servers()) {
            try (RedisServer s = server.get(); BlockingRedis w = BlockingRedis.connect(vertx, endpoint(s), 5, TIMEOUT)) {
                ReplicationLink.Position at;
                int db;
                try (ReplicationLink link = ReplicationLink.open(endpoint(s), null, 0, TIMEOUT)) {
                    link.snapshot().readAllBytes();
                    write(w, 0, 300);
                    List<ReplicationLink.Entry> seen = new ArrayList<>();
                    while (seen.size() < 120) {
                        ReplicationLink.Entry e = link.next();
                        if (!e.ops().isEmpty()) {
                            seen.add(e);
                        }
                    }
                    assertEquals(List.of(0, 119), List.of(seq(seen.get(0)), seq(seen.get(119))));
                    at = new ReplicationLink.Position(link.start().replid(), seen.get(119).offset());
                    db = link.db();
                    assertEquals(5, db);
                }
                write(w, 300, 500);
                long partial = info(s, "sync_partial_ok");
                long full = info(s, "sync_full");
                try (ReplicationLink link = ReplicationLink.open(endpoint(s), at, db, TIMEOUT)) {
                    assertFalse(link.fullSync(), "resumed inside the backlog: +CONTINUE");
                    List<Integer> after = readToSourceOffset(link, s).stream().filter(e -> !e.ops().isEmpty()).map(ReplicationLinkTest::seq).toList();
                    assertEquals(java.util.stream.IntStream.range(120, 500).boxed().toList(), after, "every command after the checkpoint, once");
                    assertTrue(readToSourceOffset(link, s).stream().allMatch(e -> e.ops().isEmpty()));
                }
                assertEquals(partial + 1, info(s, "sync_partial_ok"));
                assertEquals(full, info(s, "sync_full"), "no full sync for a resume");
            }
        }
    }

    @Test
    void anOffsetTheBacklogNoLongerHoldsIsAnsweredWithAFullSync() throws Exception {
        try (RedisServer s = RedisServer.start("--repl-backlog-size", "16384"); BlockingRedis w = BlockingRedis.connect(vertx, endpoint(s), 0, TIMEOUT)) {
            ReplicationLink.Position at;
            try (ReplicationLink link = ReplicationLink.open(endpoint(s), null, 0, TIMEOUT)) {
                link.snapshot().readAllBytes();
                write(w, 0, 10);
                readToSourceOffset(link, s);
                at = link.position();
            }
            List<Request> big = new ArrayList<>();
            java.util.Random random = new java.util.Random(7);
            for (int i = 0; i < 100; i++) {
                byte[] value = new byte[1024]; // random: the snapshot's compression cannot shrink it
                random.nextBytes(value);
                big.add(Request.cmd(Command.SET).arg("big:" + i).arg(io.vertx.core.buffer.Buffer.buffer(value)));
            }
            w.pipeline(big);
            long full = info(s, "sync_full");
            try (ReplicationLink link = ReplicationLink.open(endpoint(s), at, 0, TIMEOUT)) {
                assertTrue(link.fullSync(), "the backlog (16 KB) no longer holds the offset: a new epoch");
                assertTrue(link.start().offset() > at.offset());
                assertTrue(link.snapshot().readAllBytes().length > 100 * 1024, "the new snapshot holds what was written meanwhile");
                s.cli("SET", "after", "1");
                assertEquals("db0 SET", describe(readToSourceOffset(link, s)));
            }
            assertEquals(full + 1, info(s, "sync_full"));
        }
    }

    /** {@code SET seq:<i> <i>} for i in [from, to), pipelined on the writer's database. */
    static void write(BlockingRedis w, int from, int to) {
        List<Request> batch = new ArrayList<>();
        for (int i = from; i < to; i++) {
            batch.add(Request.cmd(Command.SET).arg("seq:" + i).arg(Integer.toString(i)));
        }
        w.pipeline(batch).forEach(r -> assertTrue(r.ok(), String.valueOf(r.error())));
    }

    static int seq(ReplicationLink.Entry e) {
        assertEquals(1, e.ops().size());
        return Integer.parseInt(new String(e.ops().get(0).args()[2], StandardCharsets.US_ASCII));
    }
}

package io.dfmigrate.common.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dfmigrate.common.endpoint.RedisEndpoint;
import io.dfmigrate.common.event.KeyDifference;
import io.dfmigrate.localstack.RedisServer;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The verification engine against two real redis-servers: every type, big keys in chunks, each reason, live writes. */
class KeyVerifierTest {
    static Vertx vertx;
    static final Duration TIMEOUT = Duration.ofSeconds(10);
    /** Small chunks, so the 500-element keys below take the big-key paths. */
    static final KeyVerifier.Settings SETTINGS = new KeyVerifier.Settings(1000, 50, List.of(Duration.ofMillis(100), Duration.ofMillis(300)),
            null);

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

    static List<byte[]> scanAll(BlockingRedis r) {
        List<byte[]> keys = new ArrayList<>();
        new KeyScanner(r, "*", 100).scan(1000, 1 << 20, keys::addAll);
        return keys;
    }

    static void load(BlockingRedis r) {
        r.send(Request.cmd(Command.SET).arg(Buffer.buffer(new byte[] {0, (byte) 0xff, 'k'})).arg(Buffer.buffer(new byte[] {(byte) 0xc3, 0})));
        r.send(Request.cmd(Command.SET).arg("str").arg("value"));
        r.send(Request.cmd(Command.SET).arg("ttl").arg("v").arg("PX").arg(600_000));
        r.send(Request.cmd(Command.SET).arg("big-string").arg(Buffer.buffer(new byte[3 * KeyVerifier.STRING_WINDOW + 7])));
        r.send(Request.cmd(Command.HSET).arg("h").arg("f1").arg("v1").arg("f2").arg("v2"));
        r.send(Request.cmd(Command.RPUSH).arg("l").arg("a").arg("b").arg("c"));
        r.send(Request.cmd(Command.SADD).arg("s").arg("x").arg("y"));
        r.send(Request.cmd(Command.ZADD).arg("z").arg(1).arg("one").arg(2.5).arg("two"));
        r.send(Request.cmd(Command.XADD).arg("st").arg("1-1").arg("f").arg("v"));
        r.send(Request.cmd(Command.XGROUP).arg("CREATE").arg("st").arg("g").arg("0"));
        Request bigHash = Request.cmd(Command.HSET).arg("big-hash");
        Request bigSet = Request.cmd(Command.SADD).arg("big-set");
        Request bigZset = Request.cmd(Command.ZADD).arg("big-zset");
        Request bigList = Request.cmd(Command.RPUSH).arg("big-list");
        for (int i = 0; i < 500; i++) {
            bigHash.arg("f" + i).arg("v" + i);
            bigSet.arg("m" + i);
            bigZset.arg(i).arg("m" + i);
            bigList.arg("e" + i);
        }
        r.send(bigHash);
        r.send(bigSet);
        r.send(bigZset);
        r.send(bigList);
        for (int i = 0; i < 500; i++) {
            r.send(Request.cmd(Command.XADD).arg("big-stream").arg((i + 1) + "-0").arg("n").arg(String.valueOf(i)));
        }
        r.send(Request.cmd(Command.XGROUP).arg("CREATE").arg("big-stream").arg("readers").arg("250-0"));
    }

    /** Source-side keys compared in full, target-side keys looked for on the source: what a full verification does. */
    static List<KeyDifference> verify(BlockingRedis s, BlockingRedis t, KeyVerifier.Settings settings) {
        KeyVerifier v = new KeyVerifier(s, t, settings);
        List<KeyDifference> out = new ArrayList<>(v.verify(scanAll(s), true).differences());
        out.addAll(v.verify(scanAll(t), false).differences());
        return out;
    }

    static Map<String, String> byKey(List<KeyDifference> diffs) {
        Map<String, String> out = new TreeMap<>();
        diffs.forEach(d -> out.put(new String(d.key(), StandardCharsets.UTF_8), d.reason()));
        return out;
    }

    @Test
    void equalDataHasNoDifferencesAndEachKindOfChangeIsReportedWithItsReason() {
        try (RedisServer source = RedisServer.start(); RedisServer target = RedisServer.start();
             BlockingRedis s = connect(source); BlockingRedis t = connect(target)) {
            load(s);
            load(t);
            t.send(Request.cmd(Command.PEXPIRE).arg("ttl").arg(Long.parseLong(source.cli("PTTL", "ttl"))));
            assertEquals(source.cli("DEBUG", "DIGEST"), target.cli("DEBUG", "DIGEST"));
            KeyVerifier.Result all = new KeyVerifier(s, t, SETTINGS).verify(scanAll(s), true);
            assertEquals(14, all.checked());
            assertEquals(List.of(), all.differences());

            target.cli("SET", "str", "other");                         // value
            target.cli("DEL", "h");                                     // missing
            target.cli("SET", "only-on-target", "x");                   // extra
            target.cli("PEXPIRE", "ttl", String.valueOf(Long.parseLong(source.cli("PTTL", "ttl")) + 10_000)); // TTL + 10 s
            target.cli("XADD", "st", "2-1", "f", "w");                  // one more stream entry
            target.cli("HSET", "big-hash", "f17", "changed");           // one field of a big hash (element-wise path)
            target.cli("SREM", "big-set", "m3");                        // same cardinality, one other member
            target.cli("SADD", "big-set", "m-other");
            target.cli("ZADD", "big-zset", "1000", "m9");               // one score of a big zset
            target.cli("LSET", "big-list", "250", "x");                 // one element of a big list (windows)
            target.cli("XGROUP", "SETID", "big-stream", "readers", "300-0"); // a group's last-delivered id
            target.cli("SETRANGE", "big-string", String.valueOf(2 * KeyVerifier.STRING_WINDOW + 1), "!"); // one byte of a big string
            target.cli("ZADD", "z", "3", "one");                        // a score of a small zset
            target.cli("DEL", "s");                                     // a small set as another type
            target.cli("RPUSH", "s", "x", "y");

            Map<String, String> found = byKey(verify(s, t, SETTINGS));
            assertEquals(new TreeMap<>(Map.ofEntries(Map.entry("str", "value"), Map.entry("h", "missing-on-target"),
                    Map.entry("only-on-target", "extra-on-target"), Map.entry("ttl", "ttl"), Map.entry("st", "value"),
                    Map.entry("big-hash", "value"), Map.entry("big-set", "value"), Map.entry("big-zset", "value"),
                    Map.entry("big-list", "value"), Map.entry("big-stream", "value"), Map.entry("big-string", "value"),
                    Map.entry("z", "value"), Map.entry("s", "type"))), found);

            KeyDifference ttl = verify(s, t, SETTINGS).stream().filter(d -> Arrays.equals(d.key(), "ttl".getBytes())).findFirst().orElseThrow();
            assertTrue(ttl.target().ttlMillis() - ttl.source().ttlMillis() > 9_000, ttl.toString());
            assertEquals("string", ttl.source().type());
        }
    }

    @Test
    void aStreamWhoseConsumersOrPendingEntriesDifferIsReported() {
        try (RedisServer source = RedisServer.start(); RedisServer target = RedisServer.start();
             BlockingRedis s = connect(source); BlockingRedis t = connect(target)) {
            for (RedisServer r : List.of(source, target)) {
                r.cli("EVAL", "for _, k in ipairs(KEYS) do for i = 1, 20 do redis.call('XADD', k, i .. '-1', 'f', i) end "
                        + "redis.call('XGROUP', 'CREATE', k, 'g', '0') "
                        + "redis.call('XREADGROUP', 'GROUP', 'g', 'alice', 'COUNT', 3, 'STREAMS', k, '>') "
                        + "redis.call('XREADGROUP', 'GROUP', 'g', 'bob', 'COUNT', 2, 'STREAMS', k, '>') end return 1", "4", "acked", "owner", "consumer",
                        "counted");
            }
            // windows of 7 entries read the big streams piece by piece: the groups are compared there too
            KeyVerifier.Settings windows = new KeyVerifier.Settings(SETTINGS.ttlToleranceMillis(), 7, SETTINGS.recheckDelays(),
                    SETTINGS.sourceOps(), SETTINGS.applied());
            for (KeyVerifier.Settings settings : List.of(SETTINGS, windows)) {
                assertEquals(List.of(), verify(s, t, settings), "equal groups");
            }
            target.cli("XACK", "acked", "g", "1-1");                          // one pending entry fewer
            target.cli("XCLAIM", "owner", "g", "bob", "0", "2-1");            // another owner
            target.cli("XGROUP", "CREATECONSUMER", "consumer", "g", "carol");  // one consumer more
            target.cli("XGROUP", "SETID", "counted", "g", "5-1", "ENTRIESREAD", "99"); // the same position, another entries-read
            for (KeyVerifier.Settings settings : List.of(SETTINGS, windows)) {
                assertEquals(new TreeMap<>(Map.of("acked", "value", "owner", "value", "consumer", "value", "counted", "value")),
                        byKey(verify(s, t, settings)));
            }
        }
    }

    @Test
    void aTtlWithinTheToleranceIsEqualAndOneWithoutTtlOnOneSideIsNot() {
        try (RedisServer source = RedisServer.start(); RedisServer target = RedisServer.start();
             BlockingRedis s = connect(source); BlockingRedis t = connect(target)) {
            source.cli("SET", "a", "1", "PX", "100000");
            target.cli("SET", "a", "1", "PX", "100400");
            source.cli("SET", "b", "1", "PX", "100000");
            target.cli("SET", "b", "1");
            assertEquals(Map.of("b", "ttl"), byKey(verify(s, t, SETTINGS)));
            assertEquals(Map.of("a", "ttl", "b", "ttl"),
                    byKey(verify(s, t, new KeyVerifier.Settings(100, 50, SETTINGS.recheckDelays(), null))));
        }
    }

    @Test
    void underLiveWritesAChangeAppliedBeforeTheRecheckIsNoDifferenceAndAKeyThatNeverSettlesIsSaidSo() throws Exception {
        try (RedisServer source = RedisServer.start(); RedisServer target = RedisServer.start();
             BlockingRedis s = connect(source); BlockingRedis t = connect(target)) {
            source.cli("SET", "late", "new");
            target.cli("SET", "late", "old"); // a change on its way: a "replicator" applies it 150 ms from now
            source.cli("SET", "hot", "0");
            target.cli("SET", "hot", "0");
            AtomicBoolean stop = new AtomicBoolean();
            Thread applier = Thread.ofVirtual().start(() -> {
                try {
                    Thread.sleep(150);
                } catch (InterruptedException e) {
                    return;
                }
                target.cli("SET", "late", "new");
            });
            BlockingRedis w = connect(source);
            Thread writer = Thread.ofVirtual().start(() -> {
                while (!stop.get()) {
                    w.send(Request.cmd(Command.INCR).arg("hot")); // changes all the time and never reaches the target
                }
            });
            try {
                long until = System.nanoTime() + 10_000_000_000L;
                while (source.cli("GET", "hot").equals("0") && System.nanoTime() < until) {
                    Thread.sleep(10); // the writer is under way
                }
                Map<String, String> found = byKey(new KeyVerifier(s, t, SETTINGS).verify(List.of("late".getBytes(), "hot".getBytes()), true)
                        .differences());
                assertEquals(Map.of("hot", "unsettled"), found);
            } finally {
                stop.set(true);
                writer.join();
                applier.join();
                w.close();
            }
        }
    }

    /**
     * Replication behind by more than all the re-check delays: a key that held still on the source and differs is compared
     * again once the captured changes are applied; when that cannot be confirmed it is unsettled, not different.
     */
    @Test
    void aChangeLaterThanTheRechecksIsAwaitedThroughTheAppliedChangesAndNeverReportedAsADifference() throws Exception {
        try (RedisServer source = RedisServer.start(); RedisServer target = RedisServer.start();
             BlockingRedis s = connect(source); BlockingRedis t = connect(target)) {
            source.cli("SET", "late", "new");
            target.cli("SET", "late", "old");
            source.cli("SET", "wrong", "a");
            target.cli("SET", "wrong", "b"); // really different: no change on its way
            List<byte[]> keys = List.of("late".getBytes(), "wrong".getBytes());
            // without the replicator's word both count as different (the change on its way takes longer than the re-checks)
            assertEquals(Map.of("late", "value", "wrong", "value"), byKey(new KeyVerifier(s, t, SETTINGS).verify(keys, true).differences()));
            // replication does not confirm in time: nothing proven, both unsettled
            assertEquals(Map.of("late", "unsettled", "wrong", "unsettled"),
                    byKey(new KeyVerifier(s, t, SETTINGS.withApplied(() -> false)).verify(keys, true).differences()));
            // the "replicator" applies the change 1.5 s after it is asked, well after the last re-check
            AtomicBoolean asked = new AtomicBoolean();
            KeyVerifier.Settings behind = SETTINGS.withApplied(() -> {
                asked.set(true);
                try {
                    Thread.sleep(1500);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                target.cli("SET", "late", "new");
                return true;
            });
            assertEquals(Map.of("wrong", "value"), byKey(new KeyVerifier(s, t, behind).verify(keys, true).differences()));
            assertTrue(asked.get());
        }
    }

    /** Eight batches of 10,000 keys at once over one connection per side, as the copier's workers share the pooled ones. */
    @Test
    void manyBigBatchesAtOnceShareOneConnectionPerSide() throws Exception {
        try (RedisServer source = RedisServer.start(); RedisServer target = RedisServer.start();
             BlockingRedis s = connect(source); BlockingRedis t = connect(target)) {
            source.cli("DEBUG", "POPULATE", "80000", "k", "16");
            target.cli("DEBUG", "POPULATE", "80000", "k", "16");
            List<byte[]> all = scanAll(s);
            List<Thread> workers = new ArrayList<>();
            List<Throwable> failed = new java.util.concurrent.CopyOnWriteArrayList<>();
            java.util.concurrent.atomic.AtomicLong checked = new java.util.concurrent.atomic.AtomicLong();
            for (int w = 0; w < 8; w++) {
                List<byte[]> mine = all.subList(w * 10_000, (w + 1) * 10_000);
                workers.add(Thread.ofVirtual().start(() -> {
                    try {
                        KeyVerifier.Result r = new KeyVerifier(s, t, SETTINGS).verify(mine, true);
                        checked.addAndGet(r.checked());
                        if (!r.differences().isEmpty()) {
                            failed.add(new AssertionError(r.differences().size() + " differences"));
                        }
                    } catch (Throwable e) {
                        failed.add(e);
                    }
                }));
            }
            for (Thread w : workers) {
                w.join();
            }
            assertEquals(List.of(), failed);
            assertEquals(80_000, checked.get());
        }
    }
}

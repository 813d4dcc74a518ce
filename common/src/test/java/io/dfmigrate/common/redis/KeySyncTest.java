package io.dfmigrate.common.redis;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dfmigrate.common.endpoint.RedisEndpoint;
import io.dfmigrate.common.event.KeyFailure;
import io.dfmigrate.localstack.RedisServer;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The key-sync engine of common, as the copier drives it, against two real redis-servers. */
class KeySyncTest {
    static Vertx vertx;
    static final Duration TIMEOUT = Duration.ofSeconds(10);

    @BeforeAll
    static void setUp() {
        vertx = Vertx.vertx();
    }

    @AfterAll
    static void tearDown() {
        vertx.close();
    }

    static BlockingRedis connect(RedisServer s, int db) {
        return BlockingRedis.connect(vertx, RedisEndpoint.parse(s.uri()), db, TIMEOUT);
    }

    static List<byte[]> scanAll(BlockingRedis r) {
        List<byte[]> keys = new ArrayList<>();
        new KeyScanner(r, "*", 100).scan(1000, 1 << 20, keys::addAll);
        return keys;
    }

    @Test
    void copiesEveryTypeBinarySafeWithTtlsAcrossDatabasesAndDigestsMatch() {
        try (RedisServer source = RedisServer.start(); RedisServer target = RedisServer.start()) {
            byte[] binKey = {0, (byte) 0xff, 'k', (byte) 0x80, '\n'};
            byte[] binValue = {(byte) 0xc3, 0x28, 0, 1, 2, (byte) 0xfe};
            try (BlockingRedis s0 = connect(source, 0)) {
                s0.send(Request.cmd(Command.SET).arg(Buffer.buffer(binKey)).arg(Buffer.buffer(binValue)));
                s0.send(Request.cmd(Command.SET).arg("empty").arg(""));
                s0.send(Request.cmd(Command.SET).arg("ttl").arg("v").arg("PX").arg(600_000));
                s0.send(Request.cmd(Command.HSET).arg("h").arg("f1").arg("v1").arg("f2").arg("v2"));
                s0.send(Request.cmd(Command.RPUSH).arg("l").arg("a").arg("b").arg("c"));
                s0.send(Request.cmd(Command.SADD).arg("s").arg("x").arg("y"));
                s0.send(Request.cmd(Command.ZADD).arg("z").arg(1).arg("one").arg(2.5).arg("two"));
                s0.send(Request.cmd(Command.XADD).arg("st").arg("*").arg("f").arg("v"));
                s0.send(Request.cmd(Command.XGROUP).arg("CREATE").arg("st").arg("g").arg("0"));
                for (int i = 0; i < 2500; i++) {
                    s0.send(Request.cmd(Command.SET).arg("key:" + i).arg("value-" + i));
                }
            }
            source.cli("-n", "3", "SET", "in-db3", "x");
            source.cli("-n", "3", "EXPIRE", "in-db3", "3600");

            long synced = 0;
            for (int db : KeyScanner.keyspace(connect(source, 0)).keySet()) {
                try (BlockingRedis s = connect(source, db); BlockingRedis t = connect(target, db)) {
                    List<byte[]> keys = scanAll(s);
                    KeySync.Result r = new KeySync(s, t).sync(keys);
                    assertEquals(0, r.failed(), r.failures().toString());
                    synced += r.written();
                }
            }
            assertEquals(2500 + 8 + 1, synced);
            assertEquals(source.cli("DEBUG", "DIGEST"), target.cli("DEBUG", "DIGEST"));
            assertEquals(source.cli("-n", "3", "DBSIZE"), target.cli("-n", "3", "DBSIZE"));
            long ttl = Long.parseLong(target.cli("PTTL", "ttl"));
            assertTrue(ttl > 590_000 && ttl <= 600_000, "ttl kept: " + ttl);
            assertTrue(Long.parseLong(target.cli("-n", "3", "TTL", "in-db3")) > 3500);
            assertEquals("-1", target.cli("TTL", "h"));
            try (BlockingRedis t0 = connect(target, 0)) {
                assertArrayEquals(binValue, t0.send(Request.cmd(Command.GET).arg(Buffer.buffer(binKey))).toBytes());
            }
            assertTrue(target.cli("XINFO", "GROUPS", "st").contains("g"), "stream consumer group copied");
        }
    }

    static void loadEveryType(BlockingRedis s0, int n) {
        s0.send(Request.cmd(Command.SET).arg(Buffer.buffer(new byte[] {0, (byte) 0xfe})).arg(Buffer.buffer(new byte[] {1, (byte) 0x80})));
        s0.send(Request.cmd(Command.SET).arg("ttl").arg("v").arg("PX").arg(600_000));
        Request h = Request.cmd(Command.HSET).arg("h");
        Request l = Request.cmd(Command.RPUSH).arg("l");
        Request st = Request.cmd(Command.SADD).arg("s");
        Request z = Request.cmd(Command.ZADD).arg("z");
        for (int i = 0; i < n; i++) {
            h.arg("f" + i).arg("v" + i);
            l.arg("e" + i);
            st.arg("m" + i);
            z.arg(i * 1.5).arg("m" + i);
        }
        s0.send(h);
        s0.send(l);
        s0.send(st);
        s0.send(z);
        s0.send(Request.cmd(Command.PEXPIRE).arg("h").arg(900_000));
        for (int i = 0; i < 30; i++) {
            s0.send(Request.cmd(Command.XADD).arg("st").arg("*").arg("f").arg("v" + i));
        }
        s0.send(Request.cmd(Command.XGROUP).arg("CREATE").arg("st").arg("g").arg("0"));
    }

    @Test
    void keysAreReadWhileACutoverPausesTheSourcesWritesAndFromASourceWithoutReadOnlyScripts() {
        // Redis 7: the read script runs as EVALSHA_RO, which CLIENT PAUSE WRITE does not hold back (EVALSHA it does)
        try (RedisServer source = RedisServer.start(); RedisServer target = RedisServer.start();
             BlockingRedis s = connect(source, 0); BlockingRedis t = connect(target, 0)) {
            loadEveryType(s, 300);
            source.cli("CLIENT", "PAUSE", "20000", "WRITE");
            long t0 = System.nanoTime();
            KeySync.Result r = new KeySync(s, t).sync(scanAll(s));
            long ms = (System.nanoTime() - t0) / 1_000_000;
            source.cli("CLIENT", "UNPAUSE");
            assertEquals(7, r.written(), r.failures().toString());
            assertTrue(ms < 10_000, "read during the write pause in " + ms + " ms");
            assertEquals(source.cli("DEBUG", "DIGEST"), target.cli("DEBUG", "DIGEST"));
        }
        // Redis 6.2 has no EVALSHA_RO: the same script runs with EVALSHA
        try (RedisServer old = RedisServer.startBinary(RedisServer.redis62Binary(), false); RedisServer target = RedisServer.start();
             BlockingRedis s = connect(old, 0); BlockingRedis t = connect(target, 0)) {
            loadEveryType(s, 300);
            KeySync.Result r = new KeySync(s, t).sync(scanAll(s));
            assertEquals(7, r.written(), r.failures().toString());
            assertEquals(0, r.structural(), "a 6.2 payload restores on 7.0");
            assertEquals(old.cli("DEBUG", "DIGEST"), target.cli("DEBUG", "DIGEST"));
        }
    }

    @Test
    void aTargetThatRefusesTheDumpFormatGetsEveryTypeReStampedConvertedOrStructurally() {
        // redis-server 6.2 refuses Redis 7.0 DUMP payloads, as Dragonfly refuses those of Redis 7.4+
        try (RedisServer source = RedisServer.start(); RedisServer old = RedisServer.startBinary(RedisServer.redis62Binary(), false);
             BlockingRedis s = connect(source, 0); BlockingRedis t = connect(old, 0)) {
            loadEveryType(s, 300);
            for (boolean conversion : List.of(true, false)) {
                old.cli("FLUSHALL");
                KeySync sync = conversion ? new KeySync(s, t) : new KeySync(s, t).withoutConversion();
                long errorsBefore = errorReplies(old);
                KeySync.Result r = sync.sync(scanAll(s));
                assertEquals(0, r.failed(), r.failures().toString());
                // the target's format is known before the first RESTORE: adapted payloads are never refused first
                assertEquals(conversion, errorReplies(old) == errorsBefore, "error replies of the target: " + (errorReplies(old) - errorsBefore));
                assertEquals(7, r.written());
                // every payload was refused as it was; those of types 6.2 knows (the strings, the hashtable set and the
                // skiplist zset) were re-stamped with its RDB version; the listpack hash, quicklist2 list and stream were
                // converted to older encodings, or (without conversion) went by type
                assertEquals(4, sync.restamped());
                assertEquals(conversion ? 3 : 0, sync.converted());
                assertEquals(conversion ? 0 : 3, r.structural());
                assertEquals(source.cli("DEBUG", "DIGEST"), old.cli("DEBUG", "DIGEST"), "conversion " + conversion);
                long ttl = Long.parseLong(old.cli("PTTL", "h"));
                assertTrue(ttl > 890_000 && ttl <= 900_000, "ttl kept: " + ttl);
                assertTrue(old.cli("XINFO", "GROUPS", "st").contains("g"), "consumer group created");
                assertEquals("", old.cli("KEYS", "dfm:tmp:*"), "no temporary key left");
            }
        }
    }

    @Test
    void bigKeysAreCopiedInChunksThroughATemporaryKey() {
        try (RedisServer source = RedisServer.start(); RedisServer target = RedisServer.start();
             BlockingRedis s = connect(source, 0); BlockingRedis t = connect(target, 0)) {
            loadEveryType(s, 5000);
            s.send(Request.cmd(Command.SET).arg("big-string").arg("x".repeat(3_000_000)));
            CopyProgress live = new CopyProgress();
            List<byte[]> keys = scanAll(s);
            KeySync.Result r = new KeySync(s, t, new KeySync.Limits(10_000, 200)).reporting(live).sync(keys);
            assertEquals(0, r.failed(), r.failures().toString());
            assertEquals(5, r.structural(), "the four collections and the big string are over 10 kB");
            assertEquals(keys.size(), live.keys.sum(), "live progress counts every key");
            assertEquals(5, live.structural.sum());
            assertEquals(r.bytes(), live.bytes.sum());
            assertTrue(live.elements.sum() >= 4 * 5000, "elements of the big keys, chunk by chunk: " + live.elements.sum());
            assertEquals(source.cli("DEBUG", "DIGEST"), target.cli("DEBUG", "DIGEST"));
            assertEquals("3000000", target.cli("STRLEN", "big-string"));
        }
    }

    @Test
    void aHalfBuiltTemporaryKeyHasASafetyTtlAndTheFinishedKeyOnlyItsOwn() {
        try (RedisServer source = RedisServer.start(); RedisServer target = RedisServer.start();
             BlockingRedis s = connect(source, 0); BlockingRedis t = connect(target, 0); BlockingRedis probe = connect(target, 0)) {
            Request push = Request.cmd(Command.RPUSH).arg("list");
            for (int i = 0; i < 3000; i++) {
                push.arg("e" + i);
            }
            s.send(push);
            List<Long> ttlsWhileBuilding = new ArrayList<>();
            String error = StructuralCopy.copy(s, t, "list".getBytes(StandardCharsets.UTF_8), () -> -1, 500, n -> {
                String tmp = probe.send(Request.cmd(Command.KEYS).arg(StructuralCopy.TMP_PREFIX + "*")).get(0).toString();
                ttlsWhileBuilding.add(probe.send(Request.cmd(Command.PTTL).arg(tmp)).toLong());
            }, false, StructuralCopy.TMP_PREFIX);
            assertEquals(null, error);
            assertEquals(6, ttlsWhileBuilding.size(), "one look per chunk of 500");
            assertTrue(ttlsWhileBuilding.stream().allMatch(ttl -> ttl > 0 && ttl <= StructuralCopy.SAFETY_TTL_MILLIS), ttlsWhileBuilding.toString());
            assertEquals("-1", target.cli("PTTL", "list"), "the safety TTL does not survive the rename");
            assertEquals("", target.cli("KEYS", StructuralCopy.TMP_PREFIX + "*"));
            assertEquals("3000", target.cli("LLEN", "list"));
        }
    }

    @Test
    void aBatchIsDumpedInSlicesThatKeepMemoryBounded() {
        try (RedisServer source = RedisServer.start(); RedisServer target = RedisServer.start();
             BlockingRedis s = connect(source, 0); BlockingRedis t = connect(target, 0)) {
            source.cli("DEBUG", "POPULATE", "2000", "k", "200");
            source.cli("DEL", "k:7");
            List<byte[]> keys = new ArrayList<>(scanAll(s));
            keys.add("k:7".getBytes());
            target.cli("SET", "k:7", "stale");
            // ~2000 values of ~200 B in slices of at most 4 kB: about a hundred DUMP/RESTORE round trips
            KeySync.Result r = new KeySync(s, t, new KeySync.Limits(64L << 20, 1000, null, 4096)).sync(keys);
            assertEquals(0, r.failed(), r.failures().toString());
            assertEquals(1999, r.written());
            assertEquals(1, r.deleted());
            assertEquals(source.cli("DEBUG", "DIGEST"), target.cli("DEBUG", "DIGEST"));
            long calls = Long.parseLong(source.cli("INFO", "commandstats").lines().filter(l -> l.matches("cmdstat_eval(sha)?(_ro)?:.*")).mapToLong(l -> Long.parseLong(l.replaceAll("^[a-z_]+:calls=(\\d+),.*", "$1"))).sum() + "");
            assertTrue(calls >= 50, "one script reply carries at most 4 kB of values: " + calls + " calls");
        }
    }

    @Test
    void aSourceThatRefusesScriptsIsReadWithPipelines() {
        try (RedisServer source = RedisServer.start(); RedisServer target = RedisServer.start()) {
            source.cli("DEBUG", "POPULATE", "3000", "k", "50");
            source.cli("SET", "ttl", "v", "PX", "600000");
            source.cli("ACL", "SETUSER", "reader", "on", ">pw", "~*", "+@all", "-@scripting");
            try (BlockingRedis s = BlockingRedis.connect(vertx, RedisEndpoint.parse("redis://reader:pw@127.0.0.1:" + source.port()), 0, TIMEOUT);
                 BlockingRedis t = connect(target, 0)) {
                KeySync.Result r = new KeySync(s, t).sync(scanAll(s));
                assertEquals(0, r.failed(), r.failures().toString());
                assertEquals(3001, r.written());
            }
            assertEquals(source.cli("DEBUG", "DIGEST"), target.cli("DEBUG", "DIGEST"));
            assertTrue(Long.parseLong(target.cli("PTTL", "ttl")) > 590_000);
            assertTrue(source.cli("INFO", "commandstats").contains("cmdstat_dump:calls=3001"), "read with DUMP pipelines");
        }
    }

    @Test
    void aRateLimitBoundsTheOperationsSentToTheSource() {
        try (RedisServer source = RedisServer.start(); RedisServer target = RedisServer.start();
             BlockingRedis s = connect(source, 0); BlockingRedis t = connect(target, 0)) {
            source.cli("DEBUG", "POPULATE", "1000", "k", "8");
            List<byte[]> keys = scanAll(s);
            long t0 = System.nanoTime();
            // 1000 keys cost 3000 source operations; at 1000/s with 1 s of burst that takes at least 2 s
            KeySync.Result r = new KeySync(s, t, new KeySync.Limits(64L << 20, 1000, new RateLimiter(1000)))
                    .sync(keys);
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertEquals(1000, r.written());
            assertTrue(ms >= 1900, "took only " + ms + " ms");
            assertEquals(source.cli("DEBUG", "DIGEST"), target.cli("DEBUG", "DIGEST"));
        }
    }

    @Test
    void aKeyGoneFromTheSourceIsDeletedOnTheTargetAndResyncIsIdempotent() {
        try (RedisServer source = RedisServer.start(); RedisServer target = RedisServer.start();
             BlockingRedis s = connect(source, 0); BlockingRedis t = connect(target, 0)) {
            source.cli("SET", "stays", "1");
            target.cli("SET", "gone", "old");
            List<byte[]> keys = List.of("stays".getBytes(StandardCharsets.UTF_8), "gone".getBytes(StandardCharsets.UTF_8));
            KeySync.Result first = new KeySync(s, t).sync(keys);
            assertEquals(1, first.written());
            assertEquals(1, first.deleted());
            assertEquals("0", target.cli("EXISTS", "gone"));
            source.cli("SET", "stays", "2");
            new KeySync(s, t).sync(keys);
            new KeySync(s, t).sync(keys);
            assertEquals("2", target.cli("GET", "stays"));
            assertEquals(source.cli("DEBUG", "DIGEST"), target.cli("DEBUG", "DIGEST"));
        }
    }

    @Test
    void aRestoreTheTargetRefusesIsAPerKeyFailureNotABatchFailure() {
        try (RedisServer source = RedisServer.start(); RedisServer target = RedisServer.start();
             BlockingRedis s = connect(source, 0); BlockingRedis t = connect(target, 0)) {
            source.cli("SET", "a", "1");
            source.cli("SET", "b", "2");
            // an ACL on the target that forbids writing key b
            target.cli("ACL", "SETUSER", "limited", "on", ">pw", "~a", "+@all");
            try (BlockingRedis limited = BlockingRedis.connect(vertx, RedisEndpoint.parse("redis://limited:pw@127.0.0.1:" + target.port()),
                    0, TIMEOUT)) {
                KeySync.Result r = new KeySync(s, limited).sync(List.of("a".getBytes(), "b".getBytes()));
                assertEquals(1, r.written());
                assertEquals(1, r.failed());
                assertEquals("b", r.failures().get(0).key());
                assertTrue(r.failures().get(0).reason().startsWith("target: NOPERM"), r.failures().toString());
            }
            assertEquals("1", target.cli("GET", "a"));
        }
    }

    @Test
    void withoutOverwriteAKeyTheTargetHasIsAConflictLeftAsItIsAndTheCopysOwnEarlierWriteIsNot() {
        try (RedisServer source = RedisServer.start(); RedisServer target = RedisServer.start();
             RedisServer old = RedisServer.startBinary(RedisServer.redis62Binary(), false);
             BlockingRedis s = connect(source, 0); BlockingRedis t = connect(target, 0); BlockingRedis o = connect(old, 0)) {
            source.cli("SET", "new", "from-source");
            source.cli("SET", "theirs", "from-source");
            source.cli("RPUSH", "list", "a", "b");
            source.cli("SET", "mine", "from-source");
            target.cli("SET", "theirs", "written-by-someone-else", "EX", "500");
            target.cli("SET", "only-on-target", "x");
            List<byte[]> keys = List.of(bytes("new"), bytes("theirs"), bytes("mine"), bytes("gone-from-source"));
            new KeySync(s, t).keepingExisting(true).sync(List.of(bytes("mine"))); // an earlier attempt of the batch
            target.cli("SET", "gone-from-source", "kept");

            KeySync.Result r = new KeySync(s, t).keepingExisting(true).sync(keys);
            assertEquals(2, r.written(), "new, and mine (the same payload: this copy's own earlier write)");
            assertEquals(0, r.deleted(), "nothing is deleted on the target");
            assertEquals(1, r.failed(), r.failures().toString());
            assertEquals("theirs", r.failures().get(0).key());
            assertTrue(r.failures().get(0).reason().contains("options.overwrite=false keeps it"), r.failures().toString());
            assertEquals("written-by-someone-else", target.cli("GET", "theirs"));
            assertTrue(Long.parseLong(target.cli("TTL", "theirs")) > 400, "its TTL untouched too");
            assertEquals("kept", target.cli("GET", "gone-from-source"));
            assertEquals("from-source", target.cli("GET", "new"));

            // the structural path (a target that refuses the payloads) keeps existing keys too
            old.cli("RPUSH", "list", "someone", "else's");
            old.cli("SET", "theirs", "written-by-someone-else");
            KeySync.Result structural = new KeySync(s, o).keepingExisting(true)
                    .sync(List.of(bytes("list"), bytes("theirs"), bytes("new")));
            assertEquals(1, structural.written(), structural.failures().toString());
            assertEquals(2, structural.failed(), structural.failures().toString());
            assertEquals("someone\nelse's", old.cli("LRANGE", "list", "0", "-1"));
            assertEquals("written-by-someone-else", old.cli("GET", "theirs"));
            assertEquals("from-source", old.cli("GET", "new"));
            assertEquals("", old.cli("KEYS", "dfm:tmp:*"), "no temporary key left behind by a conflict");

            // with overwrite (the default of KeySync, and of reconciliation and replication) the source wins
            new KeySync(s, t).sync(keys);
            assertEquals("from-source", target.cli("GET", "theirs"));
        }
    }

    @Test
    void withoutOverwriteAKeyTheTargetEncodedDifferentlyButHoldingTheSourcesValueIsNoConflict() {
        // a target that re-encodes what it restores (Dragonfly; a 6.2 target given a converted payload) DUMPs this copy's
        // own earlier write differently from the payload sent: here a 7.0 target keeping hashes as hashtables
        try (RedisServer source = RedisServer.start(); RedisServer target = RedisServer.start("--hash-max-listpack-entries", "0");
             BlockingRedis s = connect(source, 0); BlockingRedis t = connect(target, 0)) {
            source.cli("HSET", "mine", "a", "1", "b", "2");
            source.cli("PEXPIRE", "mine", "900000");
            source.cli("HSET", "theirs", "a", "1", "b", "2");
            source.cli("HSET", "same-value-other-ttl", "a", "1");
            new KeySync(s, t).keepingExisting(true).sync(List.of(bytes("mine"))); // an earlier attempt of the batch
            target.cli("HSET", "theirs", "a", "1", "b", "other");
            target.cli("HSET", "same-value-other-ttl", "a", "1");
            target.cli("EXPIRE", "same-value-other-ttl", "500");
            assertEquals("hashtable", target.cli("OBJECT", "ENCODING", "mine"));
            assertNotEquals(source.cli("--no-raw", "DUMP", "mine"), target.cli("--no-raw", "DUMP", "mine"), "the payloads differ");

            KeySync.Result r = new KeySync(s, t).keepingExisting(true)
                    .sync(List.of(bytes("mine"), bytes("theirs"), bytes("same-value-other-ttl")));
            assertEquals(1, r.written(), "mine: the same value and TTL, this copy's own write: " + r.failures());
            assertEquals(2, r.failed(), r.failures().toString());
            assertEquals(Set.of("theirs", "same-value-other-ttl"), r.failures().stream().map(KeyFailure::key).collect(Collectors.toSet()));
            assertTrue(r.failures().stream().allMatch(f -> f.reason().contains("options.overwrite=false keeps it")), r.failures().toString());
            assertEquals("other", target.cli("HGET", "theirs", "b"));
            assertTrue(Long.parseLong(target.cli("TTL", "same-value-other-ttl")) <= 500);
        }
        // the same on the structural path (big keys, built in chunks): a retried batch finds its own key in place (RENAMENX refused)
        try (RedisServer source = RedisServer.start(); RedisServer old = RedisServer.start();
             BlockingRedis s = connect(source, 0); BlockingRedis o = connect(old, 0)) {
            source.cli("RPUSH", "mine", "a", "b", "c");
            source.cli("RPUSH", "theirs", "a", "b", "c");
            KeySync.Limits everyKeyBig = new KeySync.Limits(1, 2);
            KeySync.Result first = new KeySync(s, o, everyKeyBig).keepingExisting(true).sync(List.of(bytes("mine")));
            assertEquals(1, first.structural(), "copied in chunks");
            old.cli("RPUSH", "theirs", "a", "b");
            KeySync.Result r = new KeySync(s, o, everyKeyBig).keepingExisting(true).sync(List.of(bytes("mine"), bytes("theirs")));
            assertEquals(1, r.written(), r.failures().toString());
            assertEquals(List.of("theirs"), r.failures().stream().map(KeyFailure::key).toList());
            assertEquals("a\nb", old.cli("LRANGE", "theirs", "0", "-1"));
            assertEquals("", old.cli("KEYS", "dfm:tmp:*"));
        }
    }

    /** {@code total_error_replies} of {@code INFO stats}: how many commands the server refused so far. */
    static long errorReplies(RedisServer server) {
        return server.cli("INFO", "stats").lines().filter(l -> l.startsWith("total_error_replies:"))
                .mapToLong(l -> Long.parseLong(l.substring(l.indexOf(':') + 1).strip())).findFirst().orElseThrow();
    }

    @Test
    void ttlsAreExactOnTheStructuralPathEvenWhenTheCopyTakesSeconds() {
        // every payload of a 7.0 source is refused by a 6.2 target: all 10,000 keys go through the structural copy, one
        // after the other, for seconds; each must get the TTL it has when it is written, not the one read at the start
        try (RedisServer source = RedisServer.start(); RedisServer old = RedisServer.startBinary(RedisServer.redis62Binary(), false);
             BlockingRedis s = connect(source, 0); BlockingRedis t = connect(old, 0)) {
            source.cli("EVAL", "for i=1,10000 do local k = 'k'..i local px = 60000 + (i * 37) % 540000 "
                    + "if i % 4 == 0 then redis.call('HSET', k, 'f', i) elseif i % 4 == 1 then redis.call('RPUSH', k, i, 'x') "
                    + "elseif i % 4 == 2 then redis.call('SADD', k, i) else redis.call('SET', k, i) end "
                    + "if i % 10 ~= 0 then redis.call('PEXPIRE', k, px) end end", "0");
            List<byte[]> keys = scanAll(s);
            assertEquals(10_000, keys.size());
            long t0 = System.nanoTime();
            KeySync sync = new KeySync(s, t).withoutConversion();
            KeySync.Result r = sync.sync(keys);
            long tookMs = (System.nanoTime() - t0) / 1_000_000;
            assertEquals(0, r.failed(), r.failures().toString());
            assertEquals(5_000, r.structural(), "listpack hashes and quicklist2 lists go by type (not converted)");
            assertEquals(5_000, sync.restamped(), "strings and intsets are re-stamped for 6.2");

            long worst = 0;
            String worstKey = null;
            for (int from = 0; from < keys.size(); from += 200) {
                List<byte[]> slice = keys.subList(from, Math.min(keys.size(), from + 200));
                List<Request> pttls = slice.stream().map(k -> Request.cmd(Command.PTTL).arg(io.vertx.core.buffer.Buffer.buffer(k))).toList();
                List<BlockingRedis.Result> onTarget = t.pipeline(pttls); // target first: a later source read can only be lower
                List<BlockingRedis.Result> onSource = s.pipeline(pttls);
                for (int i = 0; i < slice.size(); i++) {
                    long src = onSource.get(i).response().toLong();
                    long tgt = onTarget.get(i).response().toLong();
                    if (src == -1 || tgt == -1) {
                        assertEquals(src, tgt, "no TTL on one side only: " + new String(slice.get(i), StandardCharsets.UTF_8));
                        continue;
                    }
                    long diff = Math.abs(tgt - src);
                    if (diff > worst) {
                        worst = diff;
                        worstKey = new String(slice.get(i), StandardCharsets.UTF_8);
                    }
                }
            }
            System.out.printf("10,000 keys copied structurally in %d ms; worst TTL difference %d ms (%s)%n", tookMs, worst, worstKey);
            assertTrue(worst <= 100, "TTL off by " + worst + " ms for " + worstKey + " after a copy of " + tookMs + " ms");
            assertEquals(source.cli("DEBUG", "DIGEST"), old.cli("DEBUG", "DIGEST"));
        }
    }

    /**
     * A target that holds writes back for seconds (CLIENT PAUSE WRITE, as a stalled or busy target does): the writes wait in
     * its queue, so a relative TTL would grow by the wait. Absolute deadlines on the target's clock keep every path exact:
     * RESTORE (7.0 → 7.0), re-stamped and converted payloads (7.0 → 6.2), and by type (7.0 → 6.2 without conversion).
     */
    @Test
    void ttlsStayExactWhenTheTargetHoldsTheWritesBackForSeconds() throws Exception {
        try (RedisServer source = RedisServer.start(); RedisServer same = RedisServer.start();
             RedisServer old = RedisServer.startBinary(RedisServer.redis62Binary(), false);
             BlockingRedis s = connect(source, 0)) {
            source.cli("EVAL", "for i=1,300 do local k = 'k'..i "
                    + "if i % 3 == 0 then redis.call('HSET', k, 'f', i) elseif i % 3 == 1 then redis.call('RPUSH', k, i, 'x') "
                    + "else redis.call('SET', k, i) end redis.call('PEXPIRE', k, 600000 + i) end", "0");
            List<byte[]> keys = scanAll(s);
            for (int pass = 0; pass < 3; pass++) {
                RedisServer target = pass == 0 ? same : old; // 6.2: payloads re-stamped or converted, then by type
                try (BlockingRedis t = connect(target, 0)) {
                    target.cli("FLUSHALL");
                    target.cli("CLIENT", "PAUSE", "3000", "WRITE");
                    long t0 = System.nanoTime();
                    KeySync sync = pass == 2 ? new KeySync(s, t).withoutConversion() : new KeySync(s, t);
                    KeySync.Result r = sync.sync(keys);
                    long tookMs = (System.nanoTime() - t0) / 1_000_000;
                    assertEquals(0, r.failed(), r.failures().toString());
                    assertTrue(tookMs >= 2000, "the writes waited for the pause: " + tookMs + " ms");
                    long worst = 0;
                    for (byte[] k : keys) {
                        String key = new String(k, StandardCharsets.UTF_8);
                        long tgt = Long.parseLong(target.cli("PTTL", key));
                        long src = Long.parseLong(source.cli("PTTL", key));
                        worst = Math.max(worst, Math.abs(tgt - src));
                    }
                    assertTrue(worst <= 500, target.uri() + ": TTL off by " + worst + " ms after writes held back " + tookMs + " ms");
                    assertEquals(source.cli("DEBUG", "DIGEST"), target.cli("DEBUG", "DIGEST"));
                }
            }
        }
    }

    @Test
    void refusedSmallKeysAreCopiedByTypeManyAtOnceAndLargerOnesKeyByKey() {
        try (RedisServer source = RedisServer.start(); RedisServer old = RedisServer.startBinary(RedisServer.redis62Binary(), false);
             BlockingRedis s = connect(source, 0); BlockingRedis t = connect(old, 0)) {
            loadEveryType(s, 20); // small: one of each type, binary names, TTLs, a stream with a group
            // above the 100-element chunk: each must still arrive whole (key by key)
            source.cli("EVAL", "for i=1,150 do redis.call('RPUSH', 'long-list', i) redis.call('HSET', 'wide-hash', 'f'..i, i) "
                    + "redis.call('SADD', 'wide-set', i) redis.call('ZADD', 'wide-zset', i + 0.25, 'm'..i) end "
                    + "redis.call('SET', 'bin\\0str', '\\255\\0x') redis.call('ZADD', 'inf-zset', 'inf', 'top', '-inf', 'bottom')", "0");
            List<byte[]> keys = scanAll(s);
            CopyProgress live = new CopyProgress();
            KeySync sync = new KeySync(s, t, new KeySync.Limits(64L << 20, 100)).withoutConversion().reporting(live);
            KeySync.Result r = sync.sync(keys);
            assertEquals(0, r.failed(), r.failures().toString());
            assertEquals(keys.size(), r.written());
            assertEquals(keys.size(), r.structural() + sync.restamped(), "every payload was refused: re-stamped or by type");
            assertEquals(6, sync.restamped(), "the strings, the hashtable set, the intset and the skiplist zset");
            assertEquals(keys.size(), live.keys.sum());
            assertEquals(source.cli("DEBUG", "DIGEST"), old.cli("DEBUG", "DIGEST"));
            assertEquals("150", old.cli("LLEN", "long-list"));
            assertEquals("", old.cli("KEYS", "dfm:tmp:*"));
        }
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}

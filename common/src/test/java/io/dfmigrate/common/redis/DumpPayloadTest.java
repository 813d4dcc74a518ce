package io.dfmigrate.common.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dfmigrate.common.endpoint.RedisEndpoint;
import io.dfmigrate.localstack.RedisServer;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** Payload re-stamping: the CRC, the formats of the targets, and real payloads of a 7.0 server restored into 6.2. */
class DumpPayloadTest {
    @Test
    void theCrcIsRedissCrc64Jones() {
        byte[] check = "123456789".getBytes(StandardCharsets.US_ASCII);
        assertEquals(0xe9c6d914c4b8d9caL, DumpPayload.crc64(check, 0, check.length));
    }

    @Test
    void theTargetsFormatComesFromInfoServer() {
        assertEquals(9, DumpPayload.Format.of("# Server\r\nredis_version:6.2.14\r\n").rdbVersion());
        assertEquals(10, DumpPayload.Format.of("redis_version:7.0.15\r\n").rdbVersion());
        assertEquals(11, DumpPayload.Format.of("redis_version:7.2.4\r\n").rdbVersion());
        assertEquals(12, DumpPayload.Format.of("redis_version:8.2.1\r\n").rdbVersion());
        assertEquals(13, DumpPayload.Format.of("redis_version:8.6.0\r\n").rdbVersion());
        DumpPayload.Format df = DumpPayload.Format.of("redis_version:7.4.0\r\ndragonfly_version:df-v1.25.0\r\n");
        assertTrue(df.dragonfly());
        assertTrue(df.accepts(0) && df.accepts(20) && df.accepts(21));
        assertFalse(df.accepts(22), "hash-field TTL types go by type into Dragonfly");
        assertFalse(DumpPayload.Format.of("redis_version:6.2.14").accepts(16), "6.2 has no listpack hash");
        assertFalse(DumpPayload.Format.of("redis_version:8.2.1").accepts(7), "module types are never re-stamped");
        assertNull(DumpPayload.Format.of("# Server\r\n"));
    }

    /**
     * Every encoding a 7.0 server DUMPs (small and big variants, binary members, a stream with a consumer group and
     * pending entries), RESTOREd into a 7.0 target as it is and into a 6.2 target re-stamped or converted: DEBUG DIGEST
     * of each key and of the whole database is the source's on both.
     */
    @Test
    void everyEncodingOfASevenZeroServerRestoresIntoSixTwoReStampedOrConverted() {
        Vertx vertx = Vertx.vertx();
        try (RedisServer source = RedisServer.start(); RedisServer same = RedisServer.start();
             RedisServer old = RedisServer.startBinary(RedisServer.redis62Binary(), false);
             BlockingRedis s = BlockingRedis.connect(vertx, RedisEndpoint.parse(source.uri()), 0, Duration.ofSeconds(10));
             BlockingRedis t7 = BlockingRedis.connect(vertx, RedisEndpoint.parse(same.uri()), 0, Duration.ofSeconds(10));
             BlockingRedis t6 = BlockingRedis.connect(vertx, RedisEndpoint.parse(old.uri()), 0, Duration.ofSeconds(10))) {
            byte[] bin = {0, (byte) 0xff, 10, 13, (byte) 0x80};
            s.send(Request.cmd(Command.SET).arg("str").arg("x".repeat(500)));
            s.send(Request.cmd(Command.SET).arg("int").arg("12345"));
            s.send(Request.cmd(Command.SET).arg(Buffer.buffer(bin)).arg(Buffer.buffer(bin)));
            s.send(Request.cmd(Command.RPUSH).arg("list-small").arg("a").arg("1").arg(Buffer.buffer(bin)));
            Request bigList = Request.cmd(Command.RPUSH).arg("list-big");
            for (int i = 0; i < 3000; i++) {
                bigList.arg("element-" + i + "-" + "y".repeat(i % 90));
            }
            s.send(bigList);
            s.send(Request.cmd(Command.SADD).arg("set-ints").arg("1").arg("2").arg("-300000"));
            s.send(Request.cmd(Command.SADD).arg("set-strings").arg("a").arg("b").arg(Buffer.buffer(bin)));
            s.send(Request.cmd(Command.ZADD).arg("zset-small").arg("1.5").arg("a").arg("-2").arg(Buffer.buffer(bin)));
            Request bigZset = Request.cmd(Command.ZADD).arg("zset-big");
            Request bigHash = Request.cmd(Command.HSET).arg("hash-big");
            for (int i = 0; i < 600; i++) {
                bigZset.arg(Double.toString(i / 7.0)).arg("member-" + i);
                bigHash.arg("field-" + i).arg("value-" + i);
            }
            s.send(bigZset);
            s.send(bigHash);
            s.send(Request.cmd(Command.HSET).arg("hash-small").arg("f").arg("v").arg(Buffer.buffer(bin)).arg("42"));
            for (int i = 0; i < 250; i++) {
                s.send(Request.cmd(Command.XADD).arg("stream").arg("*").arg("n").arg(Integer.toString(i)).arg("payload").arg("p" + i));
            }
            s.send(Request.cmd(Command.XGROUP).arg("CREATE").arg("stream").arg("readers").arg("0"));
            s.send(Request.cmd(Command.XREADGROUP).arg("GROUP").arg("readers").arg("alice").arg("COUNT").arg("7").arg("STREAMS").arg("stream").arg(">"));
            s.send(Request.cmd(Command.XADD).arg("stream-emptied").arg("1-1").arg("a").arg("b"));
            s.send(Request.cmd(Command.XDEL).arg("stream-emptied").arg("1-1"));

            DumpPayload.Format six = DumpPayload.Format.of(t6.send(Request.cmd(Command.INFO).arg("server")).toString());
            List<byte[]> keys = new ArrayList<>();
            s.send(Request.cmd(Command.KEYS).arg("*")).forEach(k -> keys.add(k.toBytes()));
            assertEquals(13, keys.size());
            List<byte[]> payloads = keys.stream().map(k -> s.send(Request.cmd(Command.DUMP).arg(Buffer.buffer(k))).toBytes()).toList();
            Set<Integer> types = new TreeSet<>();
            payloads.forEach(p -> types.add(p[0] & 0xff));
            assertEquals(Set.of(0, 2, 5, 4, 11, 16, 17, 18, 19), types, "the encodings of a 7.0 server");
            List<byte[]> converted = DumpConversion.convert(payloads, six);
            for (int i = 0; i < keys.size(); i++) {
                Buffer key = Buffer.buffer(keys.get(i));
                t7.send(Request.cmd(Command.RESTORE).arg(key).arg(0).arg(Buffer.buffer(payloads.get(i))));
                byte[] restamped = DumpPayload.restamp(payloads.get(i), six);
                byte[] forSix = restamped != null ? restamped : converted.get(i);
                assertNotNull(forSix, "type " + (payloads.get(i)[0] & 0xff) + " is re-stamped or converted for 6.2");
                assertEquals(restamped == null, DumpConversion.convertible(payloads.get(i), six));
                t6.send(Request.cmd(Command.RESTORE).arg(key).arg(0).arg(Buffer.buffer(forSix)));
                String digest = s.send(Request.cmd(Command.DEBUG).arg("DIGEST-VALUE").arg(key)).toString();
                assertEquals(digest, t7.send(Request.cmd(Command.DEBUG).arg("DIGEST-VALUE").arg(key)).toString());
                assertEquals(digest, t6.send(Request.cmd(Command.DEBUG).arg("DIGEST-VALUE").arg(key)).toString(),
                        KeySync.printable(keys.get(i)) + " (type " + (payloads.get(i)[0] & 0xff) + ") on 6.2");
            }
            assertEquals(source.cli("DEBUG", "DIGEST"), same.cli("DEBUG", "DIGEST"));
            assertEquals(source.cli("DEBUG", "DIGEST"), old.cli("DEBUG", "DIGEST"));
            assertEquals("7", old.cli("XPENDING", "stream", "readers").lines().findFirst().orElse(""), "the group's pending entries");
            assertEquals(source.cli("LRANGE", "list-big", "2990", "-1"), old.cli("LRANGE", "list-big", "2990", "-1"));
            assertEquals(source.cli("ZRANGE", "zset-big", "0", "-1", "WITHSCORES"), old.cli("ZRANGE", "zset-big", "0", "-1", "WITHSCORES"));

            Map<String, byte[]> byName = new java.util.HashMap<>();
            for (int i = 0; i < keys.size(); i++) {
                byName.put(new String(keys.get(i), java.nio.charset.StandardCharsets.ISO_8859_1), payloads.get(i));
            }
            byte[] corrupt = byName.get("hash-small").clone();
            corrupt[5] = (byte) 0xee;
            byte[] garbage = {16, 10, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 10, 0, 0, 0, 0, 0, 0, 0, 0, 0}; // a "listpack" of noise, right CRC
            long crc = DumpPayload.crc64(garbage, 0, garbage.length - 8);
            for (int b = 0; b < 8; b++) {
                garbage[garbage.length - 8 + b] = (byte) (crc >>> (8 * b));
            }
            assertTrue(DumpConversion.convertible(garbage, six));
            List<byte[]> mixed = DumpConversion.convert(List.of(corrupt, byName.get("str"), garbage, byName.get("zset-small")), six);
            assertNull(mixed.get(0), "a payload whose CRC is wrong is not converted");
            assertNull(mixed.get(2), "a payload that cannot be parsed is not converted");
            assertNotNull(mixed.get(3), "the others of the same stream still are");
            assertNull(mixed.get(1), "a string needs no conversion");
        } finally {
            vertx.close();
        }
    }

    @Test
    void aSevenZeroPayloadOfATypeSixTwoKnowsRestoresThereOnceReStamped() {
        Vertx vertx = Vertx.vertx();
        try (RedisServer source = RedisServer.start(); RedisServer old = RedisServer.startBinary(RedisServer.redis62Binary(), false);
             BlockingRedis s = BlockingRedis.connect(vertx, RedisEndpoint.parse(source.uri()), 0, Duration.ofSeconds(10));
             BlockingRedis t = BlockingRedis.connect(vertx, RedisEndpoint.parse(old.uri()), 0, Duration.ofSeconds(10))) {
            source.cli("SET", "s", "x".repeat(500)); // type 0, LZF-compressed
            source.cli("SADD", "ints", "1", "2", "300000"); // type 11 intset
            source.cli("HSET", "small-hash", "f", "v"); // type 16 listpack: unknown to 6.2
            DumpPayload.Format six = DumpPayload.Format.of(t.send(Request.cmd(Command.INFO).arg("server")).toString());
            for (Map.Entry<String, Boolean> k : Map.of("s", true, "ints", true, "small-hash", false).entrySet()) {
                byte[] payload = s.send(Request.cmd(Command.DUMP).arg(k.getKey())).toBytes();
                assertEquals(10, DumpPayload.version(payload));
                assertTrue(t.pipeline(java.util.List.of(Request.cmd(Command.RESTORE).arg(k.getKey()).arg(0).arg(Buffer.buffer(payload))))
                        .get(0).error().contains("payload version"), "6.2 refuses the 7.0 payload as it is");
                byte[] again = DumpPayload.restamp(payload, six);
                if (!k.getValue()) {
                    assertNull(again, "a listpack cannot be re-stamped for 6.2");
                    continue;
                }
                assertNotNull(again, k.getKey());
                assertEquals(9, DumpPayload.version(again));
                t.send(Request.cmd(Command.RESTORE).arg(k.getKey()).arg(0).arg(Buffer.buffer(again)));
            }
            assertEquals(source.cli("GET", "s"), old.cli("GET", "s"));
            assertEquals("3", old.cli("SCARD", "ints"));
            assertEquals("1", old.cli("SISMEMBER", "ints", "300000"));
            byte[] corrupt = s.send(Request.cmd(Command.DUMP).arg("s")).toBytes();
            corrupt[3] ^= 1;
            assertNull(DumpPayload.restamp(corrupt, six), "a payload whose CRC is wrong is never re-stamped");
        } finally {
            vertx.close();
        }
    }
}

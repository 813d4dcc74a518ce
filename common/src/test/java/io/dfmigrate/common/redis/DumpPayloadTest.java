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
import java.util.Map;
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

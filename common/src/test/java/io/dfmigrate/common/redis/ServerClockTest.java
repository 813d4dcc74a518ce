package io.dfmigrate.common.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.dfmigrate.common.endpoint.RedisEndpoint;
import io.dfmigrate.localstack.RedisServer;
import io.vertx.core.Vertx;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * A server on this host shares this machine's clock, and its offset is taken as exactly this machine's (a measured one
 * would be off by up to half a round trip, and a source and a target each so: TTLs a few ms apart on a busy machine);
 * a clock that differs by more than the measurement can tell keeps its measured offset.
 */
class ServerClockTest {
    @Test
    void aServerOnThisHostMapsExactlyAndAClockThatDiffersKeepsItsOffset() {
        Vertx vertx = Vertx.vertx();
        try (RedisServer server = RedisServer.start();
             BlockingRedis redis = BlockingRedis.connect(vertx, RedisEndpoint.parse(server.uri()), 0, Duration.ofSeconds(10))) {
            ServerClock.forget();
            long offset = ServerClock.offset(redis);
            long local = System.currentTimeMillis() - ServerClock.now();
            // the local clock read here and inside offset() may be a millisecond apart (both truncate to ms)
            assertEquals(local, offset, 1, "the offset of a server on this host is this machine's own");
        } finally {
            vertx.close();
        }
        assertEquals(1_000, ServerClock.snapped(1_004, 4, 1_000), "within half the round trip and the truncation: the same clock");
        assertEquals(1_010, ServerClock.snapped(1_010, 4, 1_000), "10 ms apart over a 4 ms round trip: a different clock");
        assertEquals(-59_000, ServerClock.snapped(-59_000, 2, 1_000), "a minute behind: measured");
    }
}

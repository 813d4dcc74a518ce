package io.dfmigrate.common.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dfmigrate.common.endpoint.RedisEndpoint;
import io.dfmigrate.localstack.RedisServer;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * TTLs arrive exact on every path of the engine (RESTORE, re-stamped or converted for an older target, by type in
 * chunks, the pipelined read of a source that refuses scripts) even when the source answers the read late: the read
 * waits behind a {@code DEBUG SLEEP} of the source while every core is busy, which put the old estimate of when the TTL
 * was read (the middle of the round trip) hundreds of ms off. Both servers run on this machine, so one clock: each key's
 * deadline on the target must be within 50 ms of the source's.
 */
class TtlExactnessTest {
    static final long TOLERANCE_MS = 50;
    static final long SLEEP_MS = 600;
    static final String DEADLINES = "local t = redis.call('TIME') local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) "
            + "local out = {} for i, k in ipairs(KEYS) do local p = redis.call('PTTL', k) "
            + "if p > 0 then out[i] = now + p else out[i] = p end end return out";
    static Vertx vertx;

    @BeforeAll
    static void setUp() {
        vertx = Vertx.vertx();
    }

    @AfterAll
    static void tearDown() {
        vertx.close();
    }

    static BlockingRedis connect(String uri) {
        return BlockingRedis.connect(vertx, RedisEndpoint.parse(uri), 0, Duration.ofSeconds(30));
    }

    @Test
    void restoredKeysKeepTheirDeadline() {
        try (RedisServer source = RedisServer.start(); RedisServer target = RedisServer.start()) {
            copyWhileTheSourceAnswersLate(source, source.uri(), target, KeySync.Limits.DEFAULT, "RESTORE 7.0 to 7.0");
        }
    }

    @Test
    void reStampedConvertedAndTypedKeysKeepTheirDeadline() {
        try (RedisServer source = RedisServer.start(); RedisServer old = RedisServer.startBinary(RedisServer.redis62Binary(), false)) {
            copyWhileTheSourceAnswersLate(source, source.uri(), old, KeySync.Limits.DEFAULT, "7.0 to 6.2");
        }
    }

    @Test
    void keysCopiedByTypeInChunksKeepTheirDeadline() {
        try (RedisServer source = RedisServer.start(); RedisServer target = RedisServer.start()) {
            copyWhileTheSourceAnswersLate(source, source.uri(), target, new KeySync.Limits(1, 2), "every key big, by type");
        }
    }

    @Test
    void aSourceThatRefusesScriptsIsReadByPipelinesAndKeepsTheDeadlines() {
        try (RedisServer source = RedisServer.start(); RedisServer target = RedisServer.start()) {
            source.cli("ACL", "SETUSER", "noscripts", "on", ">pw", "~*", "+@all", "-@scripting");
            copyWhileTheSourceAnswersLate(source, "redis://noscripts:pw@127.0.0.1:" + source.port(), target, KeySync.Limits.DEFAULT,
                    "pipelines");
        }
    }

    void copyWhileTheSourceAnswersLate(RedisServer source, String sourceUri, RedisServer target, KeySync.Limits limits, String path) {
        source.cli("EVAL", "for i=1,300 do redis.call('SET', 's'..i, string.rep('v', 100), 'PX', 600000 + i * 1000) "
                + "redis.call('HSET', 'h'..i, 'a', i, 'b', 'x') redis.call('PEXPIRE', 'h'..i, 900000 + i) "
                + "redis.call('RPUSH', 'l'..i, 'a', 'b', 'c') redis.call('PEXPIRE', 'l'..i, 700000 + i) end "
                + "redis.call('SET', 'forever', 'x')", "0");
        List<byte[]> keys = new ArrayList<>();
        for (int i = 1; i <= 300; i++) {
            keys.add(("s" + i).getBytes(StandardCharsets.UTF_8));
            keys.add(("h" + i).getBytes(StandardCharsets.UTF_8));
            keys.add(("l" + i).getBytes(StandardCharsets.UTF_8));
        }
        keys.add("forever".getBytes(StandardCharsets.UTF_8));
        AtomicBoolean busy = new AtomicBoolean(true);
        List<Thread> burners = new ArrayList<>();
        for (int i = 0; i < Runtime.getRuntime().availableProcessors(); i++) {
            burners.add(Thread.ofPlatform().start(() -> {
                long x = 0;
                while (busy.get()) {
                    x += System.nanoTime() % 7;
                }
                if (x == 42) {
                    System.out.print("");
                }
            }));
        }
        try (BlockingRedis s = connect(sourceUri); BlockingRedis t = connect(target.uri());
             BlockingRedis sleeper = connect(source.uri())) {
            // warm: the script loaded (or found refused), the target's format and clock known, before the source sleeps, so
            // the read of the keys below is the command that waits for it
            new KeySync(s, t, limits).sync(List.of("forever".getBytes(StandardCharsets.UTF_8)));
            // the source's only thread sleeps: the read below is answered when it wakes, long after it was sent
            CompletableFuture<Response> sleep = CompletableFuture.supplyAsync(
                    () -> sleeper.send(Request.cmd(Command.DEBUG).arg("SLEEP").arg(SLEEP_MS / 1000.0)));
            awaitSleeping(source);
            long t0 = System.nanoTime();
            KeySync.Result r = new KeySync(s, t, limits).sync(keys);
            long took = (System.nanoTime() - t0) / 1_000_000;
            sleep.join();
            assertEquals(0, r.failed(), r.failures().toString());
            assertTrue(took >= SLEEP_MS / 3, path + ": the read waited for the sleeping source (" + took + " ms), or this test proves nothing");
            long[] src = deadlines(source, keys);
            long[] tgt = deadlines(target, keys);
            long worst = 0;
            for (int i = 0; i < keys.size(); i++) {
                String key = new String(keys.get(i), StandardCharsets.UTF_8);
                if (src[i] < 0) {
                    assertEquals(src[i], tgt[i], path + ": " + key);
                    continue;
                }
                worst = Math.max(worst, Math.abs(src[i] - tgt[i]));
                assertTrue(Math.abs(src[i] - tgt[i]) <= TOLERANCE_MS, path + ": " + key + "'s deadline on the target minus the source's: "
                        + (tgt[i] - src[i]) + " ms");
            }
            System.out.printf("%s: %d keys, deadlines at most %d ms apart (the read took %d ms)%n", path, keys.size(), worst, took);
        } finally {
            busy.set(false);
            burners.forEach(b -> {
                try {
                    b.join();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
        }
    }

    /** Waits until the source runs the DEBUG SLEEP (it no longer answers a PING within 100 ms). */
    static void awaitSleeping(RedisServer source) {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (System.nanoTime() < deadline) {
            try (java.net.Socket socket = new java.net.Socket("127.0.0.1", source.port())) {
                socket.setSoTimeout(100);
                socket.getOutputStream().write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
                socket.getInputStream().read();
            } catch (java.net.SocketTimeoutException e) {
                return; // no answer: it sleeps
            } catch (java.io.IOException e) {
                throw new AssertionError(e);
            }
        }
        throw new AssertionError("the source never slept");
    }

    /** Each key's deadline on the server's clock (Unix ms), -1 without TTL, -2 gone: TIME and PTTL read in one script. */
    static long[] deadlines(RedisServer server, List<byte[]> keys) {
        try (BlockingRedis r = connect(server.uri())) {
            Request eval = Request.cmd(Command.EVAL).arg(DEADLINES).arg(keys.size());
            keys.forEach(k -> eval.arg(k));
            Response out = r.send(eval);
            long[] d = new long[keys.size()];
            for (int i = 0; i < d.length; i++) {
                d[i] = out.get(i).toLong();
            }
            return d;
        }
    }
}

package io.dfmigrate.common.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dfmigrate.common.endpoint.RedisEndpoint;
import io.dfmigrate.common.event.MigrationOptions;
import io.dfmigrate.localstack.RedisServer;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** The scope's glob agrees with Redis' own matching (KEYS on a real redis-server), byte for byte. */
class KeyScopeTest {
    static final List<String> PATTERNS = List.of("*", "app:*", "app:?", "a*b*c", "*:*:*", "[ab]*", "[^ab]*", "[a-c]x*",
            "[c-a]x*", "h\\*llo", "h\\?llo*", "*\\[*", "x[", "x[a", "[\\]]*", "*\\", "??", "app:[0-9][0-9]", "**app**", "app:*:v",
            "\u00e9*", "[", "[^]*");

    static final List<byte[]> KEYS = List.of(b("app:1"), b("app:12"), b("app:"), b("app:x:v"), b("app:1:2:v"), b("abc"),
            b("aXbYc"), b("bx"), b("cx1"), b("dx"), b("h*llo"), b("hello"), b("h?llo!"), b("x[a"), b("x["), b("]z"), b("q\\"),
            b("ab"), b("a"), b(""), b("a:b:c"), b("\u00e9t\u00e9"), new byte[] {0, (byte) 0xff, 'a', 'p', 'p'},
            new byte[] {'a', 'p', 'p', ':', (byte) 0x80}, b("zzapp:1zz"), b("["), b("^x"));

    static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void theGlobMatchesExactlyWhatRedisMatches() {
        Vertx vertx = Vertx.vertx();
        try (RedisServer server = RedisServer.start();
             BlockingRedis r = BlockingRedis.connect(vertx, RedisEndpoint.parse(server.uri()), 0, Duration.ofSeconds(10))) {
            for (byte[] k : KEYS) {
                r.send(Request.cmd(Command.SET).arg(Buffer.buffer(k)).arg("v"));
            }
            int compared = 0;
            for (String pattern : PATTERNS) {
                Set<String> redis = new TreeSet<>();
                Response keys = r.send(Request.cmd(Command.KEYS).arg(pattern));
                for (Response k : keys) {
                    redis.add(Base64.getEncoder().encodeToString(k.toBytes()));
                }
                Set<String> ours = new TreeSet<>();
                KeyScope scope = KeyScope.of(List.of(), pattern);
                for (byte[] k : KEYS) {
                    if (scope.matches(0, k)) {
                        ours.add(Base64.getEncoder().encodeToString(k));
                    }
                }
                assertEquals(redis, ours, "pattern '" + pattern + "'");
                compared += KEYS.size();
            }
            assertEquals(PATTERNS.size() * KEYS.size(), compared);
        } finally {
            vertx.close();
        }
    }

    @Test
    void databasesOutsideTheScopeMatchNothing() {
        KeyScope scope = KeyScope.of(new MigrationOptions(null, List.of(0, 2), "app:*", null, null, null, null, null));
        assertTrue(scope.matches(0, b("app:1")));
        assertTrue(scope.matches(2, b("app:1")));
        assertFalse(scope.matches(1, b("app:1")));
        assertFalse(scope.matches(0, b("other")));
        assertFalse(scope.isAll());
        assertTrue(KeyScope.of(MigrationOptions.DEFAULTS).isAll());
        assertTrue(KeyScope.of(null).matches(7, b("anything")));
    }

    @Test
    void aLongKeyAgainstManyStarsIsQuick() {
        byte[] key = new byte[100_000];
        java.util.Arrays.fill(key, (byte) 'a');
        long t0 = System.nanoTime();
        assertFalse(KeyScope.of(List.of(), "*a*a*a*a*a*a*a*a*b").matches(0, key));
        assertTrue((System.nanoTime() - t0) < 5_000_000_000L, "backtracking stays linear in key and pattern");
    }
}

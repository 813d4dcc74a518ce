package io.dfmigrate.validator.service;

import io.dfmigrate.common.endpoint.RedisEndpoint;
import io.dfmigrate.common.redis.BlockingRedis;
import io.dfmigrate.common.redis.KeyScanner;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * What one connection learns about an endpoint: reachability, round-trip latency, INFO fields, keys per database and
 * how many databases it has. Reads only; never writes.
 */
public record EndpointProbe(String role, RedisEndpoint endpoint, String error, double latencyMillis, Map<String, String> info,
                            Map<Integer, Long> keyspace, Integer databases) {

    public boolean reachable() {
        return error == null;
    }

    public boolean isDragonfly() {
        return info.containsKey("dragonfly_version");
    }

    public String product() {
        if (isDragonfly()) {
            return "Dragonfly " + info.get("dragonfly_version");
        }
        if (info.containsKey("valkey_version")) {
            return "Valkey " + info.get("valkey_version");
        }
        return "Redis " + info.getOrDefault("redis_version", "(unknown version)");
    }

    public long totalKeys() {
        return keyspace.values().stream().mapToLong(Long::longValue).sum();
    }

    static EndpointProbe run(Vertx vertx, String role, RedisEndpoint endpoint, Duration timeout) {
        try (BlockingRedis redis = BlockingRedis.connect(vertx, endpoint, endpoint.db() == null ? 0 : endpoint.db(), timeout)) {
            long best = Long.MAX_VALUE;
            for (int i = 0; i < 3; i++) {
                long t0 = System.nanoTime();
                redis.send(Request.cmd(Command.PING));
                best = Math.min(best, System.nanoTime() - t0);
            }
            Map<String, String> info = parseInfo(redis.send(Request.cmd(Command.INFO)).toString());
            Map<Integer, Long> keyspace = KeyScanner.keyspace(redis);
            return new EndpointProbe(role, endpoint, null, best / 1_000_000.0, info, keyspace, databases(redis, info));
        } catch (RuntimeException e) {
            return new EndpointProbe(role, endpoint, BlockingRedis.describe(e), 0, Map.of(), Map.of(), null);
        }
    }

    /** {@code CONFIG GET databases} (Redis) or {@code dbnum} (Dragonfly); null when CONFIG is not permitted. */
    private static Integer databases(BlockingRedis redis, Map<String, String> info) {
        String param = info.containsKey("dragonfly_version") ? "dbnum" : "databases";
        try {
            Response r = redis.send(Request.cmd(Command.CONFIG).arg("GET").arg(param));
            if (r == null) {
                return null;
            }
            if (r.containsKey(param)) { // RESP3 map reply
                return Integer.parseInt(r.get(param).toString());
            }
            return r.size() >= 2 ? Integer.parseInt(r.get(1).toString()) : null;
        } catch (RuntimeException e) {
            return null;
        }
    }

    static Map<String, String> parseInfo(String text) {
        Map<String, String> out = new HashMap<>();
        for (String line : text.split("\r?\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && !line.startsWith("#")) {
                out.put(line.substring(0, colon), line.substring(colon + 1).strip());
            }
        }
        return out;
    }
}

package io.dfmigrate.common.redis;

import io.dfmigrate.common.endpoint.RedisEndpoint;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * Reuses one {@link BlockingRedis} per (endpoint, db) across batches, so a worker does not reconnect (and re-AUTH)
 * for every batch. A connection that failed is dropped by {@link #discard}; the next call reconnects.
 */
public final class RedisConnections implements AutoCloseable {
    private final Vertx vertx;
    private final Duration timeout;
    private final Map<String, BlockingRedis> open = new ConcurrentHashMap<>();

    public RedisConnections(Vertx vertx, Duration timeout) {
        this.vertx = vertx;
        this.timeout = timeout;
    }

    /** {@link SourceServers#byServer} with this pool's Vert.x and timeout. */
    public java.util.Map<RedisEndpoint, java.util.List<byte[]>> byServer(RedisEndpoint source, java.util.List<byte[]> keys) {
        return SourceServers.byServer(vertx, source, keys, timeout);
    }

    public BlockingRedis get(RedisEndpoint endpoint, int db) {
        return open.computeIfAbsent(endpoint.toUri() + "#" + db, k -> BlockingRedis.connect(vertx, endpoint, db, timeout));
    }

    /** Runs {@code work} on the connection; on a connection-level failure drops it so the next call reconnects. */
    public <T> T with(RedisEndpoint endpoint, int db, Function<BlockingRedis, T> work) {
        BlockingRedis redis = get(endpoint, db);
        try {
            return work.apply(redis);
        } catch (RedisCommandException e) {
            discard(endpoint, db);
            throw e;
        }
    }

    public void discard(RedisEndpoint endpoint, int db) {
        BlockingRedis r = open.remove(endpoint.toUri() + "#" + db);
        if (r != null) {
            r.close();
        }
    }

    @Override
    public void close() {
        open.values().forEach(BlockingRedis::close);
        open.clear();
    }
}

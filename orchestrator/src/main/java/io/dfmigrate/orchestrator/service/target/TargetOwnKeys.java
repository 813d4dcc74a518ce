package io.dfmigrate.orchestrator.service.target;

import com.fasterxml.jackson.core.type.TypeReference;
import io.dfmigrate.common.endpoint.RedisEndpoint;
import io.dfmigrate.common.event.Json;
import io.dfmigrate.common.redis.BlockingRedis;
import io.dfmigrate.common.redis.KeyScanner;
import io.dfmigrate.common.redis.SourceServers;
import io.dfmigrate.common.secret.SecretBox;
import io.dfmigrate.orchestrator.config.OrchestratorConfig;
import io.dfmigrate.orchestrator.persistence.TargetOwnKey;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;

/**
 * The keys a target held before a migration with {@code options.overwrite} first started. They are recorded once, at
 * that start (before anything is written), and stay the target's: reconciliations never delete a key only the target
 * has, and the drift watch and the cutover leave those of them the source does not have out of the target's key counts.
 * A key the source has too was overwritten by the migration and counts like any other.
 */
@ApplicationScoped
public class TargetOwnKeys {
    private static final int CHUNK = 1000;

    private final Vertx vertx;
    private final SecretBox box;
    private final OrchestratorConfig config;

    public TargetOwnKeys(Vertx vertx, SecretBox box, OrchestratorConfig config) {
        this.vertx = vertx;
        this.box = box;
        this.config = config;
    }

    /** What a scan of the target found: db → key names, or only how many there were beyond the limit ({@code keys} null). */
    public record Scanned(Map<Integer, List<byte[]>> keys, long count) {
    }

    /** Scans every database of {@code dbs} on the target; stops as soon as more than the configured limit is found. */
    public Scanned scan(String targetSealed, UUID id, Iterable<Integer> dbs) {
        RedisEndpoint target = RedisEndpoint.parse(box.open(targetSealed, SecretBox.context(id, SecretBox.TARGET)));
        int limit = config.targetOwnKeysLimit();
        Map<Integer, List<byte[]>> keys = new TreeMap<>();
        long[] count = {0};
        for (int db : dbs) {
            List<byte[]> names = new ArrayList<>();
            try (BlockingRedis r = BlockingRedis.connect(vertx, target, db, config.redisTimeout())) {
                new KeyScanner(r, "*", CHUNK).scan(CHUNK, Integer.MAX_VALUE, batch -> {
                    count[0] += batch.size();
                    if (count[0] > limit) {
                        throw new OverLimit();
                    }
                    names.addAll(batch);
                });
            } catch (OverLimit e) {
                return new Scanned(null, count[0]);
            }
            keys.put(db, names);
        }
        return new Scanned(keys, count[0]);
    }

    /** Ends a scan that found more keys than can be recorded. */
    private static final class OverLimit extends RuntimeException {
        OverLimit() {
            super(null, null, false, false);
        }
    }

    /** Stores what {@link #scan} found (in the caller's transaction); returns how many keys. */
    public static long store(UUID id, Map<Integer, List<byte[]>> keys) {
        long n = 0;
        for (var e : keys.entrySet()) {
            for (byte[] name : e.getValue()) {
                TargetOwnKey k = new TargetOwnKey();
                k.migrationId = id;
                k.db = e.getKey();
                k.key = name;
                k.persist();
                n++;
            }
        }
        return n;
    }

    /**
     * Per database, the recorded keys that the target still holds without a TTL and the source does not have: the
     * number to leave out of the target's count of keys without a TTL. Read now, from both servers.
     */
    Map<Integer, Long> count(UUID id, String sourceSealed, String targetSealed) {
        Map<Integer, List<byte[]>> recorded = QuarkusTransaction.requiringNew().call(() -> {
            Map<Integer, List<byte[]>> byDb = new TreeMap<>();
            for (TargetOwnKey k : TargetOwnKey.<TargetOwnKey>list("migrationId", id)) {
                byDb.computeIfAbsent(k.db, d -> new ArrayList<>()).add(k.key);
            }
            return byDb;
        });
        RedisEndpoint source = RedisEndpoint.parse(box.open(sourceSealed, SecretBox.context(id, SecretBox.SOURCE)));
        RedisEndpoint target = RedisEndpoint.parse(box.open(targetSealed, SecretBox.context(id, SecretBox.TARGET)));
        Map<Integer, Long> own = new TreeMap<>();
        for (var e : recorded.entrySet()) {
            long n = 0;
            // one group unless the source is a Redis Cluster: then each key is looked for on its slot's master
            for (var group : SourceServers.byServer(vertx, source, e.getValue(), config.redisTimeout()).entrySet()) {
                n += notOnSource(group.getKey(), target, e.getKey(), group.getValue());
            }
            if (n > 0) {
                own.put(e.getKey(), n);
            }
        }
        return own;
    }

    /** Of {@code names} in {@code db}: how many the target holds without a TTL and {@code server} does not have. */
    private long notOnSource(RedisEndpoint server, RedisEndpoint target, int db, List<byte[]> names) {
        long n = 0;
        try (BlockingRedis s = BlockingRedis.connect(vertx, server, db, config.redisTimeout());
             BlockingRedis t = BlockingRedis.connect(vertx, target, db, config.redisTimeout())) {
            for (int from = 0; from < names.size(); from += CHUNK) {
                List<byte[]> chunk = names.subList(from, Math.min(names.size(), from + CHUNK));
                List<Request> exists = new ArrayList<>(chunk.size());
                List<Request> ttls = new ArrayList<>(chunk.size());
                for (byte[] name : chunk) {
                    exists.add(Request.cmd(Command.EXISTS).arg(name));
                    ttls.add(Request.cmd(Command.PTTL).arg(name));
                }
                List<BlockingRedis.Result> onSource = s.pipeline(exists);
                List<BlockingRedis.Result> onTarget = t.pipeline(ttls);
                for (int i = 0; i < chunk.size(); i++) {
                    if (onSource.get(i).ok() && onSource.get(i).response().toLong() == 0
                            && onTarget.get(i).ok() && onTarget.get(i).response().toLong() == -1) {
                        n++;
                    }
                }
            }
        }
        return n;
    }

    static String json(Map<Integer, Long> counts) {
        return Json.write(counts);
    }

    public static Map<Integer, Long> counts(String json) {
        return Json.read(json, new TypeReference<TreeMap<Integer, Long>>() { });
    }
}

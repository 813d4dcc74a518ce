package io.dfmigrate.copier.service;

import io.dfmigrate.common.endpoint.RedisEndpoint;
import io.dfmigrate.common.event.EventTypes;
import io.dfmigrate.common.event.KeyDifference;
import io.dfmigrate.common.event.MigrationOptions;
import io.dfmigrate.common.event.PhaseEvent;
import io.dfmigrate.common.event.RunKey;
import io.dfmigrate.common.event.StatusEvent;
import io.dfmigrate.common.event.VerifyBatch;
import io.dfmigrate.common.event.VerifyRequest;
import io.dfmigrate.common.messaging.StatusPublisher;
import io.dfmigrate.common.redis.KeyVerifier;
import io.dfmigrate.common.redis.RateLimiter;
import io.dfmigrate.common.redis.RedisCommandException;
import io.dfmigrate.common.redis.RedisConnections;
import io.dfmigrate.common.redis.SourceServers;
import io.vertx.core.Vertx;
import io.dfmigrate.common.secret.SecretBox;
import io.dfmigrate.copier.config.CopierConfig;
import io.dfmigrate.copier.messaging.AppliedChanges;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Predicate;
import org.jboss.logging.Logger;

/**
 * Verification, scaled like the copy: {@link #scan} (one instance, from {@code dfm.phase.verify.v1}) SCANs the source
 * (and in full mode the target, for keys only the target has) into {@code dfm.verify.batch.v1} batches on the copy's
 * batch topic; {@link #verify} (every instance, its share of the partitions) compares one batch with {@link KeyVerifier}
 * and reports the differences on {@code dfm.status}. A verification never touches the target's data.
 */
@ApplicationScoped
public class VerifyService {
    private static final Logger LOG = Logger.getLogger(VerifyService.class);

    private final CopyService copy;
    private final KeyBatches batches;
    private final RedisConnections connections;
    private final CopierConfig config;
    private final StatusPublisher status;
    private final AppliedChanges applied;
    private final Vertx vertx;
    /** Per migration: the latest verification's rate limiter, when options.maxSourceOpsPerSecond is set. */
    private final Map<String, Map.Entry<Integer, RateLimiter>> limiters = new ConcurrentHashMap<>();

    public VerifyService(CopyService copy, KeyBatches batches, RedisConnections connections, CopierConfig config, StatusPublisher status,
            AppliedChanges applied, Vertx vertx) {
        this.vertx = vertx;
        this.applied = applied;
        this.copy = copy;
        this.batches = batches;
        this.connections = connections;
        this.config = config;
        this.status = status;
    }

    public void scan(PhaseEvent.Verify phase) {
        RunKey run = RunKey.of(phase);
        VerifyRequest v = phase.verify();
        if (v == null) {
            return;
        }
        copy.begin(run);
        try {
            scan(phase, run, v);
        } catch (RedisCommandException | SecretBox.SecretException e) {
            LOG.errorf("migration %s: verification %d: scan failed: %s", phase.migrationId(), v.number(), e.getMessage());
            status.publish(StatusEvent.verifyScan(run, status.worker(),
                    new StatusEvent.VerifyScanCounts(v.number(), null, 0, "scanning for the verification failed: " + e.getMessage())));
        } finally {
            copy.end(run);
        }
    }

    private void scan(PhaseEvent.Verify phase, RunKey run, VerifyRequest v) {
        String id = phase.migrationId();
        MigrationOptions options = phase.options() == null ? MigrationOptions.DEFAULTS : phase.options().withDefaults();
        RedisEndpoint source = copy.open(phase.source(), id, SecretBox.SOURCE);
        RedisEndpoint target = copy.open(phase.target(), id, SecretBox.TARGET);
        Map<Integer, Long> src = copy.keyspace(source);
        Map<Integer, Long> tgt = v.sampling() ? Map.of() : copy.keyspace(target);
        List<Integer> chosen = v.dbs() != null && !v.dbs().isEmpty() ? v.dbs() : options.dbs();
        TreeSet<Integer> all = new TreeSet<>(src.keySet());
        all.addAll(tgt.keySet());
        List<Integer> dbs = chosen.isEmpty() ? List.copyOf(all) : chosen;
        String pattern = v.keyPattern() != null ? v.keyPattern() : options.keyPattern();
        long sourceKeys = dbs.stream().mapToLong(db -> src.getOrDefault(db, 0L)).sum();
        long estimate = v.sampling() ? Math.min(sourceKeys, v.sample()) : sourceKeys;
        status.publish(StatusEvent.verifyScan(run, status.worker(), new StatusEvent.VerifyScanCounts(v.number(), null, estimate, null)));
        double share = v.sampling() && sourceKeys > 0 ? Math.min(1.0, (double) v.sample() / sourceKeys) : 1.0;
        Predicate<byte[]> keep = share >= 1.0 ? k -> true : k -> ThreadLocalRandom.current().nextDouble() < share;
        RateLimiter limit = limiter(id, v, options);
        String prefix = run + ":v" + v.number() + ":";
        KeyBatches.Published s = batches.publish(id, EventTypes.VERIFY_BATCH, prefix + VerifyBatch.SOURCE_SIDE + ":", source,
                dbs.stream().filter(src::containsKey).toList(), pattern, limit, keep, () -> false,
                (batchId, db, names, shard) -> new VerifyBatch(EventTypes.VERIFY_BATCH, batchId, id, run.run(), db, VerifyBatch.SOURCE_SIDE,
                        names, phase.source(), phase.target(), options, v));
        KeyBatches.Published t = v.sampling() ? new KeyBatches.Published(0, 0, null) : batches.publish(id, EventTypes.VERIFY_BATCH, prefix + VerifyBatch.TARGET_SIDE + ":",
                target, dbs.stream().filter(tgt::containsKey).toList(), pattern, null, k -> true, () -> false,
                (batchId, db, names, shard) -> new VerifyBatch(EventTypes.VERIFY_BATCH, batchId, id, run.run(), db, VerifyBatch.TARGET_SIDE,
                        names, phase.source(), phase.target(), options, v));
        status.publish(StatusEvent.verifyScan(run, status.worker(),
                new StatusEvent.VerifyScanCounts(v.number(), s.batches() + t.batches(), s.keys() + t.keys(), null)));
        LOG.infof("migration %s run %d: verification %d (%s) queued %d source and %d target key name(s) in %d batch(es)", id, run.run(),
                v.number(), v.mode(), s.keys(), t.keys(), s.batches() + t.batches());
    }

    private RateLimiter limiter(String migrationId, VerifyRequest v, MigrationOptions options) {
        if (options.maxSourceOpsPerSecond() == null) {
            return null;
        }
        return limiters.compute(migrationId, (k, old) -> old != null && old.getKey() == v.number() ? old
                : Map.entry(v.number(), new RateLimiter(options.maxSourceOpsPerSecond()))).getValue();
    }

    public void verify(VerifyBatch b) {
        RunKey run = b.runKey();
        VerifyRequest v = b.verify();
        if (v == null) {
            return;
        }
        copy.begin(run);
        try {
            verify(b, run, v);
        } finally {
            copy.end(run);
        }
    }

    private void verify(VerifyBatch b, RunKey run, VerifyRequest v) {
        RedisEndpoint source;
        RedisEndpoint target;
        try {
            source = copy.open(b.source(), b.migrationId(), SecretBox.SOURCE);
            target = copy.open(b.target(), b.migrationId(), SecretBox.TARGET);
        } catch (SecretBox.SecretException e) {
            status.publish(StatusEvent.verifyScan(run, status.worker(), new StatusEvent.VerifyScanCounts(v.number(), null, 0,
                    "the copier cannot open the endpoint credentials (" + e.getMessage() + "): give it the orchestrator's DFM_SECRET_KEY")));
            return;
        }
        KeyVerifier.Settings settings = new KeyVerifier.Settings(v.ttlToleranceMillis(), config.chunkElements(),
                config.verifyRecheckDelays(), b.options() == null ? null : limiter(b.migrationId(), v, b.options()))
                .withApplied(() -> applied.await(run, config.verifyAppliedWait()));
        RedisCommandException last = null;
        long startedAt = System.nanoTime();
        for (int attempt = 1; copy.again(source, attempt, startedAt); attempt++) {
            try {
                KeyVerifier.Result r = KeyVerifier.Result.NONE;
                // one group unless the source is a Redis Cluster: then each key is read from its slot's master
                for (var group : SourceServers.byServer(vertx, source, b.keys(), config.timeout()).entrySet()) {
                    r = r.plus(new KeyVerifier(connections.get(group.getKey(), b.db()), connections.get(target, b.db()), settings)
                            .verify(group.getValue(), VerifyBatch.SOURCE_SIDE.equals(b.side())));
                }
                report(b, run, v, r);
                return;
            } catch (RedisCommandException e) {
                last = e;
                copy.discard(source, b.db());
                connections.discard(target, b.db());
                LOG.warnf("migration %s verify batch %s: attempt %d failed: %s", b.migrationId(), b.batchId(), attempt, e.getMessage());
                sleep(Math.min(2000, 500L * attempt));
            }
        }
        status.publish(StatusEvent.verifyScan(run, status.worker(), new StatusEvent.VerifyScanCounts(v.number(), null, 0,
                "verifying batch " + b.batchId() + " failed: " + last.getMessage())));
    }

    /** The differences in parts small enough for one Kafka message; {@code checked} rides on the last part. */
    private void report(VerifyBatch b, RunKey run, VerifyRequest v, KeyVerifier.Result r) {
        List<KeyDifference> diffs = r.differences();
        int per = config.verifyDifferencesPerReport();
        int parts = Math.max(1, (diffs.size() + per - 1) / per);
        for (int part = 0; part < parts; part++) {
            List<KeyDifference> slice = diffs.subList(Math.min(diffs.size(), part * per), Math.min(diffs.size(), (part + 1) * per));
            status.publish(StatusEvent.verifyBatchDone(run, status.worker(), new StatusEvent.VerifyBatchResult(v.number(), b.batchId(),
                    part, parts, part == parts - 1 ? r.checked() : 0, List.copyOf(slice))));
        }
        if (!diffs.isEmpty()) {
            LOG.infof("migration %s verification %d batch %s: %d of %d key(s) differ", b.migrationId(), v.number(), b.batchId(),
                    diffs.size(), r.checked());
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}

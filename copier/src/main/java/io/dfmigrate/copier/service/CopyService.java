package io.dfmigrate.copier.service;

import io.dfmigrate.common.endpoint.RedisEndpoint;
import io.dfmigrate.common.event.CopyBatch;
import io.dfmigrate.common.event.EndpointRef;
import io.dfmigrate.common.event.EventTypes;
import io.dfmigrate.common.event.KeyFailure;
import io.dfmigrate.common.event.MigrationOptions;
import io.dfmigrate.common.event.PhaseEvent;
import io.dfmigrate.common.event.RunKey;
import io.dfmigrate.common.event.StatusEvent;
import io.dfmigrate.common.messaging.StatusPublisher;
import io.dfmigrate.common.redis.BlockingRedis;
import io.dfmigrate.common.redis.CopyModes;
import io.dfmigrate.common.redis.CopyProgress;
import io.dfmigrate.common.redis.KeyScanner;
import io.dfmigrate.common.redis.KeySync;
import io.dfmigrate.common.redis.RateLimiter;
import io.dfmigrate.common.redis.RedisCommandException;
import io.dfmigrate.common.redis.RedisConnections;
import io.dfmigrate.common.redis.SourceServers;
import io.dfmigrate.common.secret.SecretBox;
import io.dfmigrate.copier.config.CopierConfig;
import io.quarkus.scheduler.Scheduled;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.jboss.logging.Logger;

/**
 * The initial copy. {@link #scan} (one instance per migration run) SCANs the source and publishes key-name batches;
 * {@link #copy} (every instance, its share of the partitions) syncs one batch with the key-sync engine and acknowledges
 * it on {@code dfm.status} with an idempotency id, so a redelivered batch is copied again but counted once.
 */
@ApplicationScoped
public class CopyService {
    private static final Logger LOG = Logger.getLogger(CopyService.class);
    private static final int MAX_REPORTED_FAILURES = 20;

    private final Vertx vertx;
    private final RedisConnections connections;
    private final CopierConfig config;
    private final SecretBox box;
    private final StatusPublisher status;
    private final KeyBatches batches;
    private final Set<RunKey> endedRuns = ConcurrentHashMap.newKeySet();
    private final KeySync.Limits limits;
    private final SnapshotCopy snapshots;
    /** Migration runs this instance is working on (scan or batches), with how many tasks: heartbeats are sent for them. */
    private final Map<RunKey, AtomicInteger> busy = new ConcurrentHashMap<>();
    /** Live totals per migration run this instance copied for, and what the last report said (for the rate). */
    private final Map<RunKey, RunProgress> progress = new ConcurrentHashMap<>();
    /** Per migration run: one rate limiter for this instance when options.maxSourceOpsPerSecond is set. */
    private final Map<RunKey, RateLimiter> limiters = new ConcurrentHashMap<>();

    private static final class RunProgress {
        final CopyProgress counters = new CopyProgress();
        long lastKeys;
        long lastNanos = System.nanoTime();
    }

    public CopyService(Vertx vertx, RedisConnections connections, CopierConfig config, SecretBox box, StatusPublisher status,
                       KeyBatches batches) {
        this.vertx = vertx;
        this.connections = connections;
        this.config = config;
        this.box = box;
        this.status = status;
        this.batches = batches;
        this.limits = new KeySync.Limits(config.bigKeyBytes(), config.chunkElements());
        this.snapshots = new SnapshotCopy(this, connections, config, limits);
    }

    /** A stop, complete or failure of this run was announced: its remaining batches are dropped. */
    public void markEnded(RunKey run) {
        endedRuns.add(run);
    }

    public boolean ended(RunKey run) {
        return endedRuns.contains(run);
    }

    /**
     * Every {@code dfm.copier.progress-interval} (1 s): the totals of each run this instance copies for, including batches not
     * acknowledged yet and big keys half way through, with the rate since the previous report. A run that is no longer busy
     * gets one last report, then none.
     */
    // delayed: right after start the status channel is not wired yet, and there is nothing to report
    @Scheduled(every = "${dfm.copier.progress-interval}", delayed = "5s", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void reportProgress() {
        for (var e : progress.entrySet()) {
            RunProgress p = e.getValue();
            long keys = p.counters.keys.sum();
            long now = System.nanoTime();
            double rate = (keys - p.lastKeys) / Math.max(0.001, (now - p.lastNanos) / 1e9);
            boolean idle = !busy.containsKey(e.getKey());
            p.lastKeys = keys;
            p.lastNanos = now;
            try {
                status.publish(StatusEvent.copyProgress(e.getKey(), status.worker(), new StatusEvent.Progress(keys,
                        p.counters.bytes.sum(), p.counters.failed.sum(), p.counters.structural.sum(), p.counters.elements.sum(),
                        Math.round(rate * 10) / 10.0)));
            } catch (RuntimeException ex) {
                LOG.debugf("progress of %s not sent: %s", e.getKey(), ex.toString());
            }
            if (idle) {
                progress.remove(e.getKey());
            }
        }
    }

    /** Sends a heartbeat for every migration run this instance is busy with. */
    // delayed: right after start the status channel is not wired yet, and there is nothing to report
    @Scheduled(every = "${dfm.copier.heartbeat-interval}", delayed = "5s", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void heartbeat() {
        for (RunKey run : busy.keySet()) {
            try {
                status.publish(StatusEvent.heartbeat(run, status.worker()));
            } catch (RuntimeException e) {
                LOG.warnf("heartbeat for migration %s not sent: %s", run.migrationId(), e.toString());
            }
        }
    }

    void begin(RunKey run) {
        busy.computeIfAbsent(run, k -> new AtomicInteger()).incrementAndGet();
    }

    void end(RunKey run) {
        busy.computeIfPresent(run, (k, tasks) -> tasks.decrementAndGet() <= 0 ? null : tasks);
    }

    public void scan(PhaseEvent.Copy phase) {
        RunKey run = RunKey.of(phase);
        begin(run);
        try {
            scanSource(phase, run);
        } finally {
            end(run);
        }
    }

    private void scanSource(PhaseEvent.Copy phase, RunKey run) {
        String id = phase.migrationId();
        MigrationOptions options = phase.options() == null ? MigrationOptions.DEFAULTS : phase.options().withDefaults();
        LOG.infof("migration %s run %d: copy command taken, reading the source (copyMode %s)", id, phase.run(), options.copyMode());
        try {
            RedisEndpoint source = open(phase.source(), phase.migrationId(), SecretBox.SOURCE);
            Map<Integer, Long> keyspace = keyspace(source);
            List<Integer> dbs = options.dbs().isEmpty() ? List.copyOf(keyspace.keySet()) : options.dbs();
            long estimate = dbs.stream().mapToLong(db -> keyspace.getOrDefault(db, 0L)).sum();
            CopyModes.Choice copy = choose(options, source);
            LOG.infof("migration %s run %d: %s copy (%s)", id, phase.run(), copy.mode(), copy.reason());
            status.publish(StatusEvent.scanStarted(run, status.worker(), estimate, new StatusEvent.CopyMode(copy.mode(), copy.reason())));
            boolean snapshot = MigrationOptions.COPY_SNAPSHOT.equals(copy.mode());
            long t0 = System.nanoTime();
            KeyBatches.Published counts;
            if (snapshot) {
                long[] copied = snapshots.copy(phase, options, source, open(phase.target(), id, SecretBox.TARGET), dbs);
                counts = copied == null ? null : new KeyBatches.Published(copied[0], copied[1], null);
            } else {
                counts = scan(phase, options, source, dbs, run + ":");
            }
            if (counts == null) {
                return;
            }
            status.publish(StatusEvent.scanCompleted(run, status.worker(),
                    new StatusEvent.ScanCounts(counts.batches(), counts.keys(), null, counts.shards())));
            LOG.infof("migration %s run %d: %s %d key(s) of %d database(s) in %d batch(es) in %d ms", id, phase.run(),
                    snapshot ? "copied from the source's snapshot" : "scanned", counts.keys(), dbs.size(), counts.batches(),
                    (System.nanoTime() - t0) / 1_000_000);
        } catch (RedisCommandException | SecretBox.SecretException e) {
            LOG.errorf("migration %s: scan failed: %s", id, e.getMessage());
            status.publish(StatusEvent.failed(run, status.worker(), "scan", "scanning the source failed: " + e.getMessage()));
        } catch (RuntimeException e) {
            reportOrRethrow(run, "scan", "the copy's scan failed", e);
        }
    }

    /** options.copyMode as given; for auto, the snapshot where the source (its current master) allows it, else the scan. */
    private CopyModes.Choice choose(MigrationOptions options, RedisEndpoint source) {
        if (!MigrationOptions.COPY_AUTO.equals(options.copyMode()) || source.cluster()) {
            return CopyModes.choose(options, source, null); // decided without asking the source
        }
        try (BlockingRedis server = BlockingRedis.connect(vertx, source, 0, config.timeout())) {
            return CopyModes.choose(options, source, server);
        }
    }

    /**
     * Something else than Redis failed a scan (Kafka did not acknowledge a batch or a report in time): the migration is
     * told, with the reason, instead of the command channel failing silently. If even that report cannot be sent, the
     * exception goes on: the channel fails, the copier's health turns DOWN (its liveness probe restarts it) and Kafka
     * hands the uncommitted command to a copier again.
     */
    private void reportOrRethrow(RunKey run, String step, String what, RuntimeException e) {
        LOG.errorf(e, "migration %s run %d: %s", run.migrationId(), run.run(), what);
        try {
            status.publish(StatusEvent.failed(run, status.worker(), step, what + ": " + e));
        } catch (RuntimeException unreported) {
            e.addSuppressed(unreported);
            throw e;
        }
    }

    /**
     * Reconciliation pass: every key name of the source and of the target (in the migration's scope: dbs and keyPattern)
     * goes through the key-sync engine again, so keys the capture missed are re-copied and keys gone from the source (a
     * FLUSHALL, a missed DEL) are deleted from the target. The target is scanned only when every key it holds in the scope
     * is the migration's own: it was empty at the start ({@code overwrite} off) and nobody else could write to it since
     * (the write guard on). Otherwise only the source is scanned, and a key only the target has is never deleted: it may
     * be the target's own from before the migration, or an application's written to an unguarded target.
     */
    public void reconcile(PhaseEvent.Reconcile phase) {
        RunKey run = RunKey.of(phase);
        begin(run);
        String id = phase.migrationId();
        int pass = phase.pass() == null ? 0 : phase.pass();
        MigrationOptions options = phase.options() == null ? MigrationOptions.DEFAULTS : phase.options().withDefaults();
        try {
            RedisEndpoint source = open(phase.source(), phase.migrationId(), SecretBox.SOURCE);
            RedisEndpoint target = open(phase.target(), phase.migrationId(), SecretBox.TARGET);
            Map<Integer, Long> src = keyspace(source);
            Map<Integer, Long> tgt = keyspace(target);
            TreeSet<Integer> all = new TreeSet<>(src.keySet());
            all.addAll(tgt.keySet());
            List<Integer> dbs = options.dbs().isEmpty() ? List.copyOf(all) : options.dbs();
            String prefix = run + ":r" + pass + ":";
            ReconcileScope scope = ReconcileScope.of(vertx, config.timeout(), phase, source);
            KeyBatches.Published fromSource = scan(phase, options, source, scope.servers(), dbs.stream().filter(src::containsKey).toList(),
                    k -> true, prefix + "s:");
            // A key only the target has cannot be told from one the source deleted while the capture was blind when the target
            // may hold keys of others: so the target is scanned only when it holds none (a full verification lists such keys;
            // docs/operations.md).
            KeyBatches.Published fromTarget = fromSource == null ? null
                    : !targetHoldsOnlyOurKeys(options) ? new KeyBatches.Published(0, 0, null)
                    : scan(phase, options, target, a -> true, dbs.stream().filter(tgt::containsKey).toList(), scope.targetKeys(), prefix + "t:");
            if (fromTarget == null) {
                return;
            }
            status.publish(StatusEvent.scanCompleted(run, status.worker(), fromSource.batches() + fromTarget.batches(),
                    fromSource.keys() + fromTarget.keys(), pass));
            LOG.infof("migration %s run %d: reconciliation pass %d queued %d source and %d target key name(s)%s%s", id, phase.run(), pass,
                    fromSource.keys(), fromTarget.keys(), scope.masters() == null ? "" : " of master(s) " + scope.masters(),
                    targetHoldsOnlyOurKeys(options) ? ""
                            : " (the target may hold keys of others: keys only it has are kept)");
        } catch (RedisCommandException | SecretBox.SecretException e) {
            status.publish(StatusEvent.failed(run, status.worker(), "reconcile", "reconciliation scan failed: " + e.getMessage()));
        } catch (RuntimeException e) {
            reportOrRethrow(run, "reconcile", "the reconciliation's scan failed", e);
        } finally {
            end(run);
        }
    }

    /**
     * Whether every key the target holds in the migration's scope was written by the migration: the target had none at the
     * start ({@code overwrite} off, checked by validation) and the write guard kept everyone else from writing since.
     */
    static boolean targetHoldsOnlyOurKeys(MigrationOptions options) {
        return !Boolean.TRUE.equals(options.overwrite()) && !Boolean.FALSE.equals(options.guardTarget());
    }

    /** Keys per database of {@code endpoint}: of every master together for a Redis Cluster (asked again through a failover). */
    Map<Integer, Long> keyspace(RedisEndpoint endpoint) {
        long startedAt = System.nanoTime();
        for (int attempt = 1; ; attempt++) {
            try {
                Map<Integer, Long> all = new java.util.TreeMap<>();
                for (RedisEndpoint server : SourceServers.of(vertx, endpoint, config.timeout())) {
                    try (BlockingRedis r = BlockingRedis.connect(vertx, server, 0, config.timeout())) {
                        KeyScanner.keyspace(r).forEach((db, n) -> all.merge(db, n, Long::sum));
                    }
                }
                return all;
            } catch (RedisCommandException e) {
                if (!endpoint.cluster() || !again(endpoint, attempt + config.retries(), startedAt)) {
                    throw e;
                }
                SourceServers.forget(endpoint);
                sleep(1000);
            }
        }
    }

    /** SCANs {@code dbs} of {@code from} into batches with ids {@code <prefix><db>:<seq>}; what was published, or null if the run ended. */
    private KeyBatches.Published scan(PhaseEvent phase, MigrationOptions options, RedisEndpoint from, List<Integer> dbs, String prefix) {
        return scan(phase, options, from, a -> true, dbs, k -> true, prefix);
    }

    /** The same for the servers of {@code from} that {@code servers} accepts, and the names that {@code keep} accepts. */
    private KeyBatches.Published scan(PhaseEvent phase, MigrationOptions options, RedisEndpoint from, Predicate<String> servers,
                                      List<Integer> dbs, Predicate<byte[]> keep, String prefix) {
        String id = phase.migrationId();
        RunKey run = RunKey.of(phase);
        RateLimiter scanLimit = options.maxSourceOpsPerSecond() == null ? null
                : limiters.computeIfAbsent(run, k -> new RateLimiter(options.maxSourceOpsPerSecond()));
        KeyBatches.Published counts = batches.publish(id, EventTypes.COPY_BATCH, prefix, from, servers, dbs, options.keyPattern(),
                scanLimit, keep, () -> ended(run), (batchId, db, names, shard) -> new CopyBatch(EventTypes.COPY_BATCH, batchId, id,
                        phase.run(), db, names, phase.source(), phase.target(), options, phase.pass(), shard));
        if (counts == null) {
            LOG.infof("migration %s run %d ended; scan abandoned", id, phase.run());
        }
        return counts;
    }

    public void copy(CopyBatch batch) {
        RunKey run = batch.runKey();
        if (ended(run)) {
            return;
        }
        begin(run);
        try {
            copyBatch(batch, run);
        } finally {
            end(run);
        }
    }

    private void copyBatch(CopyBatch batch, RunKey run) {
        RedisEndpoint source;
        RedisEndpoint target;
        try {
            source = open(batch.source(), batch.migrationId(), SecretBox.SOURCE);
            target = open(batch.target(), batch.migrationId(), SecretBox.TARGET);
        } catch (SecretBox.SecretException e) {
            status.publish(StatusEvent.failed(run, status.worker(), "copy",
                    "the copier cannot open the endpoint credentials (" + e.getMessage() + "): give it the orchestrator's DFM_SECRET_KEY"));
            return;
        }
        RedisCommandException first = null;
        RedisCommandException last = null;
        long startedAt = System.nanoTime();
        // hand-written, not @Retry: a failed attempt must discard the pooled connections before the next one
        for (int attempt = 1; again(source, attempt, startedAt); attempt++) {
            try {
                long t0 = System.nanoTime();
                CopyProgress live = batch.pass() == null ? progress.computeIfAbsent(run, k -> new RunProgress()).counters : null;
                // Without overwrite the target had none of the keys at start. With the write guard on nobody else writes to it, so
                // every key found there is this copy's own (a retried batch) and is replaced. Without the guard others may write:
                // the initial copy then never replaces a key the target has (a reported conflict). Reconciliation converges both.
                boolean keep = batch.pass() == null && batch.options() != null && !Boolean.TRUE.equals(batch.options().overwrite())
                        && Boolean.FALSE.equals(batch.options().guardTarget());
                KeySync.Result r = KeySync.Result.NONE;
                // one group unless the source is a Redis Cluster: then each key is read from its slot's master
                for (var group : SourceServers.byServer(vertx, source, batch.keys(), config.timeout()).entrySet()) {
                    r = r.plus(new KeySync(connections.get(group.getKey(), batch.db()), connections.get(target, batch.db()),
                            limitsFor(batch)).reporting(live).keepingExisting(keep).forRun(batch.migrationId(), batch.run()).sync(group.getValue()));
                }
                long t1 = System.nanoTime();
                acknowledge(run, batch.batchId(), batch.keys().size(), r, batch.pass(), batch.shard());
                if (LOG.isDebugEnabled()) {
                    LOG.debugf("batch %s: %d key(s) synced in %d ms, acknowledged in %d ms", batch.batchId(), batch.keys().size(),
                            (t1 - t0) / 1_000_000, (System.nanoTime() - t1) / 1_000_000);
                }
                return;
            } catch (RedisCommandException e) {
                first = first == null ? e : first;
                last = e;
                discard(source, batch.db());
                connections.discard(target, batch.db());
                LOG.warnf("migration %s batch %s: attempt %d failed: %s", batch.migrationId(), batch.batchId(), attempt, e.getMessage());
                sleep(Math.min(2000, 500L * attempt));
            }
        }
        // the first failure is often the cause (a target out of memory), later ones its consequence (a closed connection)
        String cause = first.getMessage().equals(last.getMessage()) ? "" : "; first attempt: " + first.getMessage();
        status.publish(StatusEvent.failed(run, status.worker(), "copy", "copy failed after " + (System.nanoTime() - startedAt) / 1_000_000_000
                + " s of attempts: " + last.getMessage() + cause));
    }

    /**
     * Whether attempt {@code attempt} (from 1) of work begun at {@code startedAt} (nanoTime) may run: up to
     * {@code retries} attempts, and for a source whose masters can change (a cluster, a Sentinel's master) as many as
     * fit in {@code failover-wait}.
     */
    boolean again(RedisEndpoint source, int attempt, long startedAt) {
        boolean failover = source.cluster() || source.sentinelMaster() != null;
        return attempt <= config.retries() || failover && System.nanoTime() - startedAt < config.failoverWait().toNanos();
    }

    /**
     * After a failure: the pooled connections to the source's servers are made again, and a cluster's masters asked for
     * again (a failover or a moved slot), at the next attempt.
     */
    void discard(RedisEndpoint source, int db) {
        if (source.cluster()) {
            try {
                SourceServers.nodes(vertx, source, config.timeout()).masters().forEach(m -> connections.discard(m.endpoint(), db));
            } catch (RuntimeException e) {
                // the cluster does not answer: its connections are made again as they fail
            }
            SourceServers.forget(source);
        }
        connections.discard(source, db);
    }

    /** Reports a batch done (its failed keys logged, the first of them in the report). */
    void acknowledge(RunKey run, String batchId, int keys, KeySync.Result r, Integer pass, String shard) {
        List<KeyFailure> reported = r.failures().size() > MAX_REPORTED_FAILURES ? r.failures().subList(0, MAX_REPORTED_FAILURES) : r.failures();
        r.failures().forEach(f -> LOG.warnf("migration %s db %d key '%s': %s", run.migrationId(), f.db(), f.key(), f.reason()));
        status.publish(StatusEvent.batchDone(run, status.worker(),
                new StatusEvent.BatchResult(batchId, keys, r.failed(), r.bytes(), r.deleted(), r.structural(), List.copyOf(reported), pass,
                        shard)));
    }

    /** The live totals of the initial copy of {@code run} on this instance. */
    CopyProgress liveCounters(RunKey run) {
        return progress.computeIfAbsent(run, k -> new RunProgress()).counters;
    }

    private KeySync.Limits limitsFor(CopyBatch batch) {
        Integer max = batch.options() == null ? null : batch.options().maxSourceOpsPerSecond();
        if (max == null) {
            return limits;
        }
        RateLimiter limiter = limiters.computeIfAbsent(batch.runKey(), k -> new RateLimiter(max));
        return new KeySync.Limits(limits.bigKeyBytes(), limits.chunk(), limiter, limits.pipelineBytes());
    }

    RedisEndpoint open(EndpointRef ref, String migrationId, String role) {
        return RedisEndpoint.parse(box.open(ref.sealed(), SecretBox.context(migrationId, role)));
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}

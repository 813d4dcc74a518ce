package io.dfmigrate.orchestrator.service.target;

import io.dfmigrate.common.endpoint.RedisEndpoint;
import io.dfmigrate.common.event.Json;
import io.dfmigrate.common.redis.BlockingRedis;
import io.dfmigrate.common.redis.KeyCounts;
import io.dfmigrate.common.redis.KeyScanner;
import io.dfmigrate.common.redis.KeyspaceNotifications;
import io.dfmigrate.common.redis.SourceServers;
import io.dfmigrate.common.redis.StructuralCopy;
import io.dfmigrate.common.secret.SecretBox;
import io.dfmigrate.orchestrator.config.OrchestratorConfig;
import io.dfmigrate.orchestrator.persistence.AdvisoryLocks;
import io.dfmigrate.orchestrator.persistence.GuardStatus;
import io.dfmigrate.orchestrator.service.MigrationTx;
import io.dfmigrate.orchestrator.service.watches.WatchLeader;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.common.annotation.RunOnVirtualThread;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import org.jboss.logging.Logger;

/**
 * What the orchestrator does on the source and target itself, because it owns the durable state: applies the target
 * write guard before the capture begins and lifts it when the migration leaves COPYING/REPLICATING (before the cutover's
 * write pause ends); gives the source its {@code notify-keyspace-events} back if a replicator could not (crash); and
 * compares per-database key counts of REPLICATING migrations (the DBSIZE drift watch). Every step is recorded before
 * or after it in the database, so a crash or an unreachable server only delays it: {@link #sweep} tries again.
 */
@ApplicationScoped
public class EndpointKeeper {
    private static final Logger LOG = Logger.getLogger(EndpointKeeper.class);

    private final KeeperSteps steps;
    private final TargetGuard guard;
    private final SecretBox box;
    private final Vertx vertx;
    private final OrchestratorConfig config;
    private final AdvisoryLocks advisory;
    private final TargetOwnKeys ownKeys;
    private final CutoverHandover handover;
    private final Map<UUID, ReentrantLock> locks = new ConcurrentHashMap<>();
    /** The drift last reported per migration: the same drift right after its reconciliation is not reconciled again. */
    private final Map<UUID, String> lastDrift = new ConcurrentHashMap<>();

    public EndpointKeeper(KeeperSteps steps, TargetGuard guard, SecretBox box, Vertx vertx, OrchestratorConfig config,
                          AdvisoryLocks advisory, TargetOwnKeys ownKeys, CutoverHandover handover) {
        this.advisory = advisory;
        this.handover = handover;
        this.ownKeys = ownKeys;
        this.steps = steps;
        this.guard = guard;
        this.box = box;
        this.vertx = vertx;
        this.config = config;
    }

    /** A migration's state or guard moved: settle it now (on the thread that committed the move). */
    void onChanged(@Observes MigrationTx.MigrationChanged changed) {
        settle(changed.id());
    }

    /**
     * Does what the migration's state asks of its guard and source settings, now. Returns whether anything changed.
     * Never throws: a failure is recorded and retried by {@link #sweep}.
     */
    public boolean settle(UUID id) {
        ReentrantLock lock = locks.computeIfAbsent(id, k -> new ReentrantLock());
        lock.lock();
        try (AdvisoryLocks.Held shared = advisory.keeper(id)) { // and no other orchestrator replica meanwhile
            boolean changed = false;
            for (int step = 0; step < 3; step++) {
                KeeperSteps.KeeperView v = steps.view(id);
                if (v == null) {
                    return changed;
                }
                if (v.ownPending()) {
                    countOwnKeys(v);
                    changed = true;
                    continue; // counted (or not): the cutover goes on with the guard's lift or the complete
                }
                if (v.live() && v.guardStatus() == GuardStatus.APPLYING) {
                    applyGuard(v);
                    changed = true;
                    continue; // applied, or failed (then the next step lifts what was changed)
                }
                // lifted when the migration ends, and before a cutover is verified (while it still is REPLICATING)
                if ((!v.live() || v.guardStatus() == GuardStatus.LIFTING_FOR_CUTOVER) && v.guardUp()) {
                    liftGuard(v);
                    changed = true;
                }
                if (!v.live() && v.notifyPrevious() != null) {
                    changed |= restoreNotify(v);
                }
                return changed;
            }
            return changed;
        } catch (RuntimeException e) {
            LOG.warnf("migration %s: guard/source housekeeping failed, trying again later: %s", id, e.toString());
            return false;
        } finally {
            lock.unlock();
        }
    }

    /** A cutover's writes are paused and drained: which of the target's own keys to leave out of its key counts. */
    private void countOwnKeys(KeeperSteps.KeeperView v) {
        try {
            Map<Integer, Long> own = ownKeys.count(v.id(), v.sourceSealed(), v.targetSealed());
            steps.ownKeysCounted(v.id(), v.run(), own, null);
        } catch (RuntimeException e) {
            LOG.warnf("migration %s: the target's own keys could not be counted for the cutover: %s", v.id(), e.getMessage());
            steps.ownKeysCounted(v.id(), v.run(), null, e.getMessage());
        }
    }

    private void applyGuard(KeeperSteps.KeeperView v) {
        RedisEndpoint target = RedisEndpoint.parse(box.open(v.targetSealed(), SecretBox.context(v.id(), SecretBox.TARGET)));
        try {
            TargetGuard.GuardState g;
            if (v.guardSealed() == null) {
                g = guard.prepare(target, v.id().toString());
                RedisEndpoint asGuard = target.withCredentials(g.user(), g.password());
                String sealed = steps.guardPrepared(v.id(), box.seal(Json.write(g), SecretBox.context(v.id(), SecretBox.GUARD)), asGuard.masked(),
                        box.seal(asGuard.toUri(), SecretBox.context(v.id(), SecretBox.TARGET)));
                g = Json.read(box.open(sealed, SecretBox.context(v.id(), SecretBox.GUARD)), TargetGuard.GuardState.class);
            } else {
                g = Json.read(box.open(v.guardSealed(), SecretBox.context(v.id(), SecretBox.GUARD)), TargetGuard.GuardState.class);
            }
            guard.apply(target, g);
            String detail = "writes refused on the target for " + (g.guarded().isEmpty() ? "no other user" : "user(s) " + g.names())
                    + "; the migration writes as " + g.user();
            steps.guardApplied(v.id(), detail);
            LOG.infof("migration %s: target write guard applied on %s: %s", v.id(), target, detail);
        } catch (RuntimeException e) {
            String reason = "the target write guard could not be applied on " + target + " (" + e.getMessage()
                    + "): give the target user ACL rights (+@admin or +acl), or create the migration with options.guardTarget=false";
            LOG.warnf("migration %s: %s", v.id(), reason);
            steps.guardFailed(v.id(), reason);
        }
    }

    private void liftGuard(KeeperSteps.KeeperView v) {
        if (v.guardSealed() == null) {
            steps.guardLifted(v.id(), "nothing to lift: the guard was never applied");
            return;
        }
        RedisEndpoint target = RedisEndpoint.parse(box.open(v.targetSealed(), SecretBox.context(v.id(), SecretBox.TARGET)));
        TargetGuard.GuardState g = Json.read(box.open(v.guardSealed(), SecretBox.context(v.id(), SecretBox.GUARD)), TargetGuard.GuardState.class);
        try {
            guard.lift(target, g);
            String detail = "writes allowed again on the target" + (g.guarded().isEmpty() ? "" : " for user(s) " + g.names())
                    + "; user " + g.user() + " deleted";
            if (v.guardStatus() == GuardStatus.LIFTING_FOR_CUTOVER) {
                handover.handOver(v, target); // before the complete that ends the source's write pause: the applications switch after it
            }
            steps.guardLifted(v.id(), detail);
            LOG.infof("migration %s: target write guard lifted on %s", v.id(), target);
        } catch (RuntimeException e) {
            String reason = "the target write guard could not be lifted on " + target + ": " + e.getMessage();
            LOG.warnf("migration %s: %s; trying again in %s", v.id(), reason, config.keeperInterval());
            steps.guardLiftFailed(v.id(), reason);
        }
    }

    private boolean restoreNotify(KeeperSteps.KeeperView v) {
        RedisEndpoint source = RedisEndpoint.parse(box.open(v.sourceSealed(), SecretBox.context(v.id(), SecretBox.SOURCE)));
        try {
            for (RedisEndpoint server : SourceServers.of(vertx, source, config.redisTimeout())) { // each master of a cluster
                try (BlockingRedis s = BlockingRedis.connect(vertx, server, 0, config.redisTimeout())) {
                    KeyspaceNotifications.set(s, v.notifyPrevious());
                }
            }
        } catch (RuntimeException e) {
            LOG.warnf("migration %s: could not set notify-keyspace-events back to '%s' on %s, trying again: %s", v.id(),
                    v.notifyPrevious(), source, e.getMessage());
            return false;
        }
        steps.notifyRestored(v.id(), v.notifyPrevious());
        return true;
    }

    /** Retries what could not be done at once (unreachable servers) and finishes what a crash interrupted. */
    @Scheduled(every = "${dfm.orchestrator.keeper-interval}", delayed = "2s", concurrentExecution = Scheduled.ConcurrentExecution.SKIP,
            skipExecutionIf = WatchLeader.class)
    @RunOnVirtualThread
    void sweep() {
        try {
            steps.needingKeeper().forEach(this::settle);
            steps.needingTmpSweep().forEach(this::sweepTemporaryKeys);
        } catch (RuntimeException e) {
            LOG.warnf("keeper sweep: %s", e.toString());
        }
    }

    /**
     * Removes the temporary keys an ended run left on the target (a copier or applier stopped while it built a big key):
     * {@code dfm:tmp:<migration>:<run>:*} in every database, found with SCAN. Only here, on the keeper's own schedule,
     * never on the thread that ended the run: on a big target the SCAN takes a while. Failures are retried next time.
     */
    void sweepTemporaryKeys(UUID id) {
        ReentrantLock lock = locks.computeIfAbsent(id, k -> new ReentrantLock());
        lock.lock();
        try (AdvisoryLocks.Held shared = advisory.keeper(id)) {
            KeeperSteps.KeeperView v = steps.view(id);
            if (v == null || v.live()) {
                return;
            }
            RedisEndpoint target = RedisEndpoint.parse(box.open(v.targetSealed(), SecretBox.context(id, SecretBox.TARGET)));
            String pattern = StructuralCopy.tmpPrefix(id.toString(), v.run()) + "*";
            long removed = 0;
            try (BlockingRedis admin = BlockingRedis.connect(vertx, target, 0, config.redisTimeout())) {
                for (int db : KeyScanner.keyspace(admin).keySet()) {
                    try (BlockingRedis r = BlockingRedis.connect(vertx, target, db, config.redisTimeout())) {
                        long[] gone = {0};
                        new KeyScanner(r, pattern, 1000).scan(1000, 1 << 20, batch -> {
                            Request del = Request.cmd(Command.DEL); // one DEL per batch of found names
                            batch.forEach(k -> del.arg(Buffer.buffer(k)));
                            gone[0] += r.send(del).toLong();
                        });
                        removed += gone[0];
                    }
                }
            }
            steps.tmpSwept(id, v.run(), removed);
            if (removed > 0) {
                LOG.infof("migration %s: %d temporary key(s) of run %d removed from %s", id, removed, v.run(), target);
            }
        } catch (RuntimeException e) {
            LOG.warnf("migration %s: temporary keys on the target could not be swept, trying again later: %s", id, e.getMessage());
        } finally {
            lock.unlock();
        }
    }

    /**
     * The DBSIZE drift watch. For each REPLICATING migration with nothing in flight, reads the per-database count of keys
     * without a TTL on source and target, then waits two report intervals: if no change was captured or applied
     * meanwhile, the counts must be equal, and a difference starts a reconciliation. (Keys with a TTL are left out: they
     * expire at slightly different moments on the two servers; so are the target's own keys, {@link TargetOwnKeys}, that
     * the source does not have.) A source that is never quiet for a few seconds is not checked; the cutover's own
     * comparison still is.
     */
    @Scheduled(every = "${dfm.orchestrator.drift-check-interval}", delayed = "10s", concurrentExecution = Scheduled.ConcurrentExecution.SKIP,
            skipExecutionIf = WatchLeader.class)
    @RunOnVirtualThread
    void driftCheck() {
        List<UUID> ids;
        try {
            ids = steps.quietReplicating();
        } catch (RuntimeException e) {
            LOG.warnf("drift check: %s", e.toString());
            return;
        }
        for (UUID id : ids) {
            try {
                checkDrift(id);
            } catch (RuntimeException e) {
                LOG.debugf("migration %s: drift check skipped: %s", id, e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** Returns the drift found (null: none, or not quiet enough to tell). Public for tests. */
    public String checkDrift(UUID id) throws InterruptedException {
        KeeperSteps.KeeperView before = steps.view(id);
        if (before == null || !"*".equals(before.options().keyPattern())) {
            return null; // a key pattern copies part of the source: counts cannot match
        }
        Map<Integer, long[]> s;
        Map<Integer, long[]> t;
        Map<Integer, Long> own = before.targetOwnKeys() > 0 ? ownKeys.count(id, before.sourceSealed(), before.targetSealed()) : null;
        RedisEndpoint source = RedisEndpoint.parse(box.open(before.sourceSealed(), SecretBox.context(id, SecretBox.SOURCE)));
        s = new java.util.TreeMap<>();
        for (RedisEndpoint server : SourceServers.of(vertx, source, config.redisTimeout())) { // each master of a cluster
            try (BlockingRedis src = BlockingRedis.connect(vertx, server, 0, config.redisTimeout())) {
                KeyScanner.keyspaceWithExpires(src).forEach((db, n) -> s.merge(db, n, (a, b) -> new long[] {a[0] + b[0], a[1] + b[1]}));
            }
        }
        try (BlockingRedis tgt = BlockingRedis.connect(vertx, RedisEndpoint.parse(box.open(before.targetSealed(), SecretBox.context(id, SecretBox.TARGET))), 0, config.redisTimeout())) {
            t = KeyScanner.keyspaceWithExpires(tgt);
        }
        Thread.sleep(2500);
        KeeperSteps.KeeperView after = steps.view(id);
        if (after == null || after.run() != before.run() || after.reconciling() || after.cuttingOver()
                || after.captured() != before.captured() || after.applied() < after.captured()) {
            return null; // something moved: not a quiet moment
        }
        KeyCounts counts = KeyCounts.compare(s, t, before.options().dbs(), own);
        if (counts.equal()) {
            lastDrift.remove(id);
            return null;
        }
        String detail = String.join("; ", counts.differ());
        if (detail.equals(lastDrift.put(id, detail))) {
            LOG.warnf("migration %s: key counts still differ after a reconciliation (%s); not reconciling again for the same drift", id, detail);
            return detail;
        }
        LOG.warnf("migration %s: DBSIZE drift with no change in flight: %s; reconciling", id, detail);
        steps.driftDetected(id, before.run(), detail);
        return detail;
    }
}

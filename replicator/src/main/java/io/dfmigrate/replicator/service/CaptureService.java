package io.dfmigrate.replicator.service;

import io.dfmigrate.common.endpoint.RedisEndpoint;
import io.dfmigrate.common.event.MigrationOptions;
import io.dfmigrate.common.event.PhaseEvent;
import io.dfmigrate.common.event.RunKey;
import io.dfmigrate.common.event.StatusEvent;
import io.dfmigrate.common.messaging.StatusPublisher;
import io.dfmigrate.common.redis.BlockingRedis;
import io.dfmigrate.common.redis.KeyScope;
import io.dfmigrate.common.redis.KeyspaceNotifications;
import io.dfmigrate.common.redis.RedisCommandException;
import io.dfmigrate.common.redis.SourceServers;
import io.dfmigrate.common.secret.SecretBox;
import io.dfmigrate.replicator.config.ReplicatorConfig;
import io.dfmigrate.replicator.messaging.ChangeLog;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.scheduler.Scheduled;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantLock;
import org.jboss.logging.Logger;

/**
 * Change capture: one {@link Capture} per migration run this instance captures (a PSUBSCRIBE to the source's keyspace
 * notifications, coalesced per key, published to {@code dfm.changes}, with back-pressure on the subscription).
 *
 * <p>Capture is ready, and reported so, only once the run's applier group has its start offsets
 * ({@link ChangeLog#markRunStart}) and the subscription is confirmed; the orchestrator starts the copy after that. A
 * capture that may have missed changes (its connection dropped, e.g. by the source's pub/sub limit; a FLUSHDB; a Kafka
 * send that failed) subscribes again and asks for a reconciliation, reported as "capture overloaded" with the measured
 * rates when it could not keep up; only when the source no longer answers does the migration fail. If dfmigrate had to
 * set {@code notify-keyspace-events}, the old value is restored when the capture ends.
 */
@ApplicationScoped
public class CaptureService {
    private static final Logger LOG = Logger.getLogger(CaptureService.class);

    private final Vertx vertx;
    private final ReplicatorConfig config;
    private final SecretBox box;
    private final StatusPublisher status;
    private final ChangeLog changes;
    private final CutoverService cutover;
    private final MeterRegistry registry;
    private final Counter overloads;
    private final Map<RunKey, Capture> active = new ConcurrentHashMap<>();
    /**
     * Capture commands are consumed concurrently (virtual threads): a takeover request and a redelivered command of the
     * same run can arrive together, and only one of them may start a capture.
     */
    private final ReentrantLock starting = new ReentrantLock();
    /** Set once this instance shuts down: it takes no new capture then. */
    private volatile boolean shuttingDown;

    public CaptureService(Vertx vertx, ReplicatorConfig config, SecretBox box, StatusPublisher status, MeterRegistry registry,
                          ChangeLog changes, CutoverService cutover) {
        this.vertx = vertx;
        this.config = config;
        this.box = box;
        this.status = status;
        this.changes = changes;
        this.cutover = cutover;
        this.registry = registry;
        this.overloads = Counter.builder("dfm.capture.overloads").description("captures the source disconnected while they were "
                + "behind (pubsub output buffer limit): reconciled").register(registry);
    }

    public boolean capturing(RunKey run) {
        return active.containsKey(run);
    }

    public void start(PhaseEvent.Capture phase) {
        starting.lock();
        try {
            startLocked(phase, RunKey.of(phase));
        } finally {
            starting.unlock();
        }
    }

    private void startLocked(PhaseEvent.Capture phase, RunKey run) {
        if (shuttingDown) {
            LOG.infof("migration %s: capture command ignored, this replicator is shutting down", phase.migrationId());
            return;
        }
        Capture existing = active.get(run);
        if (existing != null) {
            // asked again (a takeover request reaching the instance that still captures): it is alive, say so
            status.publish(StatusEvent.captureReady(run, status.worker(), existing.previousNotify, existing.id));
            return;
        }
        MigrationOptions options = phase.options() == null ? MigrationOptions.DEFAULTS : phase.options().withDefaults();
        boolean configure = Boolean.TRUE.equals(options.configureSourceNotifications());
        RedisEndpoint source;
        try {
            source = RedisEndpoint.parse(box.open(phase.source().sealed(), SecretBox.context(phase.migrationId(), SecretBox.SOURCE)));
        } catch (SecretBox.SecretException e) {
            fail(run, "the replicator cannot open the source credentials: give it the orchestrator's DFM_SECRET_KEY");
            return;
        }
        String previous = null;
        try {
            // every server of the source (a cluster's every master): each publishes the notifications of its own keys
            for (RedisEndpoint server : SourceServers.of(vertx, source, config.timeout())) {
                try (BlockingRedis admin = BlockingRedis.connect(vertx, server, 0, config.timeout())) {
                    String current = KeyspaceNotifications.get(admin);
                    if (KeyspaceNotifications.sufficient(current)) {
                        continue;
                    }
                    if (!configure) {
                        fail(run, "the source's notify-keyspace-events is '" + current + "'" + (server.equals(source) ? "" : " on " + server.address())
                                + " and change capture needs K and A: set it (CONFIG SET notify-keyspace-events KEA) or allow "
                                + "options.configureSourceNotifications, then restart the migration");
                        return;
                    }
                    if (previous == null) {
                        // the value to give back is on record (acknowledged) before the source changes
                        status.publish(StatusEvent.captureConfiguring(run, status.worker(), current));
                        previous = current;
                    }
                    KeyspaceNotifications.set(admin, KeyspaceNotifications.forCapture(current));
                    LOG.infof("migration %s: set notify-keyspace-events on %s to '%s' (was '%s')", phase.migrationId(), server,
                            KeyspaceNotifications.forCapture(current), current);
                }
            }
        } catch (RedisCommandException e) {
            fail(run, "change capture could not be prepared on the source: " + e.getMessage());
            return;
        }
        AtomicReference<Capture> self = new AtomicReference<>();
        Capture c = new Capture(run, source, KeyScope.of(options), previous, configure, config.captureBufferKeys(), config.cutoverVerifyRecentKeys(), reason -> lost(self.get(), reason));
        self.set(c);
        try {
            // before the first change: where the run's appliers will start reading, whenever the copy ends
            changes.markRunStart(run);
            c.subscribe(vertx, config.timeout());
            c.flushes = c.flushCalls();
        } catch (RuntimeException e) {
            c.close();
            restoreNotify(c);
            fail(run, "subscribing to the source's keyspace notifications failed: " + e.getMessage());
            return;
        }
        active.put(run, c);
        Thread.ofVirtual().name("capture-sender-" + c.migrationId).start(() -> c.send(changes)); // ends with the capture
        FunctionCounter.builder("dfm.capture.changes", c.captured, AtomicLong::get).tags(Tags.of("migration", phase.migrationId()))
                .description("keyspace notifications captured").register(registry);
        status.publish(StatusEvent.captureReady(run, status.worker(), previous, c.id));
        LOG.infof("migration %s run %d: capturing changes of %s (%s; capture %s)", phase.migrationId(), phase.run(), source, c.scope, c.id);
    }

    /**
     * Capture may have missed changes. If the source still answers, capture resumes on a fresh subscription and a
     * reconciliation is requested (a rescan of source and target while appliers hold changes); otherwise the migration
     * fails with the reason. Either way nothing diverges quietly.
     */
    private void lost(Capture c, String reason) {
        if (c.ended.get() || shuttingDown || !c.recovering.compareAndSet(false, true)) {
            return; // on shutdown the capture is released, and its successor reconciles
        }
        if (c.overloaded() && !c.subscribed) {
            overloads.increment();
            reason = "capture overloaded: " + reason + " while about " + c.receivedRate + " changes/s arrived and " + c.sentRate
                    + "/s reached Kafka (" + c.buffer.size() + " keys waiting). Remedies: raise the source's pubsub output buffer "
                    + "limit (CONFIG SET client-output-buffer-limit \"pubsub 256mb 128mb 60\"), give the replicator more CPU, "
                    + "or a faster Kafka";
        }
        String why = reason;
        LOG.warnf("migration %s: change capture may have missed changes: %s", c.migrationId, why);
        Thread.ofVirtual().start(() -> {
            boolean requested = false;
            try {
                List<String> before = c.subscribedServers();
                if (c.subs.isEmpty() || !c.subscribed) {
                    resubscribe(c, why);
                }
                c.flushes = c.flushCalls();
                // a Redis Cluster's gap of some masters: only those are rescanned
                List<String> masters = c.gap.take(before, c.subscribedServers());
                status.publish(StatusEvent.reconcileNeeded(c.key, status.worker(), why + c.pubsubLimitHint(why), masters));
                requested = true;
            } catch (RuntimeException e) {
                if (end(c)) {
                    c.close();
                    restoreNotify(c);
                    fail(c.key, "change capture from the source was lost (" + why + ") and could not resume ("
                            + e.getMessage() + "): writes made since then may be missing on the target; restart the migration");
                }
            } finally {
                c.recovering.set(false);
                if (requested && c.gap.pending() && !c.ended.get()) {
                    lost(c, "changes may have been missed while the capture recovered"); // marked after the request was made
                }
            }
        });
    }

    /**
     * The subscription itself is gone: connect and subscribe again, every second for up to
     * {@code dfm.replicator.capture-resubscribe} while the source does not answer (a restart, or a Sentinel's failover:
     * each attempt asks the Sentinel for the master anew). Hand-written, not {@code @Retry}: each failed attempt must close
     * what it half made, and the run may end meanwhile.
     */
    private void resubscribe(Capture c, String why) {
        long deadline = System.nanoTime() + config.captureResubscribe().toNanos();
        long lastLog = System.nanoTime();
        for (int attempt = 1; ; attempt++) {
            try {
                c.subscribe(vertx, config.timeout()); // a cluster's masters that still read keep their subscriptions
                if (attempt > 1) {
                    LOG.infof("migration %s: capture subscribed again to %s after %d attempt(s)", c.migrationId,
                            c.subs.stream().map(x -> x.admin.endpoint().address()).toList(), attempt);
                }
                return;
            } catch (RuntimeException e) {
                if (c.ended.get() || shuttingDown || System.nanoTime() > deadline) {
                    throw e;
                }
                if (System.nanoTime() - lastLog > 5_000_000_000L) {
                    lastLog = System.nanoTime();
                    LOG.warnf("migration %s: capture still cannot subscribe again (%s; attempt %d, lost because: %s)", c.migrationId,
                            e.getMessage(), attempt, why);
                }
                try {
                    Thread.sleep(1000);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    /** Cutover: the capture of this run, if this instance has it, pauses the source's writes (see {@link CutoverService}). */
    public void cutover(PhaseEvent.Cutover phase) {
        Capture c = active.get(RunKey.of(phase));
        if (c != null && !c.ended.get()) {
            cutover.pause(c);
        }
    }

    /**
     * Ends the capture of a run (stop, complete, failure) and restores the source's configuration; a cutover that holds
     * the source's writes is finished first (verified and unpaused).
     */
    public void stop(PhaseEvent phase) {
        Capture c = active.get(RunKey.of(phase));
        if (c == null || !end(c)) {
            return;
        }
        if (c.pausedAt != 0) {
            cutover.finish(c, phase);
        }
        c.close();
        restoreNotify(c);
        LOG.infof("migration %s run %d: capture ended after %d change(s)", c.migrationId, c.run, c.captured.get());
    }

    /** Ends a capture once: removes it, stops its sender, drops its meter. Returns false if it had ended already. */
    private boolean end(Capture c) {
        if (c.ended.getAndSet(true)) {
            return false;
        }
        active.remove(c.key, c);
        registry.find("dfm.capture.changes").tag("migration", c.migrationId).meters().forEach(registry::remove);
        return true;
    }

    private void restoreNotify(Capture c) {
        if (c.previousNotify == null) {
            return;
        }
        try {
            for (RedisEndpoint server : SourceServers.of(vertx, c.source, config.timeout())) {
                try (BlockingRedis admin = BlockingRedis.connect(vertx, server, 0, config.timeout())) {
                    KeyspaceNotifications.set(admin, c.previousNotify);
                }
            }
            LOG.infof("migration %s: restored notify-keyspace-events '%s' on %s", c.migrationId, c.previousNotify, c.source);
        } catch (RuntimeException e) {
            LOG.errorf("migration %s: could not restore notify-keyspace-events '%s' on %s: %s", c.migrationId, c.previousNotify,
                    c.source, e.getMessage());
        }
    }

    private void fail(RunKey run, String reason) {
        try {
            status.publish(StatusEvent.failed(run, status.worker(), "capture", reason));
        } catch (RuntimeException e) {
            LOG.errorf("migration %s: could not report failure (%s): %s", run.migrationId(), reason, e.toString());
        }
    }

    /**
     * Counters and liveness: the captured total of every active capture, every report interval; and the watch for what
     * notifications cannot show (a FLUSHDB, FLUSHALL or SWAPDB on the source), which reconciles instead of diverging.
     */
    // delayed: right after start the messaging channels are not wired yet (nothing is captured that early anyway)
    @Scheduled(every = "${dfm.replicator.report-interval}", delayed = "5s", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void report() {
        for (Capture c : active.values()) {
            c.sampleRates(config.reportInterval().toMillis());
            try {
                if (c.flushCalls() > c.flushes) {
                    c.lostChange(Capture.UNNOTIFIED + " ran on the source, and the keys it changed produce no keyspace notification");
                    continue;
                }
                if (!watchNotifyConfig(c) || !watchMasters(c)) {
                    continue;
                }
            } catch (RuntimeException e) {
                c.subscribed = false;
                if (c.source.cluster()) {
                    // a master failing over: what it lost is reconciled on the master that serves its slots then
                    c.lostMaster("the source stopped answering: " + e.getMessage(), null);
                } else {
                    c.lostChange("the source stopped answering: " + e.getMessage());
                }
                continue;
            }
            try {
                status.publish(StatusEvent.replication(c.key, status.worker(), new StatusEvent.Replication(c.captured.get(), 0, null, c.id, null,
                        c.shards())));
            } catch (RuntimeException e) {
                LOG.warnf("capture report for %s not sent: %s", c.migrationId, e.toString());
            }
        }
    }

    /**
     * A Redis Cluster source whose masters are not all subscribed (a master added and given slots by a resharding, or a
     * replica promoted without the old master's connection breaking): keys that moved to an unsubscribed master changed
     * unseen, so the capture subscribes to the masters anew and a reconciliation follows. Returns false if so.
     */
    private boolean watchMasters(Capture c) {
        List<String> unsubscribed = c.unsubscribedMasters(vertx, config.timeout());
        if (unsubscribed.isEmpty()) {
            return true;
        }
        c.subscribed = false; // subscribed again before the reconciliation is asked for
        c.lostMaster("the cluster's masters changed: " + String.join(", ", unsubscribed)
                + " serve slots without a subscription of this capture (a new master, a resharding or a failover)", null);
        return false;
    }

    /**
     * Someone changed the source's notify-keyspace-events so that changes are no longer notified: set it again and
     * reconcile when the migration may configure it, otherwise end the capture and fail loudly. Returns false if so.
     */
    private boolean watchNotifyConfig(Capture c) {
        BlockingRedis admin = null;
        String now = null;
        for (BlockingRedis a : c.admins()) {
            now = KeyspaceNotifications.get(a);
            if (!KeyspaceNotifications.sufficient(now)) {
                admin = a;
                break;
            }
        }
        if (admin == null) {
            return true;
        }
        if (c.configure) {
            KeyspaceNotifications.set(admin, KeyspaceNotifications.forCapture(now));
            c.lostChange("notify-keyspace-events was changed to '" + now + "' on the source, so changes went unnoticed; set back to '"
                    + KeyspaceNotifications.forCapture(now) + "'");
        } else if (end(c)) {
            c.close();
            fail(c.key, "notify-keyspace-events was changed to '" + now + "' on the source during the migration, so "
                    + "changes are no longer captured: set it back (CONFIG SET notify-keyspace-events KEA) and restart the migration");
        }
        return false;
    }

    /**
     * A replicator that shuts down while capturing says so, and the orchestrator hands the capture to another instance
     * (followed by a reconciliation): a rolling restart does not fail the migration. notify-keyspace-events stays as
     * it is for the next capture; the orchestrator gives the old value back when the migration ends.
     */
    void onShutdown(@Observes ShutdownEvent event) {
        shuttingDown = true;
        for (Capture c : active.values()) {
            if (end(c)) {
                c.close();
                try {
                    status.publish(StatusEvent.captureReleased(c.key, status.worker(), c.id, "the replicator " + status.worker() + " shut down"));
                } catch (RuntimeException e) {
                    LOG.warnf("migration %s: could not report the released capture (%s); the orchestrator will see it silent",
                            c.migrationId, e.toString());
                }
            }
        }
    }
}

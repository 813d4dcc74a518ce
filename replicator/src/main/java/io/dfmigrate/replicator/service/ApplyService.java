package io.dfmigrate.replicator.service;

import io.dfmigrate.common.endpoint.RedisEndpoint;
import io.dfmigrate.common.event.PhaseEvent;
import io.dfmigrate.common.event.RunKey;
import io.dfmigrate.common.event.StatusEvent;
import io.dfmigrate.common.messaging.StatusPublisher;
import io.dfmigrate.common.redis.KeyScope;
import io.dfmigrate.common.redis.RedisConnections;
import io.dfmigrate.common.secret.SecretBox;
import io.dfmigrate.replicator.config.ReplicatorConfig;
import io.dfmigrate.replicator.messaging.ChangeLog;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.scheduler.Scheduled;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.jboss.logging.Logger;

/**
 * The appliers of this instance: one {@link RunApplier} per migration run whose copy is done (the REPLICATE command),
 * until the run is stopped or completed. A reconciliation holds a run's changes in Kafka (RECONCILE … REPLICATE). Each
 * applied change re-syncs its key from the source's current state, so the target converges whatever the order across
 * keys; a key's changes stay in one partition, in order.
 */
@ApplicationScoped
public class ApplyService implements RunApplier.Owner {
    private static final Logger LOG = Logger.getLogger(ApplyService.class);

    private final Vertx vertx;
    private final ReplicatorConfig config;
    private final ChangeLog changeLog;
    private final SecretBox box;
    private final StatusPublisher status;
    private final MeterRegistry registry;
    private final Map<RunKey, RunApplier> appliers = new ConcurrentHashMap<>();
    private final Set<RunKey> ended = ConcurrentHashMap.newKeySet();
    private final Map<CounterKey, Counters> counters = new ConcurrentHashMap<>();
    /** The run's metric values, registered once per run: {lagMillis, total}. */
    private final Map<RunKey, AtomicLong[]> runMeters = new ConcurrentHashMap<>();
    /** A Redis Cluster source: per run and master (host:port) {keys applied since the last report, newest change's time}. */
    private final Map<RunKey, Map<String, long[]>> shardsApplied = new ConcurrentHashMap<>();

    /**
     * Per run and capture (id, "" for changes without one): {@code applied} since the last report. {@code total} (since
     * this instance started applying the run) and {@code lagMillis} are the run's, shared by its captures and exported
     * as metrics.
     */
    record Counters(RunKey run, String capture, AtomicLong applied, AtomicLong lagMillis, AtomicLong total) {
    }

    private record CounterKey(RunKey run, String capture) {
    }

    public ApplyService(Vertx vertx, ReplicatorConfig config, ChangeLog changeLog, SecretBox box, StatusPublisher status,
                        MeterRegistry registry) {
        this.vertx = vertx;
        this.config = config;
        this.changeLog = changeLog;
        this.box = box;
        this.status = status;
        this.registry = registry;
    }

    /** The copy (or a reconciliation) of this run is done: apply its changes, from where the capture began. */
    public void markReplicating(PhaseEvent.Replicate phase) {
        RunKey key = RunKey.of(phase);
        if (ended.contains(key)) {
            return;
        }
        RunApplier existing = appliers.get(key);
        if (existing != null) {
            existing.hold(false);
            return;
        }
        RedisEndpoint source;
        RedisEndpoint target;
        try {
            source = RedisEndpoint.parse(box.open(phase.source().sealed(), SecretBox.context(phase.migrationId(), SecretBox.SOURCE)));
            target = RedisEndpoint.parse(box.open(phase.target().sealed(), SecretBox.context(phase.migrationId(), SecretBox.TARGET)));
        } catch (SecretBox.SecretException e) {
            status.publish(StatusEvent.failed(key, status.worker(), "replicate",
                    "the replicator cannot open the endpoint credentials: give it the orchestrator's DFM_SECRET_KEY"));
            return;
        }
        RunApplier applier = new RunApplier(key, source, target, KeyScope.of(phase.options()), changeLog,
                new RedisConnections(vertx, config.timeout()), this, config.applyBatchKeys(), config.applyPollRecords());
        if (appliers.putIfAbsent(key, applier) == null) {
            applier.start();
        }
    }

    /** A reconciliation pass began: hold this run's changes (in Kafka) until the next REPLICATE command. */
    public void markHolding(RunKey run) {
        RunApplier a = appliers.get(run);
        if (a != null) {
            a.hold(true);
        }
    }

    /** Whether this instance has seen the run stopped or completed. */
    public boolean ended(RunKey run) {
        return ended.contains(run);
    }

    public void markEnded(RunKey run) {
        ended.add(run);
        RunApplier a = appliers.remove(run);
        if (a != null) {
            Thread.ofVirtual().start(() -> {
                a.stop(Duration.ofSeconds(30));
                changeLog.deleteGroup(run);
            });
        }
    }

    @Override
    public void applied(RunApplier applier, String capture, long notifications, long newestMillis) {
        Counters c = counters(applier.key, capture);
        c.applied().addAndGet(notifications);
        c.total().addAndGet(notifications);
        c.lagMillis().set(Math.max(0, System.currentTimeMillis() - newestMillis));
    }

    @Override
    public void appliedShards(RunApplier applier, Map<String, long[]> perShard) {
        addShards(applier.key, perShard);
    }

    private void addShards(RunKey run, Map<String, long[]> perShard) {
        Map<String, long[]> m = shardsApplied.computeIfAbsent(run, k -> new ConcurrentHashMap<>());
        perShard.forEach((server, c) -> m.merge(server, c.clone(), (a, b) -> new long[] {a[0] + b[0], Math.max(a[1], b[1])}));
    }

    /** The run's per-master counts since the last report (null for other sources), taken out. */
    private List<StatusEvent.ShardReplication> takeShards(RunKey run) {
        Map<String, long[]> m = shardsApplied.get(run);
        if (m == null || m.isEmpty()) {
            return null;
        }
        long now = System.currentTimeMillis();
        List<StatusEvent.ShardReplication> out = new ArrayList<>();
        for (String server : List.copyOf(m.keySet())) {
            long[] c = m.remove(server);
            if (c != null) {
                out.add(new StatusEvent.ShardReplication(server, null, null, c[0], Math.max(0, now - c[1])));
            }
        }
        return out;
    }

    @Override
    public void gap(RunApplier applier, String reason) {
        LOG.warnf("migration %s run %d: %s", applier.migrationId, applier.run, reason);
        status.publish(StatusEvent.reconcileNeeded(applier.key, status.worker(), reason));
    }

    private Counters counters(RunKey run, String capture) {
        AtomicLong[] m = runMeters.computeIfAbsent(run, k -> {
            AtomicLong[] values = {new AtomicLong(-1), new AtomicLong()};
            Tags tags = Tags.of("migration", run.migrationId());
            FunctionCounter.builder("dfm.replication.applied", values[1], AtomicLong::get).tags(tags)
                    .description("changes applied to the target by this instance").register(registry);
            Gauge.builder("dfm.replication.lag", values[0], a -> Math.max(0, a.get())).tags(tags).baseUnit("milliseconds")
                    .description("age of the newest applied change when it was applied").register(registry);
            return values;
        });
        return counters.computeIfAbsent(new CounterKey(run, capture), k -> new Counters(run, capture, new AtomicLong(), m[0], m[1]));
    }

    /**
     * Why this instance cannot apply, for its readiness check: an applier whose loop died, or that has failed to read
     * Kafka or write the target for longer than {@code for}.
     */
    public List<String> problems(Duration forAtLeast) {
        List<String> out = new ArrayList<>();
        long now = System.currentTimeMillis();
        appliers.values().forEach(a -> {
            if (!a.alive()) {
                out.add("applier of " + a.migrationId + " run " + a.run + " is not running");
            } else if (a.failingSince != 0 && now - a.failingSince > forAtLeast.toMillis()) {
                out.add("applier of " + a.migrationId + " run " + a.run + " failing for " + (now - a.failingSince) / 1000 + " s: " + a.lastError);
            }
        });
        return out;
    }

    /**
     * Applied-change deltas and lag, every report interval, for the runs this instance applied changes of; and the
     * applier's last error while it keeps failing, so the orchestrator can say why a replication stalls.
     */
    // delayed: right after start the status channel is not wired yet, and there is nothing to report
    @Scheduled(every = "${dfm.replicator.report-interval}", delayed = "5s", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void report() {
        for (Map.Entry<CounterKey, Counters> e : counters.entrySet()) {
            Counters c = e.getValue();
            long delta = c.applied().getAndSet(0);
            long lag = c.lagMillis().get();
            if (delta == 0 && ended.contains(c.run())) {
                counters.remove(e.getKey());
                runMeters.remove(c.run());
                shardsApplied.remove(c.run());
                registry.find("dfm.replication.applied").tag("migration", c.run().migrationId()).meters().forEach(registry::remove);
                registry.find("dfm.replication.lag").tag("migration", c.run().migrationId()).meters().forEach(registry::remove);
                continue;
            }
            if (delta == 0) {
                continue;
            }
            List<StatusEvent.ShardReplication> shards = takeShards(c.run());
            try {
                status.publish(StatusEvent.replication(c.run(), status.worker(),
                        new StatusEvent.Replication(null, delta, lag < 0 ? null : lag, c.capture().isEmpty() ? null : c.capture(), null,
                                shards)));
            } catch (RuntimeException ex) {
                c.applied().addAndGet(delta); // report it next time
                if (shards != null) {
                    addShards(c.run(), shards.stream().collect(java.util.stream.Collectors.toMap(
                            StatusEvent.ShardReplication::server, x -> new long[] {x.applied(), System.currentTimeMillis() - x.lagMillis()})));
                }
                LOG.warnf("replication report for %s not sent: %s", c.run().migrationId(), ex.toString());
            }
        }
        for (RunApplier a : appliers.values()) {
            String error = a.lastError;
            if (error != null) {
                try {
                    status.publish(StatusEvent.replication(a.key, status.worker(),
                            new StatusEvent.Replication(null, 0, null, null, error)));
                } catch (RuntimeException ex) {
                    LOG.debugf("applier error report for %s not sent: %s", a.migrationId, ex.toString());
                }
            }
        }
    }

    void onShutdown(@Observes ShutdownEvent event) {
        appliers.values().forEach(a -> a.stop(Duration.ofSeconds(10)));
    }
}

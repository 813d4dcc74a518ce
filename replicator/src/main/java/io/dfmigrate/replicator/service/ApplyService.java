package io.dfmigrate.replicator.service;

import io.dfmigrate.common.endpoint.RedisEndpoint;
import io.dfmigrate.common.event.ChangeEvent;
import io.dfmigrate.common.event.PhaseEvent;
import io.dfmigrate.common.event.StatusEvent;
import io.dfmigrate.common.messaging.StatusPublisher;
import io.dfmigrate.common.redis.KeySync;
import io.dfmigrate.common.redis.RedisCommandException;
import io.dfmigrate.common.redis.RedisConnections;
import io.dfmigrate.common.secret.SecretBox;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.jboss.logging.Logger;

/**
 * The appliers. A change of a run is held until that run's copy is done (the REPLICATE command), then its key is
 * re-synced from the source's current state with the key-sync engine (RESTORE, or DEL when gone — expirations
 * included). Changes of one key are consumed in order from one partition and batches are applied one after another,
 * so the last sync of a key always reads the source after its last captured write: the target converges.
 */
@ApplicationScoped
public class ApplyService {
    private static final Logger LOG = Logger.getLogger(ApplyService.class);
    private static final int ATTEMPTS = 3;

    private final RedisConnections connections;
    private final SecretBox box;
    private final StatusPublisher status;
    private final Map<String, Endpoints> replicating = new ConcurrentHashMap<>();
    private final Set<String> ended = ConcurrentHashMap.newKeySet();
    private final Map<String, Counters> counters = new ConcurrentHashMap<>();

    record Endpoints(RedisEndpoint source, RedisEndpoint target) {
    }

    /**
     * Per run and capture (id, "" for changes without one): {@code applied} since the last report. {@code total} (since
     * this instance started applying the run) and {@code lagMillis} are the run's, shared by its captures and exported
     * as metrics.
     */
    record Counters(String migrationId, int run, String capture, AtomicLong applied, AtomicLong lagMillis, AtomicLong total) {
    }

    /** The run's metric values, registered once per run: {lagMillis, total}. */
    private final Map<String, AtomicLong[]> runMeters = new ConcurrentHashMap<>();

    private Counters counters(String migrationId, int run, String capture) {
        AtomicLong[] m = runMeters.computeIfAbsent(migrationId + ":" + run, k -> {
            AtomicLong[] values = {new AtomicLong(-1), new AtomicLong()};
            Tags tags = Tags.of("migration", migrationId);
            FunctionCounter.builder("dfm.replication.applied", values[1], AtomicLong::get).tags(tags)
                    .description("changes applied to the target by this instance").register(registry);
            Gauge.builder("dfm.replication.lag", values[0], a -> Math.max(0, a.get())).tags(tags).baseUnit("milliseconds")
                    .description("age of the newest applied change when it was applied").register(registry);
            return values;
        });
        return counters.computeIfAbsent(migrationId + ":" + run + ":" + capture,
                k -> new Counters(migrationId, run, capture, new AtomicLong(), m[0], m[1]));
    }

    private final MeterRegistry registry;

    public ApplyService(RedisConnections connections, SecretBox box, StatusPublisher status, MeterRegistry registry) {
        this.connections = connections;
        this.box = box;
        this.status = status;
        this.registry = registry;
    }

    /** The copy of this run is done: its held changes may be applied. */
    public void markReplicating(PhaseEvent phase) {
        try {
            replicating.put(phase.migrationId() + ":" + phase.run(), new Endpoints(RedisEndpoint.parse(box.open(phase.source().sealed())),
                    RedisEndpoint.parse(box.open(phase.target().sealed()))));
        } catch (SecretBox.SecretException e) {
            status.publish(StatusEvent.failed(phase.migrationId(), phase.run(), status.worker(), "replicate",
                    "the replicator cannot open the endpoint credentials: give it the orchestrator's DFM_SECRET_KEY"));
        }
    }

    /** A reconciliation pass began: hold this run's changes again until the next REPLICATE command. */
    public void markHolding(String migrationId, int run) {
        replicating.remove(migrationId + ":" + run);
    }

    /** Whether this instance has seen the run stopped or completed. */
    public boolean ended(String migrationId, int run) {
        return ended.contains(migrationId + ":" + run);
    }

    public void markEnded(String migrationId, int run) {
        String key = migrationId + ":" + run;
        ended.add(key);
        replicating.remove(key);
    }

    /** Applies a batch of changes (in their order); blocks while a run's copy is still going on. */
    public void apply(List<ChangeEvent> batch) {
        Map<String, List<ChangeEvent>> byRun = new LinkedHashMap<>();
        for (ChangeEvent c : batch) {
            byRun.computeIfAbsent(c.migrationId() + ":" + c.run(), k -> new ArrayList<>()).add(c);
        }
        for (Map.Entry<String, List<ChangeEvent>> e : byRun.entrySet()) {
            Endpoints endpoints = awaitCopyDone(e.getKey());
            if (endpoints != null) {
                applyRun(e.getValue(), endpoints);
            }
        }
    }

    private Endpoints awaitCopyDone(String run) {
        while (true) {
            if (ended.contains(run)) {
                return null;
            }
            Endpoints ep = replicating.get(run);
            if (ep != null) {
                return ep;
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while holding changes", ie);
            }
        }
    }

    private void applyRun(List<ChangeEvent> changes, Endpoints ep) {
        ChangeEvent first = changes.get(0);
        Map<Integer, LinkedHashMap<String, byte[]>> byDb = new LinkedHashMap<>();
        long newest = 0;
        for (ChangeEvent c : changes) {
            byDb.computeIfAbsent(c.db(), d -> new LinkedHashMap<>()).putIfAbsent(Base64.getEncoder().encodeToString(c.key()), c.key());
            newest = Math.max(newest, c.timeMillis());
        }
        for (Map.Entry<Integer, LinkedHashMap<String, byte[]>> e : byDb.entrySet()) {
            int db = e.getKey();
            List<byte[]> keys = List.copyOf(e.getValue().values());
            for (int attempt = 1; ; attempt++) {
                try {
                    KeySync.Result r = new KeySync(connections.get(ep.source(), db), connections.get(ep.target(), db)).sync(keys);
                    r.failures().forEach(f -> LOG.warnf("migration %s: change of db %d key '%s' not applied: %s", first.migrationId(),
                            f.db(), f.key(), f.reason()));
                    break;
                } catch (RedisCommandException ex) {
                    connections.discard(ep.source(), db);
                    connections.discard(ep.target(), db);
                    if (ended.contains(first.migrationId() + ":" + first.run())) {
                        return; // stopped or completed meanwhile (its guard user may be gone): nothing more to apply
                    }
                    if (attempt >= ATTEMPTS) {
                        status.publish(StatusEvent.failed(first.migrationId(), first.run(), status.worker(), "replicate",
                                "applying changes failed after " + ATTEMPTS + " attempts: " + ex.getMessage()));
                        markEnded(first.migrationId(), first.run());
                        return;
                    }
                    sleep(500L * attempt);
                }
            }
        }
        // counted per capture: after a takeover the new capture's changes are drained on their own counts
        Map<String, Long> perCapture = new java.util.TreeMap<>();
        changes.forEach(ch -> perCapture.merge(ch.capture() == null ? "" : ch.capture(), 1L, Long::sum));
        long lag = Math.max(0, System.currentTimeMillis() - newest);
        perCapture.forEach((capture, n) -> {
            Counters c = counters(first.migrationId(), first.run(), capture);
            c.applied().addAndGet(n);
            c.total().addAndGet(n);
            c.lagMillis().set(lag);
        });
    }

    /** Applied-change deltas and lag, every report interval, for the runs this instance applied changes of. */
    // delayed: right after start the status channel is not wired yet, and there is nothing to report
    @Scheduled(every = "${dfm.replicator.report-interval}", delayed = "5s", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void report() {
        for (Map.Entry<String, Counters> e : counters.entrySet()) {
            Counters c = e.getValue();
            long delta = c.applied().getAndSet(0);
            long lag = c.lagMillis().get();
            if (delta == 0 && ended.contains(c.migrationId() + ":" + c.run())) {
                counters.remove(e.getKey());
                runMeters.remove(c.migrationId() + ":" + c.run());
                registry.find("dfm.replication.applied").tag("migration", c.migrationId()).meters().forEach(registry::remove);
                registry.find("dfm.replication.lag").tag("migration", c.migrationId()).meters().forEach(registry::remove);
                continue;
            }
            if (delta == 0) {
                continue;
            }
            try {
                status.publish(StatusEvent.replication(c.migrationId(), c.run(), status.worker(),
                        new StatusEvent.Replication(null, delta, lag < 0 ? null : lag, c.capture().isEmpty() ? null : c.capture())));
            } catch (RuntimeException ex) {
                c.applied().addAndGet(delta); // report it next time
                LOG.warnf("replication report for %s not sent: %s", c.migrationId(), ex.toString());
            }
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

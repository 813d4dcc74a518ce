package io.dfmigrate.orchestrator.service.watches;

import io.dfmigrate.orchestrator.config.OrchestratorConfig;
import io.dfmigrate.orchestrator.persistence.CaptureInfo;
import io.dfmigrate.orchestrator.persistence.Migration;
import io.dfmigrate.orchestrator.persistence.MigrationState;
import io.dfmigrate.orchestrator.service.MigrationTx;
import io.dfmigrate.orchestrator.service.lifecycle.CopyHandler;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.jboss.logging.Logger;

/**
 * Nothing stalls without saying so. Every {@code dfm.orchestrator.stall-check} the watch compares each live migration's
 * progress mark with the last one: while REPLICATING the changes applied (with changes pending), while COPYING the copy
 * counters. A mark that has not moved for {@code stall-timeout} shows as {@code replication.stalled} /
 * {@code progress.stalled} with the reason, an audit entry and the {@code dfm_migrations_stalled} gauge; one that has not
 * moved for {@code stall-fail-timeout} fails the migration with the reason (for replication only when changes kept
 * arriving or the appliers report errors, so a residual count on a quiet source is shown, not failed). Workers that are
 * silent altogether are the heartbeat watch's.
 */
@ApplicationScoped
public class StallWatch {
    private static final Logger LOG = Logger.getLogger(StallWatch.class);
    private final MigrationTx tx;
    private final OrchestratorConfig config;
    private final AtomicInteger stalled = new AtomicInteger();
    private final Map<UUID, Mark> marks = new ConcurrentHashMap<>();

    private final DatabaseOutages outages;

    public StallWatch(MigrationTx tx, OrchestratorConfig config, MeterRegistry registry, DatabaseOutages outages) {
        this.tx = tx;
        this.config = config;
        this.outages = outages;
        Gauge.builder("dfm.migrations.stalled", stalled, AtomicInteger::get)
                .description("live migrations whose copy or replication has not moved for the stall timeout").register(registry);
    }

    @Scheduled(every = "${dfm.orchestrator.stall-check}", delayed = "5s", concurrentExecution = Scheduled.ConcurrentExecution.SKIP,
            skipExecutionIf = WatchLeader.class)
    void check() {
        if (!outages.healthyFor(config.stallCheck())) {
            marks.clear(); // progress could not be recorded while the database was out: watch afresh once it is back
            return;
        }
        try {
            stalled.set(watch(config.stallTimeout(), config.stallFailTimeout()));
        } catch (RuntimeException e) {
            outages.reachable(); // an outage of the database (recorded by the probe) postpones the next judgement
            LOG.warnf("stall check: %s", e.toString());
        }
    }

    /**
     * For each live migration, in its own transaction: marks it stalled, clears the mark, or fails it, as {@link #judge}
     * decides. Returns how many live migrations are stalled now.
     */
    int watch(Duration stallAfter, Duration failAfter) {
        List<MigrationState> live = List.of(MigrationState.COPYING, MigrationState.REPLICATING);
        List<UUID> ids = QuarkusTransaction.requiringNew().call(() -> Migration.<Migration>list("state in ?1", live).stream()
                .map(m -> m.id).toList());
        marks.keySet().retainAll(ids);
        tx.each(ids, j -> switch (judge(j.migration(), marks, Instant.now(), stallAfter, failAfter, CopyHandler.copyMark(j.migration()))) {
            case Verdict.Stalled s -> {
                j.audit("orchestrator", s.action(), s.reason());
                LOG.warnf("migration %s: %s", j.migration().id, s.reason());
                yield true;
            }
            case Verdict.Resumed r -> {
                j.audit("orchestrator", r.action(), r.detail());
                yield true;
            }
            case Verdict.Fail f -> {
                j.fail("orchestrator", f.reason());
                yield true;
            }
            case Verdict.Unchanged u -> false;
        });
        return QuarkusTransaction.requiringNew().call(() -> (int) Migration.count("stalled is not null and state in ?1", live));
    }

    /** What the watch decided for one migration. */
    sealed interface Verdict {
        record Unchanged() implements Verdict {
        }

        record Stalled(String action, String reason) implements Verdict {
        }

        record Resumed(String action, String detail) implements Verdict {
        }

        record Fail(String reason) implements Verdict {
        }
    }

    /**
     * The progress mark a replica last saw for a migration: kept in memory, so watching writes nothing while things
     * move (a restarted replica starts watching afresh; another replica watches on its own and finds a stall already
     * recorded).
     */
    record Mark(long value, Instant at, long captured) {
    }

    /**
     * Decides for one migration, from its state and the mark seen before ({@code previous}, null for none); puts the new
     * mark in {@code marks}. {@code copyMark}: the copy counters' sum (CopyHandler#copyMark), used while copying;
     * while replicating the mark is the changes applied.
     */
    static Verdict judge(Migration m, Map<UUID, Mark> marks, Instant now, Duration stallAfter, Duration failAfter, long copyMark) {
        boolean replicating = m.state == MigrationState.REPLICATING;
        // phases with a bound of their own: before the copy starts (guard, capture), a reconciliation, a cutover
        boolean exempt = m.state == MigrationState.COPYING ? m.capture.startedAt == null || m.copy.startedAt == null
                : m.reconciling || m.cuttingOver();
        long pending = m.capture.pending();
        long value = replicating ? m.capture.appliedTotal : copyMark;
        Mark previous = marks.get(m.id);
        if (exempt || (replicating && pending == 0) || previous == null || previous.value() != value) {
            marks.put(m.id, new Mark(value, now, m.capture.captured));
            if (m.stalled != null) {
                String was = m.stalled;
                m.stalled = null;
                m.stalledSince = null;
                return new Verdict.Resumed(replicating ? "replication-resumed" : "copy-resumed", "moving again after: " + was);
            }
            return new Verdict.Unchanged();
        }
        Duration still = Duration.between(previous.at(), now);
        if (still.compareTo(stallAfter) < 0) {
            return new Verdict.Unchanged();
        }
        String reason = replicating
                ? "replication stalled: no change applied since " + previous.at() + " while " + pending + " change(s) were pending"
                + (m.capture.applyError != null ? "; the appliers report: " + m.capture.applyError
                : "; no applier reports an error: check that replicators run and read dfm.changes")
                : "copy stalled: no key copied since " + previous.at() + "; check the copiers' logs and that they reach the source, "
                + "the target and Kafka";
        boolean evidence = !replicating || m.capture.applyError != null || m.capture.captured > previous.captured();
        if (still.compareTo(failAfter) >= 0 && evidence) {
            marks.remove(m.id);
            return new Verdict.Fail(reason + " (for " + still.toMinutes() + " min)");
        }
        if (m.stalled == null) {
            m.stalled = reason;
            m.stalledSince = now;
            return new Verdict.Stalled(replicating ? "replication-stalled" : "copy-stalled", reason);
        }
        return new Verdict.Unchanged();
    }

    /** Samples the applied count for {@code replication.appliedPerSecond}: a new rate every window of at least 5 s. */
    public static void sampleRate(Migration m, Instant now) {
        CaptureInfo c = m.capture;
        if (c.rateAt == null || c.rateApplied == null) {
            c.rateAt = now;
            c.rateApplied = c.appliedTotal;
            return;
        }
        long ms = Duration.between(c.rateAt, now).toMillis();
        if (ms >= 5000) {
            c.applyRate = Math.round((c.appliedTotal - c.rateApplied) * 10_000.0 / ms) / 10.0;
            c.rateAt = now;
            c.rateApplied = c.appliedTotal;
        }
    }
}

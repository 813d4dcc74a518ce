package io.dfmigrate.orchestrator.service.watches;

import io.dfmigrate.common.event.PhaseEvent;
import io.dfmigrate.orchestrator.config.OrchestratorConfig;
import io.dfmigrate.orchestrator.persistence.CaptureInfo;
import io.dfmigrate.orchestrator.persistence.Migration;
import io.dfmigrate.orchestrator.persistence.MigrationState;
import io.dfmigrate.orchestrator.service.MigrationTx;
import io.dfmigrate.orchestrator.service.lifecycle.ReplicationHandler;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.jboss.logging.Logger;

/**
 * Capture supervision and silence: a change capture whose replicator went silent is handed to another replicator (the
 * capture command again, for the consumer group's live members), and fails the migration when nobody takes it over;
 * migrations whose workers went silent altogether become FAILED with a reason instead of staying stuck. Nothing happens
 * during the first timeout after this orchestrator's start or the end of an outage of its database
 * ({@link DatabaseOutages}), so reports queued in Kafka while it could not record them are read first.
 */
@ApplicationScoped
public class HeartbeatWatch {
    private static final Logger LOG = Logger.getLogger(HeartbeatWatch.class);

    private final MigrationTx tx;
    private final OrchestratorConfig config;
    private final DatabaseOutages outages;

    public HeartbeatWatch(MigrationTx tx, OrchestratorConfig config, DatabaseOutages outages) {
        this.tx = tx;
        this.config = config;
        this.outages = outages;
    }

    @Scheduled(every = "${dfm.orchestrator.heartbeat-check}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP,
            skipExecutionIf = WatchLeader.class)
    void check() {
        try {
            // silence counts only from the end of this orchestrator's own last outage: reports kept in Kafka meanwhile come first
            Instant since = outages.healthySince();
            int taken = takeOverSilentCaptures(config.captureTimeout(), config.heartbeatTimeout(), since);
            if (taken > 0) {
                LOG.warnf("%d migration(s) with a silent change capture: takeover asked for, or failed after %s", taken,
                        config.heartbeatTimeout());
            }
            int failed = failSilent(config.heartbeatTimeout(), since);
            if (failed > 0) {
                LOG.warnf("%d migration(s) failed: no worker report for %s", failed, config.heartbeatTimeout());
            }
        } catch (RuntimeException e) {
            outages.reachable(); // an outage of the database (recorded by the probe) postpones the next judgement
            LOG.warnf("heartbeat check: %s", e.toString());
        }
    }

    /** Fails every migration in VALIDATING, COPYING or REPLICATING whose workers have not reported for {@code timeout}. */
    int failSilent(Duration timeout, Instant since) {
        Instant cutoff = Instant.now().minus(timeout);
        if (since.isAfter(cutoff)) {
            return 0;
        }
        List<UUID> silent = QuarkusTransaction.requiringNew().call(() -> Migration.<Migration>list("state in ?1",
                        List.of(MigrationState.VALIDATING, MigrationState.COPYING, MigrationState.REPLICATING)).stream()
                .filter(m -> lastHeard(m).isBefore(cutoff)).map(m -> m.id).toList());
        return tx.each(silent, j -> {
            Migration m = j.migration();
            if (!m.state.active() || !lastHeard(m).isBefore(cutoff)) {
                return false;
            }
            String workers = switch (m.state) {
                case VALIDATING -> "validator";
                case COPYING -> m.capture.startedAt == null ? "replicator (change capture)" : "copier";
                default -> m.reconciling ? "copier (reconciliation) or replicator" : "replicator";
            };
            j.fail("orchestrator", "no report from the " + workers + " for " + timeout.toSeconds()
                    + " s: check that the " + workers + " service runs and reaches Kafka, then restart the migration");
            return true;
        });
    }

    /**
     * Asks another replicator to take over each live capture silent for {@code timeout}; fails a migration whose takeover
     * got no answer within {@code giveUp}. Returns the number of migrations acted on.
     */
    int takeOverSilentCaptures(Duration timeout, Duration giveUp, Instant since) {
        Instant now = Instant.now();
        if (since.isAfter(now.minus(timeout))) {
            return 0;
        }
        List<UUID> candidates = QuarkusTransaction.requiringNew().call(() -> Migration.<Migration>list(
                        "state in ?1 and capture.startedAt is not null", List.of(MigrationState.COPYING, MigrationState.REPLICATING))
                .stream().filter(m -> captureSilent(m, now, timeout, giveUp)).map(m -> m.id).toList());
        return tx.each(candidates, j -> {
            Migration m = j.migration();
            CaptureInfo c = m.capture;
            if (c.startedAt == null || !captureSilent(m, Instant.now(), timeout, giveUp)) {
                return false;
            }
            if (c.takeoverAt == null) {
                ReplicationHandler.askTakeover(j, "orchestrator", "capture-silent", "no report from " + c.worker + ", which captures "
                        + "this migration's changes, for " + timeout.toSeconds() + " s; asking another replicator to take the capture over");
            } else if (c.takeoverAt.isBefore(Instant.now().minus(giveUp)) && c.lastHeard().isBefore(Instant.now().minus(giveUp))) {
                j.fail("orchestrator", "change capture lost: " + c.worker + " stopped capturing and no other replicator "
                        + "took the capture over within " + giveUp.toSeconds() + " s; start a replicator and restart the migration");
            } else {
                // asked, no answer yet (the command may have reached an instance on its way out): ask again
                c.asks++;
                c.askedAt = Instant.now();
                j.phase(PhaseEvent.Kind.CAPTURE, ":takeover:" + c.asks);
            }
            return true;
        });
    }

    /** Something to do about the capture: silent for {@code timeout}, or a takeover asked for and not answered. */
    private static boolean captureSilent(Migration m, Instant now, Duration timeout, Duration giveUp) {
        if (m.cuttingOver()) {
            return false; // the cutover has its own bound (the write pause is aborted after its maximum)
        }
        CaptureInfo c = m.capture;
        if (c.takeoverAt != null) {
            // pending: ask again every timeout; give up when neither a new capture nor any capture report came for giveUp
            return c.askedAt.isBefore(now.minus(timeout))
                    || c.takeoverAt.isBefore(now.minus(giveUp)) && c.lastHeard().isBefore(now.minus(giveUp));
        }
        return c.lastHeard().isBefore(now.minus(timeout));
    }

    private static Instant lastHeard(Migration m) {
        return m.lastReportAt != null && m.lastReportAt.isAfter(m.updatedAt) ? m.lastReportAt : m.updatedAt;
    }
}

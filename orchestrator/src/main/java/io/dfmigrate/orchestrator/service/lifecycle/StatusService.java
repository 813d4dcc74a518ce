package io.dfmigrate.orchestrator.service.lifecycle;

import io.dfmigrate.common.event.StatusEvent;
import io.dfmigrate.orchestrator.config.OrchestratorConfig;
import io.dfmigrate.orchestrator.persistence.Migration;
import io.dfmigrate.orchestrator.persistence.ProcessedEvent;
import io.dfmigrate.orchestrator.service.Journal;
import io.dfmigrate.orchestrator.service.MigrationTx;
import io.quarkus.narayana.jta.QuarkusTransaction;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.util.UUID;
import org.eclipse.microprofile.faulttolerance.Retry;
import org.jboss.logging.Logger;

/**
 * Applies the workers' reports: each at most once (by its id), in its own transaction, to the current run only; the
 * report's family decides (an exhaustive switch over the sealed {@link StatusEvent}: a new report type does not compile
 * until it is handled). Heartbeats and live progress are liveness and are not deduplicated.
 */
@ApplicationScoped
public class StatusService {
    private static final Logger LOG = Logger.getLogger(StatusService.class);

    private final MigrationTx tx;
    private final int maxStoredDifferences;

    public StatusService(MigrationTx tx, OrchestratorConfig config) {
        this.tx = tx;
        this.maxStoredDifferences = config.verifyMaxStoredDifferences();
    }

    /** Retried on a transient failure (a database blip, a lost optimistic-lock race): 5 attempts, 200 ms apart and more. */
    @Retry(maxRetries = 4, delay = 200, jitter = 100)
    public void apply(StatusEvent e) {
        try {
            applyOnce(e);
        } catch (RuntimeException ex) {
            LOG.warnf("status event %s: not applied (%s); retrying", e.id(), ex.getClass().getSimpleName());
            throw ex;
        }
    }

    private void applyOnce(StatusEvent e) {
        UUID id = MigrationTx.parseId(e.migrationId());
        if (id == null || e.id() == null) {
            LOG.warnf("dropping status event without a valid migration id or event id (type %s)", e.type());
            return;
        }
        if (e instanceof StatusEvent.Heartbeat || e instanceof StatusEvent.CopyProgress) {
            QuarkusTransaction.requiringNew().run(() -> liveness(id, e));
            return;
        }
        tx.after(QuarkusTransaction.requiringNew().call(() -> once(id, e)));
    }

    /** Liveness, and live progress that replaces the worker's previous report: no id is kept. */
    private static void liveness(UUID id, StatusEvent e) {
        Migration m = Migration.findById(id);
        if (m != null && m.run == e.run() && m.verification.running() && e instanceof StatusEvent.Heartbeat) {
            m.verification.reportAt = Instant.now(); // a copier is busy with this run: maybe verifying
        }
        if (m != null && m.run == e.run() && m.state.active()) {
            m.lastReportAt = Instant.now();
            if (e instanceof StatusEvent.CopyProgress p) {
                CopyHandler.onProgress(m, p);
            }
        }
    }

    /** Returns the journal of what the report caused, or null when it was a duplicate, stale or for nobody. */
    private Journal once(UUID id, StatusEvent e) {
        if (ProcessedEvent.findById(e.id()) != null) {
            LOG.debugf("status event %s already applied", e.id());
            return null;
        }
        ProcessedEvent p = new ProcessedEvent();
        p.eventId = e.id();
        p.migrationId = id;
        p.processedAt = Instant.now();
        p.persist();
        Migration m = Migration.findById(id);
        if (m == null) {
            LOG.debugf("status event %s is for an unknown migration; ignored", e.id());
            return null;
        }
        Journal j = new Journal(m);
        if (e instanceof StatusEvent.CaptureReady ready && (m.run != e.run() || !m.state.live())) {
            ReplicationHandler.stopStray(j, ready);
            return j;
        }
        if (m.run != e.run()) {
            LOG.debugf("status event %s is for an earlier run; ignored", e.id());
            return null;
        }
        m.lastReportAt = Instant.now();
        dispatch(j, e, e.worker() == null ? "worker" : e.worker());
        return j;
    }

    private void dispatch(Journal j, StatusEvent e, String actor) {
        switch (e) {
            case StatusEvent.Validation v -> ValidationHandler.on(j, v, actor);
            case StatusEvent.ScanStarted s -> CopyHandler.onScanStarted(j, s);
            case StatusEvent.ScanCompleted s -> CopyHandler.onScanCompleted(j, s, actor);
            case StatusEvent.BatchDone b -> CopyHandler.onBatchDone(j, b, actor);
            case StatusEvent.CaptureConfiguring c -> ReplicationHandler.onCaptureConfiguring(j, c, actor);
            case StatusEvent.CaptureReady c -> ReplicationHandler.onCaptureReady(j, c, actor);
            case StatusEvent.CaptureReleased c -> ReplicationHandler.onCaptureReleased(j, c, actor);
            case StatusEvent.ReplicationReport r -> ReplicationHandler.onReplication(j, r, actor);
            case StatusEvent.ReconcileNeeded r -> ReplicationHandler.onReconcileNeeded(j, r, actor);
            case StatusEvent.CutoverPaused c -> CutoverHandler.onPaused(j, c, actor);
            case StatusEvent.CutoverAborted c -> CutoverHandler.onAborted(j, c, actor);
            case StatusEvent.CutoverDone c -> CutoverHandler.onDone(j, c, actor);
            case StatusEvent.VerifyScan v -> VerifyHandler.onScan(j, v, actor);
            case StatusEvent.VerifyBatchDone v -> VerifyHandler.onBatchDone(j, v, actor, maxStoredDifferences);
            case StatusEvent.Failed f -> {
                if (j.migration().state.active()) {
                    j.fail(actor, f.error());
                }
            }
            // liveness only: handled before the idempotency check
            case StatusEvent.Heartbeat h -> { }
            case StatusEvent.CopyProgress p -> { }
        }
    }
}

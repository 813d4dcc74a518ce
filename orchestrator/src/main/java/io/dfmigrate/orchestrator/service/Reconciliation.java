package io.dfmigrate.orchestrator.service;

import io.dfmigrate.common.event.PhaseEvent;
import io.dfmigrate.common.event.StatusEvent;
import io.dfmigrate.orchestrator.persistence.Migration;

/**
 * Reconciliation pass N: the copier rescans source and target while the appliers hold the changes in Kafka; when every
 * batch of the pass is done, replication goes on. Started after a capture gap, a takeover, a FLUSHDB or a count drift.
 */
final class Reconciliation {
    static void start(Journal j, String actor, String reason) {
        Migration m = j.migration();
        m.reconcilePass++;
        m.reconciling = true;
        m.reconcileBatchesTotal = null;
        m.reconcileBatchesDone = 0;
        j.audit(actor, "reconcile", "pass " + m.reconcilePass + ": " + reason
                + "; rescanning source and target, changes are held until it is done");
        j.phase(PhaseEvent.Kind.RECONCILE);
    }

    static void onScanCompleted(Journal j, StatusEvent.ScanCounts scan, String actor) {
        Migration m = j.migration();
        if (m.reconciling && scan.pass() == m.reconcilePass) {
            m.reconcileBatchesTotal = scan.batches();
            j.touch();
            checkDone(j, actor);
        }
    }

    static void onBatchDone(Journal j, StatusEvent.BatchResult b, String actor) {
        Migration m = j.migration();
        if (m.reconciling && b.pass() == m.reconcilePass) {
            m.reconcileBatchesDone++;
            if (b.failed() > 0) {
                j.audit(actor, "key-errors", b.failed() + " key(s) failed in reconciliation batch " + b.batchId());
            }
            checkDone(j, actor);
        }
    }

    private static void checkDone(Journal j, String actor) {
        Migration m = j.migration();
        if (m.reconciling && m.reconcileBatchesTotal != null && m.reconcileBatchesDone >= m.reconcileBatchesTotal) {
            m.reconciling = false;
            j.audit(actor, "reconciled", "pass " + m.reconcilePass + ": " + m.reconcileBatchesDone
                    + " batch(es) of source and target keys re-synced; replication goes on");
            j.phase(PhaseEvent.Kind.REPLICATE);
        }
    }

    private Reconciliation() {
    }
}

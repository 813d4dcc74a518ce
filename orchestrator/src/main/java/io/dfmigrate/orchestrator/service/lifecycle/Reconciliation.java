package io.dfmigrate.orchestrator.service.lifecycle;

import com.fasterxml.jackson.core.type.TypeReference;
import io.dfmigrate.common.event.Json;
import io.dfmigrate.common.event.PhaseEvent;
import io.dfmigrate.common.event.StatusEvent;
import io.dfmigrate.orchestrator.persistence.Migration;
import io.dfmigrate.orchestrator.service.Journal;
import java.util.ArrayList;
import java.util.List;

/**
 * Reconciliation pass N: the copier rescans source and target while the appliers hold the changes in Kafka; when every
 * batch of the pass is done, replication goes on. Started after a capture gap, a takeover, a FLUSHDB or a count drift.
 */
public final class Reconciliation {
    public static void start(Journal j, String actor, String reason) {
        start(j, actor, reason, null);
    }

    /**
     * Pass N+1; {@code shards}: the Redis Cluster masters whose changes may be missing (null: any key's). A pass that
     * starts while the previous one runs takes over its masters too (it supersedes it), and all of them if either was whole.
     */
    static void start(Journal j, String actor, String reason, List<String> shards) {
        Migration m = j.migration();
        List<String> scope = shards == null || shards.isEmpty() ? null : new ArrayList<>(shards);
        if (scope != null && m.reconciling) {
            List<String> running = shards(m);
            if (running == null) {
                scope = null;
            } else {
                running.stream().filter(s -> !shards.contains(s)).forEach(scope::add);
            }
        }
        m.reconcilePass++;
        m.reconciling = true;
        m.reconcileBatchesTotal = null;
        m.reconcileBatchesDone = 0;
        m.reconcileShards = scope == null ? null : Json.write(scope.stream().sorted().toList());
        j.audit(actor, "reconcile", "pass " + m.reconcilePass + ": " + reason + "; rescanning "
                + (scope == null ? "source and target" : "master(s) " + String.join(", ", shards(m)) + " and their slots' keys on the target")
                + ", changes are held until it is done");
        j.phase(PhaseEvent.Kind.RECONCILE);
    }

    /** The current pass's masters, or null when it rescans the whole keyspace. */
    public static List<String> shards(Migration m) {
        return m.reconcileShards == null ? null : Json.read(m.reconcileShards, new TypeReference<List<String>>() {
        });
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

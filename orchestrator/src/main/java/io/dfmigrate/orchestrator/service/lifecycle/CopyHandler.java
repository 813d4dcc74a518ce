package io.dfmigrate.orchestrator.service.lifecycle;

import com.fasterxml.jackson.core.type.TypeReference;
import io.dfmigrate.common.event.Json;
import io.dfmigrate.common.event.PhaseEvent;
import io.dfmigrate.common.event.RunKey;
import io.dfmigrate.common.event.StatusEvent;
import io.dfmigrate.orchestrator.persistence.CopyCounters;
import io.dfmigrate.orchestrator.persistence.Migration;
import io.dfmigrate.orchestrator.persistence.MigrationState;
import io.dfmigrate.orchestrator.persistence.Transition;
import io.dfmigrate.orchestrator.service.Journal;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.jboss.logging.Logger;

/**
 * The copiers' reports: the scan's totals, acknowledged batches (counted once, by event id), live progress; the copy is
 * done when every batch is, and replication begins (or a reconciliation first, after a capture gap).
 */
public final class CopyHandler {
    private static final Logger LOG = Logger.getLogger(CopyHandler.class);

    static void onScanStarted(Journal j, StatusEvent.ScanStarted e) {
        Migration m = j.migration();
        if (m.state == MigrationState.COPYING && m.copy.batchesTotal == null && e.scan() != null) {
            m.copy.keysTotal = e.scan().keys();
            if (e.copy() != null) {
                m.copy.mode = e.copy().mode();
                m.copy.modeReason = e.copy().reason();
            }
            j.touch();
        }
    }

    static void onScanCompleted(Journal j, StatusEvent.ScanCompleted e, String actor) {
        Migration m = j.migration();
        if (e.scan() == null) {
            return;
        }
        if (e.scan().pass() != null) {
            Reconciliation.onScanCompleted(j, e.scan(), actor);
            return;
        }
        if (m.state != MigrationState.COPYING) {
            return;
        }
        m.copy.batchesTotal = e.scan().batches();
        m.copy.keysTotal = e.scan().keys();
        Shards.onScan(m, e.scan().shards());
        j.touch();
        checkCopyDone(j, actor);
    }

    static void onBatchDone(Journal j, StatusEvent.BatchDone e, String actor) {
        Migration m = j.migration();
        StatusEvent.BatchResult b = e.batch();
        if (b == null) {
            return;
        }
        if (!ofThisScan(e, b, Journal.options(m).dbs())) {
            LOG.warnf("migration %s: report of batch '%s' ignored: not a batch of run %d's scan", m.id, b.batchId(), e.run());
            return;
        }
        if (b.pass() != null) {
            Reconciliation.onBatchDone(j, b, actor);
            return;
        }
        if (m.state != MigrationState.COPYING) {
            return;
        }
        CopyCounters c = m.copy;
        c.batchesDone++;
        c.keysCopied += b.keys() - b.failed();
        c.keysFailed += b.failed();
        c.keysDeleted += b.deleted();
        c.bytesCopied += b.bytes();
        c.keysStructural += b.structural();
        Shards.onBatch(m, b);
        j.touch();
        if (b.failed() > 0) {
            var first = b.failures() == null || b.failures().isEmpty() ? null : b.failures().get(0);
            String what = b.failed() + " key(s) failed in batch " + b.batchId()
                    + (first == null ? "" : ", e.g. db " + first.db() + " key '" + first.key() + "': " + first.reason());
            j.audit(actor, "key-errors", what);
            if ("fail".equals(Journal.options(m).onKeyError())) {
                j.fail(actor, what + " (options.onKeyError=fail)");
                return;
            }
        }
        checkCopyDone(j, actor);
    }

    /**
     * Whether the batch id is one the run's scan hands out: {@code <run>:<db>:<seq>} for the copy,
     * {@code <run>:r<pass>:<s|t>:<db>:<seq>} for a reconciliation, with a database the migration copies.
     */
    static boolean ofThisScan(StatusEvent.BatchDone e, StatusEvent.BatchResult b, List<Integer> dbs) {
        String prefix = RunKey.of(e) + (b.pass() == null ? ":" : ":r" + b.pass() + ":");
        if (b.batchId() == null || !b.batchId().startsWith(prefix)) {
            return false;
        }
        String[] rest = b.batchId().substring(prefix.length()).split(":");
        int at = b.pass() == null ? 0 : 1;
        if (rest.length != at + 2 || (b.pass() != null && !rest[0].equals("s") && !rest[0].equals("t"))) {
            return false;
        }
        try {
            int db = Integer.parseInt(rest[at]);
            Long.parseLong(rest[at + 1]);
            return dbs == null || dbs.isEmpty() || dbs.contains(db);
        } catch (NumberFormatException x) {
            return false;
        }
    }

    /** A copier's live totals replace its previous ones (not deduplicated: nothing is counted from them). */
    static void onProgress(Migration m, StatusEvent.CopyProgress e) {
        if (e.progress() != null && m.state == MigrationState.COPYING && e.worker() != null) {
            Map<String, StatusEvent.Progress> live = liveProgress(m);
            live.put(e.worker(), e.progress());
            m.copy.live = Json.write(live);
        }
    }

    private static void checkCopyDone(Journal j, String actor) {
        Migration m = j.migration();
        CopyCounters c = m.copy;
        if (c.batchesTotal != null && c.batchesDone >= c.batchesTotal) {
            c.finishedAt = Instant.now();
            j.transition(Transition.COPY_DONE, actor,
                    c.keysCopied + " key(s) copied (" + c.keysStructural + " by type), " + c.keysFailed + " failed, " + c.bytesCopied
                            + " bytes in " + Duration.between(c.startedAt, c.finishedAt).toMillis() + " ms");
            if (m.capture.gap != null) {
                // the capture had a gap during the copy: the changes stay held until source and target are rescanned
                String gap = m.capture.gap;
                m.capture.gap = null;
                Reconciliation.start(j, actor, gap);
            } else {
                j.phase(PhaseEvent.Kind.REPLICATE);
            }
        }
    }

    public static Map<String, StatusEvent.Progress> liveProgress(Migration m) {
        Map<String, StatusEvent.Progress> live = new TreeMap<>();
        if (m.copy.live != null) {
            live.putAll(Json.read(m.copy.live, new TypeReference<Map<String, StatusEvent.Progress>>() {
            }));
        }
        return live;
    }

    /** What moves while a copy makes progress: acknowledged batches and keys, and the copiers' live keys and big-key elements. */
    public static long copyMark(Migration m) {
        long live = liveProgress(m).values().stream().mapToLong(p -> p.keys() + p.bigKeyElements() + p.failed()).sum();
        return m.copy.batchesDone + m.copy.keysCopied + m.copy.keysFailed + live;
    }

    private CopyHandler() {
    }
}

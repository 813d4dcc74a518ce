package io.dfmigrate.common.event;

import java.time.Instant;
import java.util.List;

/**
 * A worker's report on {@code dfm.status}, keyed by migration id. {@code id} is the idempotency id: the
 * orchestrator applies an event with a given id at most once. Exactly the payload fields of the {@code type}
 * are set (see docs/events.md).
 */
public record StatusEvent(
        String id,
        String type,
        String migrationId,
        int run,
        Instant time,
        String worker,
        List<ValidationCheck> checks,
        ScanCompleted scan,
        BatchDone batch,
        String error,
        Capture capture,
        Replication replication,
        Cutover cutover,
        Progress progress) {

    /**
     * A copier instance's cumulative totals for a run, including batches not acknowledged yet: keys written, bytes of
     * DUMP payloads, keys failed, keys copied by type (fallback), elements written by structural copies of big keys, and
     * its rate over the last interval. Informational: the exact counters come from {@code batch-done}.
     */
    public record Progress(long keys, long bytes, long failed, long structural, long bigKeyElements, double keysPerSecond) {
    }

    /**
     * Cutover progress: {@code captured} changes captured when writes were paused (all must be applied), the write pause
     * in ms, whether the per-database key counts of source and target matched, and a human-readable detail.
     */
    public record Cutover(Long captured, Long pauseMillis, Boolean verified, String detail) {
    }

    /** Capture subscribed; {@code previousNotify} is the source's notify-keyspace-events before dfmigrate changed it (null: unchanged). */
    public record Capture(String previousNotify, long startedAtMillis, String capture) {
        /** {@code capture}: the id of this capture; another id for the same run means another replicator took over. */
        public Capture(String previousNotify, long startedAtMillis) {
            this(previousNotify, startedAtMillis, null);
        }
    }

    /**
     * Replication counters of one worker: {@code captured} is the capture's cumulative count (or null), {@code applied} the
     * changes applied since the previous report of this worker (a delta, counted once by event id), {@code lagMillis} the
     * age of the newest applied change when it was applied; {@code capture} the id of the capture these counts belong to
     * (the reporting capture's, or the one that saw the applied changes), so after a takeover the new capture is drained
     * on its own counts. {@code error}: an applier's last error while it keeps failing to apply (null when it works), so a
     * stalled replication shows why.
     */
    public record Replication(Long captured, long applied, Long lagMillis, String capture, String error) {
        public Replication(Long captured, long applied, Long lagMillis, String capture) {
            this(captured, applied, lagMillis, capture, null);
        }

        public Replication(Long captured, long applied, Long lagMillis) {
            this(captured, applied, lagMillis, null, null);
        }
    }

    /** The scanner's counts: batches published and key names scanned (an estimate in scan-started). */
    public record ScanCompleted(long batches, long keys, Integer pass) {
        public ScanCompleted(long batches, long keys) {
            this(batches, keys, null);
        }
    }

    /** One batch was copied (fully or with per-key failures); {@code structural} keys were copied by type (big or refused DUMP). */
    public record BatchDone(String batchId, long keys, long failed, long bytes, long deleted, long structural, List<KeyFailure> failures,
                            Integer pass) {
        public BatchDone(String batchId, long keys, long failed, long bytes, long deleted, long structural, List<KeyFailure> failures) {
            this(batchId, keys, failed, bytes, deleted, structural, failures, null);
        }
    }

    public static StatusEvent validation(String migrationId, int run, String worker, List<ValidationCheck> checks) {
        return new StatusEvent(migrationId + ":" + run + ":validation", EventTypes.STATUS_VALIDATION, migrationId, run,
                Instant.now(), worker, checks, null, null, null, null, null, null, null);
    }

    /** {@code keys} is the source's key count (INFO keyspace) when the scan began: an estimate for progress. */
    public static StatusEvent scanStarted(String migrationId, int run, String worker, long keys) {
        return new StatusEvent(migrationId + ":" + run + ":scan-started", EventTypes.STATUS_SCAN_STARTED, migrationId, run,
                Instant.now(), worker, null, new ScanCompleted(0, keys), null, null, null, null, null, null);
    }

    public static StatusEvent scanCompleted(String migrationId, int run, String worker, long batches, long keys) {
        return scanCompleted(migrationId, run, worker, batches, keys, null);
    }

    /** {@code pass}: null for the initial copy, N for reconciliation pass N. */
    public static StatusEvent scanCompleted(String migrationId, int run, String worker, long batches, long keys, Integer pass) {
        return new StatusEvent(migrationId + ":" + run + ":scan" + (pass == null ? "" : ":r" + pass), EventTypes.STATUS_SCAN_COMPLETED,
                migrationId, run, Instant.now(), worker, null, new ScanCompleted(batches, keys, pass), null, null, null, null, null, null);
    }

    /** Capture {@code capture} of the run ended because its replicator shuts down ({@code reason}); no loss yet. */
    public static StatusEvent captureReleased(String migrationId, int run, String worker, String capture, String reason) {
        return new StatusEvent(migrationId + ":" + run + ":capture-released:" + capture, EventTypes.STATUS_CAPTURE_RELEASED, migrationId,
                run, Instant.now(), worker, null, null, null, reason, new Capture(null, System.currentTimeMillis(), capture), null, null, null);
    }

    public static StatusEvent reconcileNeeded(String migrationId, int run, String worker, String reason) {
        return new StatusEvent(java.util.UUID.randomUUID().toString(), EventTypes.STATUS_RECONCILE_NEEDED, migrationId, run, Instant.now(),
                worker, null, null, null, reason, null, null, null, null);
    }

    public static StatusEvent batchDone(String migrationId, int run, String worker, BatchDone batch) {
        return new StatusEvent(migrationId + ":" + run + ":batch:" + batch.batchId(), EventTypes.STATUS_BATCH_DONE,
                migrationId, run, Instant.now(), worker, null, null, batch, null, null, null, null, null);
    }

    /** Liveness only; its id is unique and it is not deduplicated. */
    public static StatusEvent heartbeat(String migrationId, int run, String worker) {
        return new StatusEvent(java.util.UUID.randomUUID().toString(), EventTypes.STATUS_HEARTBEAT, migrationId, run, Instant.now(),
                worker, null, null, null, null, null, null, null, null);
    }

    public static StatusEvent captureReady(String migrationId, int run, String worker, String previousNotify) {
        return captureReady(migrationId, run, worker, previousNotify, null);
    }

    /** Capture {@code capture} of the run is ready; every capture of a run (a takeover) has an event id of its own. */
    public static StatusEvent captureReady(String migrationId, int run, String worker, String previousNotify, String capture) {
        return new StatusEvent(migrationId + ":" + run + ":capture-ready" + (capture == null ? "" : ":" + capture),
                EventTypes.STATUS_CAPTURE_READY, migrationId, run, Instant.now(), worker, null, null, null, null,
                new Capture(previousNotify, System.currentTimeMillis(), capture), null, null, null);
    }

    /** Each report has its own id (a redelivered report keeps it), so deltas are counted exactly once. */
    public static StatusEvent replication(String migrationId, int run, String worker, Replication counters) {
        return new StatusEvent(java.util.UUID.randomUUID().toString(), EventTypes.STATUS_REPLICATION, migrationId, run, Instant.now(),
                worker, null, null, null, null, null, counters, null, null);
    }

    /** A cutover may be tried again in the same run (after an abort), so each report has its own id. */
    public static StatusEvent cutover(String migrationId, int run, String worker, String type, Cutover cutover) {
        return new StatusEvent(java.util.UUID.randomUUID().toString(), type, migrationId, run, Instant.now(), worker, null, null, null,
                null, null, null, cutover, null);
    }

    /** Live progress: not deduplicated (each report replaces the previous one of the same worker). */
    public static StatusEvent copyProgress(String migrationId, int run, String worker, Progress progress) {
        return new StatusEvent(java.util.UUID.randomUUID().toString(), EventTypes.STATUS_COPY_PROGRESS, migrationId, run, Instant.now(),
                worker, null, null, null, null, null, null, null, progress);
    }

    public static StatusEvent failed(String migrationId, int run, String worker, String phase, String error) {
        return new StatusEvent(migrationId + ":" + run + ":failed:" + phase, EventTypes.STATUS_FAILED, migrationId, run,
                Instant.now(), worker, null, null, null, error, null, null, null, null);
    }
}

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
        String error) {

    /** The scanner's counts: batches published and key names scanned (an estimate in scan-started). */
    public record ScanCompleted(long batches, long keys) {
    }

    /** One batch was copied (fully or with per-key failures). */
    public record BatchDone(String batchId, long keys, long failed, long bytes, long deleted, List<KeyFailure> failures) {
    }

    public static StatusEvent validation(String migrationId, int run, String worker, List<ValidationCheck> checks) {
        return new StatusEvent(migrationId + ":" + run + ":validation", EventTypes.STATUS_VALIDATION, migrationId, run,
                Instant.now(), worker, checks, null, null, null);
    }

    /** {@code keys} is the source's key count (INFO keyspace) when the scan began: an estimate for progress. */
    public static StatusEvent scanStarted(String migrationId, int run, String worker, long keys) {
        return new StatusEvent(migrationId + ":" + run + ":scan-started", EventTypes.STATUS_SCAN_STARTED, migrationId, run,
                Instant.now(), worker, null, new ScanCompleted(0, keys), null, null);
    }

    public static StatusEvent scanCompleted(String migrationId, int run, String worker, long batches, long keys) {
        return new StatusEvent(migrationId + ":" + run + ":scan", EventTypes.STATUS_SCAN_COMPLETED, migrationId, run,
                Instant.now(), worker, null, new ScanCompleted(batches, keys), null, null);
    }

    public static StatusEvent batchDone(String migrationId, int run, String worker, BatchDone batch) {
        return new StatusEvent(migrationId + ":" + run + ":batch:" + batch.batchId(), EventTypes.STATUS_BATCH_DONE,
                migrationId, run, Instant.now(), worker, null, null, batch, null);
    }

    /** Liveness only; its id is unique and it is not deduplicated. */
    public static StatusEvent heartbeat(String migrationId, int run, String worker) {
        return new StatusEvent(java.util.UUID.randomUUID().toString(), EventTypes.STATUS_HEARTBEAT, migrationId, run, Instant.now(),
                worker, null, null, null, null);
    }

    public static StatusEvent failed(String migrationId, int run, String worker, String phase, String error) {
        return new StatusEvent(migrationId + ":" + run + ":failed:" + phase, EventTypes.STATUS_FAILED, migrationId, run,
                Instant.now(), worker, null, null, null, error);
    }
}

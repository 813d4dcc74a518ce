package io.dfmigrate.common.event;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import com.fasterxml.jackson.annotation.JsonTypeName;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * A worker's report on {@code dfm.status}, keyed by migration id: one record per report type, the wire {@code type} from
 * its {@link JsonTypeName}, its payload in the field docs/events.md names. {@code id} is the idempotency id: the
 * orchestrator applies an event with a given id at most once (heartbeats and live progress are not deduplicated).
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, include = JsonTypeInfo.As.PROPERTY, property = "type")
@JsonSubTypes({@JsonSubTypes.Type(StatusEvent.Validation.class), @JsonSubTypes.Type(StatusEvent.ScanStarted.class),
        @JsonSubTypes.Type(StatusEvent.ScanCompleted.class), @JsonSubTypes.Type(StatusEvent.BatchDone.class),
        @JsonSubTypes.Type(StatusEvent.CopyProgress.class), @JsonSubTypes.Type(StatusEvent.Failed.class),
        @JsonSubTypes.Type(StatusEvent.CaptureConfiguring.class), @JsonSubTypes.Type(StatusEvent.CaptureReady.class),
        @JsonSubTypes.Type(StatusEvent.CaptureReleased.class),
        @JsonSubTypes.Type(StatusEvent.ReplicationReport.class), @JsonSubTypes.Type(StatusEvent.CutoverPaused.class),
        @JsonSubTypes.Type(StatusEvent.CutoverDone.class), @JsonSubTypes.Type(StatusEvent.CutoverAborted.class),
        @JsonSubTypes.Type(StatusEvent.ReconcileNeeded.class), @JsonSubTypes.Type(StatusEvent.Heartbeat.class),
        @JsonSubTypes.Type(StatusEvent.VerifyScan.class), @JsonSubTypes.Type(StatusEvent.VerifyBatchDone.class)})
public sealed interface StatusEvent {
    String id();

    String migrationId();

    int run();

    Instant time();

    /** {@code service/instance} of the reporting worker. */
    String worker();

    /** The wire type name, e.g. {@code dfm.status.failed.v1}. */
    default String type() {
        return EventTypes.nameOf(getClass());
    }

    // ---- one record per report --------------------------------------------------------------------------------------

    /** The validator's checks of source and target. */
    @JsonTypeName(EventTypes.STATUS_VALIDATION)
    record Validation(String id, String migrationId, int run, Instant time, String worker, List<ValidationCheck> checks)
            implements StatusEvent {
    }

    /**
     * The copy began; {@code scan.keys} is the source's key count then (an estimate for progress); {@code copy} the copy
     * the copier took (scan or snapshot) and why (absent from copiers before it).
     */
    @JsonTypeName(EventTypes.STATUS_SCAN_STARTED)
    record ScanStarted(String id, String migrationId, int run, Instant time, String worker, ScanCounts scan, CopyMode copy)
            implements StatusEvent {
        public ScanStarted(String id, String migrationId, int run, Instant time, String worker, ScanCounts scan) {
            this(id, migrationId, run, time, worker, scan, null);
        }
    }

    /** The scan is done: every batch is published. */
    @JsonTypeName(EventTypes.STATUS_SCAN_COMPLETED)
    record ScanCompleted(String id, String migrationId, int run, Instant time, String worker, ScanCounts scan) implements StatusEvent {
    }

    /** One batch was copied (fully or with per-key failures). */
    @JsonTypeName(EventTypes.STATUS_BATCH_DONE)
    record BatchDone(String id, String migrationId, int run, Instant time, String worker, BatchResult batch) implements StatusEvent {
    }

    /** A copier's live totals for a run, every second while it copies (ahead of the acknowledged batches). */
    @JsonTypeName(EventTypes.STATUS_COPY_PROGRESS)
    record CopyProgress(String id, String migrationId, int run, Instant time, String worker, Progress progress) implements StatusEvent {
    }

    /** A phase failed on a worker: the migration fails with {@code error}. */
    @JsonTypeName(EventTypes.STATUS_FAILED)
    record Failed(String id, String migrationId, int run, Instant time, String worker, String error) implements StatusEvent {
    }

    /**
     * Sent, and acknowledged by the broker, before the replicator changes the source's notify-keyspace-events:
     * {@code capture.previousNotify} is the value to give back, so a replicator that dies right after the change leaves
     * the orchestrator able to restore it.
     */
    @JsonTypeName(EventTypes.STATUS_CAPTURE_CONFIGURING)
    record CaptureConfiguring(String id, String migrationId, int run, Instant time, String worker, Capture capture)
            implements StatusEvent {
    }

    /** Change capture is subscribed: every write from now on is captured. */
    @JsonTypeName(EventTypes.STATUS_CAPTURE_READY)
    record CaptureReady(String id, String migrationId, int run, Instant time, String worker, Capture capture) implements StatusEvent {
    }

    /** A replicator shutting down let go of a capture ({@code error} says why): another one should take it over. */
    @JsonTypeName(EventTypes.STATUS_CAPTURE_RELEASED)
    record CaptureReleased(String id, String migrationId, int run, Instant time, String worker, String error, Capture capture)
            implements StatusEvent {
    }

    /** Replication counters: changes captured (cumulative) or applied (delta), and lag. */
    @JsonTypeName(EventTypes.STATUS_REPLICATION)
    record ReplicationReport(String id, String migrationId, int run, Instant time, String worker, Replication replication)
            implements StatusEvent {
    }

    /** Cutover: writes paused on the source, {@code cutover.captured} changes to drain. */
    @JsonTypeName(EventTypes.STATUS_CUTOVER_PAUSED)
    record CutoverPaused(String id, String migrationId, int run, Instant time, String worker, Cutover cutover) implements StatusEvent {
    }

    /** Cutover done: the pause's length, whether the key counts matched. */
    @JsonTypeName(EventTypes.STATUS_CUTOVER_DONE)
    record CutoverDone(String id, String migrationId, int run, Instant time, String worker, Cutover cutover) implements StatusEvent {
    }

    /** Cutover aborted (the drain took too long, the capture broke); writes resumed on the source. */
    @JsonTypeName(EventTypes.STATUS_CUTOVER_ABORTED)
    record CutoverAborted(String id, String migrationId, int run, Instant time, String worker, Cutover cutover) implements StatusEvent {
    }

    /** Capture may have missed changes (lost subscription, FLUSHDB/FLUSHALL) but captures again: reconcile. */
    @JsonTypeName(EventTypes.STATUS_RECONCILE_NEEDED)
    record ReconcileNeeded(String id, String migrationId, int run, Instant time, String worker, String error, List<String> shards)
            implements StatusEvent {
        public ReconcileNeeded(String id, String migrationId, int run, Instant time, String worker, String error) {
            this(id, migrationId, run, time, worker, error, null);
        }
    }

    /** A worker is still busy with a migration run (sent every few seconds while it works). */
    @JsonTypeName(EventTypes.STATUS_HEARTBEAT)
    record Heartbeat(String id, String migrationId, int run, Instant time, String worker) implements StatusEvent {
    }

    /** A verification's scan began ({@code scan.batches} null, {@code scan.keys} an estimate), ended, or failed ({@code scan.error}). */
    @JsonTypeName(EventTypes.STATUS_VERIFY_SCAN)
    record VerifyScan(String id, String migrationId, int run, Instant time, String worker, VerifyScanCounts scan) implements StatusEvent {
    }

    /** One part of a verified batch (a batch with many differences is reported in several parts). */
    @JsonTypeName(EventTypes.STATUS_VERIFY_BATCH_DONE)
    record VerifyBatchDone(String id, String migrationId, int run, Instant time, String worker, VerifyBatchResult batch)
            implements StatusEvent {
    }

    // ---- payloads ---------------------------------------------------------------------------------------------------

    /**
     * A copier instance's cumulative totals for a run, including batches not acknowledged yet: keys written, bytes of
     * DUMP payloads, keys failed, keys copied by type (fallback), elements written by structural copies of big keys, and
     * its rate over the last interval. Informational: the exact counters come from {@code batch-done}.
     */
    record Progress(long keys, long bytes, long failed, long structural, long bigKeyElements, double keysPerSecond) {
    }

    /**
     * Cutover progress: {@code captured} changes captured when writes were paused (all must be applied), the write pause
     * in ms, whether the per-database key counts of source and target matched, and a human-readable detail.
     */
    record Cutover(Long captured, Long pauseMillis, Boolean verified, String detail, List<ShardCutover> shards) {
        public Cutover(Long captured, Long pauseMillis, Boolean verified, String detail) {
            this(captured, pauseMillis, verified, detail, null);
        }
    }

    /**
     * One master of a Redis Cluster source at the cutover: {@code server} (host:port), whether its writes were paused, its
     * keys in the migration's databases while paused and how many of its keys the cutover's check found different on the
     * target (null when not read).
     */
    record ShardCutover(String server, boolean paused, Long keys, Long differ) {
    }

    /**
     * Capture subscribed; {@code previousNotify} is the source's notify-keyspace-events before dfmigrate changed it (null:
     * unchanged); {@code capture} the id of this capture (another id for the same run means another replicator took over).
     */
    record Capture(String previousNotify, long startedAtMillis, String capture) {
    }

    /**
     * Replication counters of one worker: {@code captured} is the capture's cumulative count (or null), {@code applied} the
     * changes applied since the previous report of this worker (a delta, counted once by event id), {@code lagMillis} the
     * age of the newest applied change when it was applied; {@code capture} the id of the capture these counts belong to
     * (the reporting capture's, or the one that saw the applied changes), so after a takeover the new capture is drained
     * on its own counts. {@code error}: an applier's last error while it keeps failing to apply (null when it works), so a
     * stalled replication shows why.
     */
    record Replication(Long captured, long applied, Long lagMillis, String capture, String error, List<ShardReplication> shards) {
        public Replication(Long captured, long applied, Long lagMillis, String capture, String error) {
            this(captured, applied, lagMillis, capture, error, null);
        }
    }

    /**
     * One master of a Redis Cluster source: {@code server} (host:port); in a capture's report its cumulative
     * {@code captured} count and whether it is {@code subscribed}; in an applier's report the changes of that master it
     * {@code applied} since its previous report and the age of the newest one ({@code lagMillis}). Null fields: not known by
     * the reporter.
     */
    record ShardReplication(String server, Long captured, Boolean subscribed, Long applied, Long lagMillis) {
    }

    /** The initial copy a copier took: {@code mode} scan or snapshot, {@code reason} why (options.copyMode, or auto's choice). */
    record CopyMode(String mode, String reason) {
    }

    /** The scanner's counts: batches published and key names scanned (an estimate in scan-started); {@code pass} of a reconciliation. */
    record ScanCounts(long batches, long keys, Integer pass, List<ShardScan> shards) {
        public ScanCounts(long batches, long keys, Integer pass) {
            this(batches, keys, pass, null);
        }
    }

    /** What the scan published per master of a Redis Cluster source ({@code server} host:port): batches and key names. */
    record ShardScan(String server, long batches, long keys) {
    }

    /** One batch was copied (fully or with per-key failures); {@code structural} keys were copied by type (big or refused DUMP). */
    record BatchResult(String batchId, long keys, long failed, long bytes, long deleted, long structural, List<KeyFailure> failures,
                       Integer pass, String shard) {
        public BatchResult(String batchId, long keys, long failed, long bytes, long deleted, long structural, List<KeyFailure> failures,
                           Integer pass) {
            this(batchId, keys, failed, bytes, deleted, structural, failures, pass, null);
        }
    }

    /**
     * Verification {@code verification}'s scan: {@code batches} null while it runs ({@code keys}: the source's key count,
     * an estimate), else the batches and key names published; {@code error} when the scan failed (the verification fails,
     * the migration does not).
     */
    record VerifyScanCounts(int verification, Long batches, long keys, String error) {
    }

    /**
     * Part {@code part} of {@code parts} of a verified batch: {@code checked} keys compared (in the last part only), the
     * differences of this part (all of them are reported, in parts of at most a few hundred).
     */
    record VerifyBatchResult(int verification, String batchId, int part, int parts, long checked, List<KeyDifference> differences) {
    }

    // ---- factories: the ids the orchestrator deduplicates on ---------------------------------------------------------

    static Validation validation(RunKey run, String worker, List<ValidationCheck> checks) {
        return new Validation(run + ":validation", run.migrationId(), run.run(), Instant.now(), worker, checks);
    }

    /** {@code keys} is the source's key count (INFO keyspace) when the scan began: an estimate for progress. */
    static ScanStarted scanStarted(RunKey run, String worker, long keys) {
        return scanStarted(run, worker, keys, null);
    }

    static ScanStarted scanStarted(RunKey run, String worker, long keys, CopyMode copy) {
        return new ScanStarted(run + ":scan-started", run.migrationId(), run.run(), Instant.now(), worker, new ScanCounts(0, keys, null), copy);
    }

    /** {@code pass}: null for the initial copy, N for reconciliation pass N. */
    static ScanCompleted scanCompleted(RunKey run, String worker, long batches, long keys, Integer pass) {
        return scanCompleted(run, worker, new ScanCounts(batches, keys, pass));
    }

    static ScanCompleted scanCompleted(RunKey run, String worker, ScanCounts scan) {
        return new ScanCompleted(run + ":scan" + (scan.pass() == null ? "" : ":r" + scan.pass()), run.migrationId(), run.run(),
                Instant.now(), worker, scan);
    }

    static BatchDone batchDone(RunKey run, String worker, BatchResult batch) {
        return new BatchDone(run + ":batch:" + batch.batchId(), run.migrationId(), run.run(), Instant.now(), worker, batch);
    }

    /** Live progress: not deduplicated (each report replaces the previous one of the same worker). */
    static CopyProgress copyProgress(RunKey run, String worker, Progress progress) {
        return new CopyProgress(UUID.randomUUID().toString(), run.migrationId(), run.run(), Instant.now(), worker, progress);
    }

    static Failed failed(RunKey run, String worker, String phase, String error) {
        return new Failed(run + ":failed:" + phase, run.migrationId(), run.run(), Instant.now(), worker, error);
    }

    /** The source's notify-keyspace-events is about to change from {@code previousNotify}; one id per attempt. */
    static CaptureConfiguring captureConfiguring(RunKey run, String worker, String previousNotify) {
        return new CaptureConfiguring(run + ":capture-configuring:" + UUID.randomUUID(), run.migrationId(), run.run(), Instant.now(),
                worker, new Capture(previousNotify, System.currentTimeMillis(), null));
    }

    /** Capture {@code capture} of the run is ready; every capture of a run (a takeover) has an event id of its own. */
    static CaptureReady captureReady(RunKey run, String worker, String previousNotify, String capture) {
        return new CaptureReady(run + ":capture-ready" + (capture == null ? "" : ":" + capture), run.migrationId(), run.run(),
                Instant.now(), worker, new Capture(previousNotify, System.currentTimeMillis(), capture));
    }

    /** Capture {@code capture} of the run ended because its replicator shuts down ({@code reason}); no loss yet. */
    static CaptureReleased captureReleased(RunKey run, String worker, String capture, String reason) {
        return new CaptureReleased(run + ":capture-released:" + capture, run.migrationId(), run.run(), Instant.now(), worker, reason,
                new Capture(null, System.currentTimeMillis(), capture));
    }

    /** Each report has its own id (a redelivered report keeps it), so deltas are counted exactly once. */
    static ReplicationReport replication(RunKey run, String worker, Replication counters) {
        return new ReplicationReport(UUID.randomUUID().toString(), run.migrationId(), run.run(), Instant.now(), worker, counters);
    }

    /** A cutover may be tried again in the same run (after an abort), so each report has its own id. */
    static CutoverPaused cutoverPaused(RunKey run, String worker, Cutover cutover) {
        return new CutoverPaused(UUID.randomUUID().toString(), run.migrationId(), run.run(), Instant.now(), worker, cutover);
    }

    static CutoverDone cutoverDone(RunKey run, String worker, Cutover cutover) {
        return new CutoverDone(UUID.randomUUID().toString(), run.migrationId(), run.run(), Instant.now(), worker, cutover);
    }

    static CutoverAborted cutoverAborted(RunKey run, String worker, Cutover cutover) {
        return new CutoverAborted(UUID.randomUUID().toString(), run.migrationId(), run.run(), Instant.now(), worker, cutover);
    }

    static ReconcileNeeded reconcileNeeded(RunKey run, String worker, String reason) {
        return reconcileNeeded(run, worker, reason, null);
    }

    /** {@code shards}: a Redis Cluster source's masters (host:port) whose changes may be missing; null: any key's. */
    static ReconcileNeeded reconcileNeeded(RunKey run, String worker, String reason, List<String> shards) {
        return new ReconcileNeeded(UUID.randomUUID().toString(), run.migrationId(), run.run(), Instant.now(), worker, reason, shards);
    }

    /** {@code scan.batches} null: the scan started; else it completed; {@code scan.error}: it failed. */
    static VerifyScan verifyScan(RunKey run, String worker, VerifyScanCounts scan) {
        String what = scan.error() != null ? "failed" : scan.batches() == null ? "started" : "done";
        return new VerifyScan(run + ":verify:" + scan.verification() + ":scan-" + what, run.migrationId(), run.run(), Instant.now(),
                worker, scan);
    }

    static VerifyBatchDone verifyBatchDone(RunKey run, String worker, VerifyBatchResult batch) {
        return new VerifyBatchDone(run + ":verify-batch:" + batch.batchId() + ":" + batch.part(), run.migrationId(), run.run(),
                Instant.now(), worker, batch);
    }

    /** Liveness only; its id is unique and it is not deduplicated. */
    static Heartbeat heartbeat(RunKey run, String worker) {
        return new Heartbeat(UUID.randomUUID().toString(), run.migrationId(), run.run(), Instant.now(), worker);
    }
}

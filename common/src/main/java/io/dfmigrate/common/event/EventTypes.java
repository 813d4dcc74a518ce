package io.dfmigrate.common.event;

import com.fasterxml.jackson.annotation.JsonTypeName;

/** Versioned event type names; a breaking payload change gets a new version suffix. */
public final class EventTypes {
    // dfm.phases: orchestrator → workers
    public static final String PHASE_VALIDATE = "dfm.phase.validate.v1";
    /** Start change capture (replicator); the copy follows once capture reports ready. */
    public static final String PHASE_CAPTURE = "dfm.phase.capture.v1";
    public static final String PHASE_COPY = "dfm.phase.copy.v1";
    public static final String PHASE_REPLICATE = "dfm.phase.replicate.v1";
    /** Pause writes on the source and drain: the capture instance acts. */
    public static final String PHASE_CUTOVER = "dfm.phase.cutover.v1";
    /** Rescan source and target (pass N) because capture may have missed changes; appliers hold until REPLICATE again. */
    public static final String PHASE_RECONCILE = "dfm.phase.reconcile.v1";
    public static final String PHASE_STOP = "dfm.phase.stop.v1";
    public static final String PHASE_COMPLETE = "dfm.phase.complete.v1";
    /** Compare source and target key by key (copier: scan, then key batches). */
    public static final String PHASE_VERIFY = "dfm.phase.verify.v1";

    // dfm.status: workers → orchestrator
    public static final String STATUS_VALIDATION = "dfm.status.validation.v1";
    public static final String STATUS_SCAN_STARTED = "dfm.status.copy.scan-started.v1";
    public static final String STATUS_SCAN_COMPLETED = "dfm.status.copy.scan-completed.v1";
    public static final String STATUS_BATCH_DONE = "dfm.status.copy.batch-done.v1";
    /** A copier's live totals for a run, every second while it copies (ahead of the acknowledged batches). */
    public static final String STATUS_COPY_PROGRESS = "dfm.status.copy.progress.v1";
    public static final String STATUS_FAILED = "dfm.status.failed.v1";
    /** Change capture is subscribed: every write from now on is captured. */
    public static final String STATUS_CAPTURE_READY = "dfm.status.capture.ready.v1";
    /** The replicator is about to change the source's notify-keyspace-events: the value to give back, recorded first. */
    public static final String STATUS_CAPTURE_CONFIGURING = "dfm.status.capture.configuring.v1";
    /** A replicator shutting down let go of a capture: another one should take it over. */
    public static final String STATUS_CAPTURE_RELEASED = "dfm.status.capture.released.v1";
    /** Replication counters: changes captured (cumulative) or applied (delta), and lag. */
    public static final String STATUS_REPLICATION = "dfm.status.replication.v1";
    /** Cutover: writes paused on the source ({@code cutover.captured} changes to drain), done (verified), or aborted. */
    public static final String STATUS_CUTOVER_PAUSED = "dfm.status.cutover.paused.v1";
    public static final String STATUS_CUTOVER_DONE = "dfm.status.cutover.done.v1";
    public static final String STATUS_CUTOVER_ABORTED = "dfm.status.cutover.aborted.v1";
    /** Capture may have missed changes (lost subscription, FLUSHDB/FLUSHALL) but captures again: reconcile. */
    public static final String STATUS_RECONCILE_NEEDED = "dfm.status.reconcile.needed.v1";
    /** A worker is still busy with a migration run (sent every few seconds while it works). */
    public static final String STATUS_HEARTBEAT = "dfm.status.heartbeat.v1";

    /** A verification's scan began (an estimate of the keys) or ended (every batch published), or it failed. */
    public static final String STATUS_VERIFY_SCAN = "dfm.status.verify.scan.v1";
    /** One part of a verified batch: keys compared and the differences left after re-checks. */
    public static final String STATUS_VERIFY_BATCH_DONE = "dfm.status.verify.batch-done.v1";

    // dfm.copy.batches: copier scanner → copier workers
    public static final String COPY_BATCH = "dfm.copy.batch.v1";
    /** Key names to verify (same topic and workers as the copy's batches). */
    public static final String VERIFY_BATCH = "dfm.verify.batch.v1";

    // dfm.changes: replicator capture → appliers
    public static final String CHANGE = "dfm.change.v1";

    // dfm.audit: orchestrator → outside consumers
    public static final String AUDIT_TRANSITION = "dfm.audit.transition.v1";
    public static final String AUDIT_ACTION = "dfm.audit.action.v1";

    /** The CloudEvents {@code source} prefix; services append their name. */
    public static final String SOURCE_PREFIX = "urn:dfmigrate:";

    /** The wire type name of an event record (its {@code @JsonTypeName}). */
    public static String nameOf(Class<?> event) {
        JsonTypeName name = event.getAnnotation(JsonTypeName.class);
        if (name == null) {
            throw new IllegalArgumentException(event.getName() + " has no @JsonTypeName");
        }
        return name.value();
    }

    private EventTypes() {
    }
}

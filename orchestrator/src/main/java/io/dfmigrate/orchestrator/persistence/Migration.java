package io.dfmigrate.orchestrator.persistence;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import jakarta.persistence.Version;
import java.time.Instant;
import java.util.UUID;

/** The migration aggregate. Endpoint URIs are kept twice: masked for display, sealed (AES-GCM) for the workers. */
@Entity
@Table(name = "migration")
public class Migration extends PanacheEntityBase {
    @Id
    public UUID id;
    public String name;
    @Enumerated(EnumType.STRING)
    public MigrationState state;
    public int run;
    @Column(name = "source_uri")
    public String sourceUri;
    @Column(name = "source_sealed")
    public String sourceSealed;
    @Column(name = "target_uri")
    public String targetUri;
    @Column(name = "target_sealed")
    public String targetSealed;
    public String options;
    public String validation;
    @Column(name = "keys_total")
    public Long keysTotal;
    @Column(name = "keys_copied")
    public long keysCopied;
    @Column(name = "keys_failed")
    public long keysFailed;
    @Column(name = "keys_deleted")
    public long keysDeleted;
    @Column(name = "keys_structural")
    public long keysStructural;
    @Column(name = "bytes_copied")
    public long bytesCopied;
    @Column(name = "batches_total")
    public Long batchesTotal;
    @Column(name = "batches_done")
    public long batchesDone;
    public String error;
    @Column(name = "created_at")
    public Instant createdAt;
    @Column(name = "updated_at")
    public Instant updatedAt;
    @Column(name = "validated_at")
    public Instant validatedAt;
    @Column(name = "copy_started_at")
    public Instant copyStartedAt;
    @Column(name = "copy_finished_at")
    public Instant copyFinishedAt;
    @Column(name = "ended_at")
    public Instant endedAt;
    @Column(name = "last_report_at")
    public Instant lastReportAt;
    @Column(name = "capture_started_at")
    public Instant captureStartedAt;
    @Column(name = "source_notify_previous")
    public String sourceNotifyPrevious;
    /** The capture of this run (its id), the replicator ({@code service/instance}) running it, when it last reported. */
    @Column(name = "capture_id")
    public String captureId;
    @Column(name = "capture_worker")
    public String captureWorker;
    @Column(name = "capture_heard_at")
    public Instant captureHeardAt;
    /** When another replicator was asked to take the capture over; null when none is pending. */
    @Column(name = "capture_takeover_at")
    public Instant captureTakeoverAt;
    /** When the capture command last went out for a takeover, and how often it went out in this run (its id suffix). */
    @Column(name = "capture_asked_at")
    public Instant captureAskedAt;
    @Column(name = "capture_asks")
    public int captureAsks;
    @Column(name = "capture_takeovers")
    public int captureTakeovers;
    /** Changes applied that the current capture saw; {@code changesCaptured} counts that capture's too. */
    @Column(name = "capture_applied")
    public long captureApplied;
    /** Why a reconciliation must follow the copy (a capture gap seen while COPYING); null when none. */
    @Column(name = "capture_gap")
    public String captureGap;
    /** Stall watch: the stall's reason while one lasts and since when; the appliers' last error while they fail. */
    public String stalled;
    @Column(name = "stalled_since")
    public Instant stalledSince;
    @Column(name = "apply_error")
    public String applyError;
    /** Applied changes per second over the last window of at least 5 s ({@code rateAt}, {@code rateApplied}: its start). */
    @Column(name = "rate_at")
    public Instant rateAt;
    @Column(name = "rate_applied")
    public Long rateApplied;
    @Column(name = "apply_rate")
    public Double applyRate;
    @Column(name = "changes_captured")
    public long changesCaptured;
    @Column(name = "changes_applied")
    public long changesApplied;
    @Column(name = "lag_millis")
    public Long lagMillis;
    @Column(name = "cutover_state")
    public String cutoverState;
    @Column(name = "cutover_captured")
    public Long cutoverCaptured;
    @Column(name = "cutover_pause_millis")
    public Long cutoverPauseMillis;
    @Column(name = "cutover_detail")
    public String cutoverDetail;
    @Column(name = "reconcile_pass")
    public int reconcilePass;
    public boolean reconciling;
    @Column(name = "reconcile_batches_total")
    public Long reconcileBatchesTotal;
    @Column(name = "reconcile_batches_done")
    public long reconcileBatchesDone;

    /** Worker → its latest live copy totals of this run (JSON of StatusEvent.Progress), while COPYING. */
    @Column(name = "copy_live")
    public String copyLive;

    /** Target write guard: null/NONE, APPLYING, ACTIVE, LIFTING, LIFTING_FOR_CUTOVER, LIFTED (see TargetGuard). */
    @Column(name = "guard_status")
    public String guardStatus;
    /** The guard user's password and the guarded users' original rules, sealed; kept until the guard is lifted. */
    @Column(name = "guard_sealed")
    public String guardSealed;
    /** The target as the workers reach it while the guard is on: as the guard user (masked / sealed). */
    @Column(name = "guard_target_uri")
    public String guardTargetUri;
    @Column(name = "guard_target_sealed")
    public String guardTargetSealed;
    @Column(name = "guard_detail")
    public String guardDetail;

    /** A cutover is under way: writes paused on the source, waiting for the drain. Only stop is allowed then. */
    public boolean cuttingOver() {
        return state == MigrationState.REPLICATING && cutoverState != null;
    }

    public java.util.List<String> allowedActionNames() {
        return cuttingOver() ? java.util.List.of("stop") : state.allowedActionNames();
    }
    @Version
    public long version;
}

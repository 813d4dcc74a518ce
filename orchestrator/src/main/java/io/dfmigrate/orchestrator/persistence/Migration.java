package io.dfmigrate.orchestrator.persistence;

import io.dfmigrate.orchestrator.service.lifecycle.Reconciliation;
import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Embedded;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import jakarta.persistence.Version;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * The migration aggregate. Endpoint URIs are kept twice: masked for display, sealed (AES-GCM) for the workers. The state
 * moves only through {@link #moveTo}, the cutover and the guard only through their own {@code moveTo}: an illegal move
 * is a bug and is refused.
 */
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
    /** Passwords given per source ACL user for a target that takes no hash (JSON user → password), sealed; or null. */
    @Column(name = "user_passwords_sealed")
    public String userPasswordsSealed;
    /** The options (JSON, defaults filled in) and the last validation's checks (JSON). */
    public String options;
    public String validation;
    public String error;
    @Column(name = "created_at")
    public Instant createdAt;
    @Column(name = "updated_at")
    public Instant updatedAt;
    @Column(name = "validated_at")
    public Instant validatedAt;
    @Column(name = "ended_at")
    public Instant endedAt;
    /** The servers (INFO server run_id) this migration started on; null when they could not be asked. */
    @Column(name = "source_server")
    public String sourceServer;
    @Column(name = "target_server")
    public String targetServer;
    /**
     * How many keys the target held when the migration first started, recorded with {@code options.overwrite} (the keys
     * are in {@link TargetOwnKey}; 0 without overwrite or for an empty target); null until the first start (or after the
     * target was edited). Kept across restarts: by then the target holds migrated keys too.
     */
    @Column(name = "target_own_keys")
    public Long targetOwnKeys;
    /** The last ended run whose temporary keys were swept from the target (null: none yet). */
    @Column(name = "tmp_swept_run")
    public Integer tmpSweptRun;
    /** When a worker last reported on the current run. */
    @Column(name = "last_report_at")
    public Instant lastReportAt;
    /** Stall watch: the stall's reason while one lasts, and since when. */
    public String stalled;
    @Column(name = "stalled_since")
    public Instant stalledSince;
    /** Reconciliation: pass N rescans source and target while the appliers hold changes. */
    @Column(name = "reconcile_pass")
    public int reconcilePass;
    /** A Redis Cluster source: the masters (JSON list of host:port) the current pass rescans; null: the whole keyspace. */
    @Column(name = "reconcile_shards")
    public String reconcileShards;
    public boolean reconciling;
    @Column(name = "reconcile_batches_total")
    public Long reconcileBatchesTotal;
    @Column(name = "reconcile_batches_done")
    public long reconcileBatchesDone;
    /** A Redis Cluster source: JSON of master (host:port) → {@link ShardState} in this run; null for other sources. */
    public String shards;
    @Embedded
    public CopyCounters copy = new CopyCounters();
    @Embedded
    public CaptureInfo capture = new CaptureInfo();
    @Embedded
    public CutoverInfo cutover = new CutoverInfo();
    @Embedded
    public GuardInfo guard = new GuardInfo();
    @Embedded
    public VerificationInfo verification = new VerificationInfo();
    @Version
    public long version;

    /** Moves the lifecycle to {@code to}, or refuses an illegal move with an {@link IllegalStateException}. */
    public void moveTo(MigrationState to) {
        state = Moves.checked("migration " + id, state, to, MigrationState.CREATED, MigrationState::next);
        updatedAt = Instant.now();
    }

    /** A new run (validate, restart): everything of the previous run is forgotten but what must be given back. */
    public void newRun() {
        run++;
        validation = null;
        error = null;
        validatedAt = endedAt = lastReportAt = stalledSince = null;
        stalled = null;
        reconcilePass = 0;
        reconcileShards = null;
        reconciling = false;
        reconcileBatchesTotal = null;
        reconcileBatchesDone = 0;
        copy = new CopyCounters();
        shards = null;
        String notifyPrevious = capture.notifyPrevious; // an earlier run's value not restored yet is the one to give back
        capture = new CaptureInfo();
        capture.notifyPrevious = notifyPrevious;
        cutover = new CutoverInfo();
        verification.forget();
    }

    /** A cutover is under way: writes paused on the source, waiting for the drain. Only stop is allowed then. */
    public boolean cuttingOver() {
        return state == MigrationState.REPLICATING && cutover.phase != null;
    }

    /** During a cutover only stop (which lifts the pause), and nothing while it is being verified (seconds). */
    public List<String> allowedActionNames() {
        if (cuttingOver()) {
            return cutover.phase.abandonable() ? List.of("stop") : List.of();
        }
        return state.allowedActionNames();
    }
}

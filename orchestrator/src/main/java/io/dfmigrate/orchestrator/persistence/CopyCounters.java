package io.dfmigrate.orchestrator.persistence;

import jakarta.persistence.Column;
import jakarta.persistence.Embeddable;
import java.time.Instant;

/** The copy of the current run: totals from the scan, counters from acknowledged batches, the copiers' live totals. */
@Embeddable
public class CopyCounters {
    @Column(name = "keys_total")
    public Long keysTotal;
    @Column(name = "keys_copied")
    public long keysCopied;
    @Column(name = "keys_failed")
    public long keysFailed;
    @Column(name = "keys_deleted")
    public long keysDeleted;
    /** Keys the copy wrote by type (big keys, DUMP payloads the target refused). */
    @Column(name = "keys_structural")
    public long keysStructural;
    @Column(name = "bytes_copied")
    public long bytesCopied;
    @Column(name = "batches_total")
    public Long batchesTotal;
    @Column(name = "batches_done")
    public long batchesDone;
    @Column(name = "copy_started_at")
    public Instant startedAt;
    @Column(name = "copy_finished_at")
    public Instant finishedAt;
    /** The copy the copier took for this run (scan or snapshot: options.copyMode, or what auto chose) and why. */
    @Column(name = "copy_mode")
    public String mode;
    @Column(name = "copy_mode_reason")
    public String modeReason;
    /** Worker → its latest live copy totals of this run (JSON of StatusEvent.Progress), while COPYING. */
    @Column(name = "copy_live")
    public String live;
}

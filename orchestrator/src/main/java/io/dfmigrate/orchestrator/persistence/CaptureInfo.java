package io.dfmigrate.orchestrator.persistence;

import jakarta.persistence.Column;
import jakarta.persistence.Embeddable;
import java.time.Instant;

/** Change capture and replication of the current run: which capture runs where, takeovers, change counters, apply rate. */
@Embeddable
public class CaptureInfo {
    @Column(name = "capture_started_at")
    public Instant startedAt;
    /** The source's notify-keyspace-events before dfmigrate set it; kept until it is given back. */
    @Column(name = "source_notify_previous")
    public String notifyPrevious;
    /** The capture of this run (its id), the replicator ({@code service/instance}) running it, when it last reported. */
    @Column(name = "capture_id")
    public String id;
    @Column(name = "capture_worker")
    public String worker;
    @Column(name = "capture_heard_at")
    public Instant heardAt;
    /** When another replicator was asked to take the capture over; null when none is pending. */
    @Column(name = "capture_takeover_at")
    public Instant takeoverAt;
    /** When the capture command last went out for a takeover, and how often it went out in this run (its id suffix). */
    @Column(name = "capture_asked_at")
    public Instant askedAt;
    @Column(name = "capture_asks")
    public int asks;
    @Column(name = "capture_takeovers")
    public int takeovers;
    /** Why a reconciliation must follow the copy (a capture gap seen while COPYING); null when none. */
    @Column(name = "capture_gap")
    public String gap;
    /** The current capture's cumulative count; {@code applied}: changes applied that it saw (the cutover drains on them). */
    @Column(name = "changes_captured")
    public long captured;
    @Column(name = "capture_applied")
    public long applied;
    /** Changes applied in this run, whichever capture saw them. */
    @Column(name = "changes_applied")
    public long appliedTotal;
    @Column(name = "lag_millis")
    public Long lagMillis;
    /** The appliers' last error while they fail. */
    @Column(name = "apply_error")
    public String applyError;
    /** Applied changes per second over the last window of at least 5 s ({@code rateAt}, {@code rateApplied}: its start). */
    @Column(name = "rate_at")
    public Instant rateAt;
    @Column(name = "rate_applied")
    public Long rateApplied;
    @Column(name = "apply_rate")
    public Double applyRate;

    /** Changes captured by the current capture and not applied yet. */
    public long pending() {
        return Math.max(0, captured - applied);
    }

    public Instant lastHeard() {
        return heardAt != null ? heardAt : startedAt;
    }
}

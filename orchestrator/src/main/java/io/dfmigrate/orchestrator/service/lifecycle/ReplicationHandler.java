package io.dfmigrate.orchestrator.service.lifecycle;

import io.dfmigrate.common.event.EndpointRef;
import io.dfmigrate.common.event.EventTypes;
import io.dfmigrate.common.event.PhaseEvent;
import io.dfmigrate.common.event.RunKey;
import io.dfmigrate.common.event.StatusEvent;
import io.dfmigrate.orchestrator.persistence.CaptureInfo;
import io.dfmigrate.orchestrator.persistence.Migration;
import io.dfmigrate.orchestrator.persistence.MigrationState;
import io.dfmigrate.orchestrator.service.Journal;
import io.dfmigrate.orchestrator.service.watches.StallWatch;
import java.time.Instant;
import java.util.Objects;
import org.jboss.logging.Logger;

/**
 * The replicators' reports: capture ready (the copy may begin; another capture id is a takeover), capture released,
 * replication counters (which also drain a cutover), and capture gaps (reconcile now, or right after the copy).
 */
public final class ReplicationHandler {
    private static final Logger LOG = Logger.getLogger(ReplicationHandler.class);

    /**
     * A replicator is about to set the source's notify-keyspace-events: the value it had is recorded now (and given back
     * by the keeper once the run is over, also if that replicator dies before it reports ready). A value recorded by an
     * earlier run and not restored yet stays: it is the one the source had before dfmigrate.
     */
    static void onCaptureConfiguring(Journal j, StatusEvent.CaptureConfiguring e, String actor) {
        CaptureInfo c = j.migration().capture;
        String previous = e.capture() == null ? null : e.capture().previousNotify();
        if (previous != null && c.notifyPrevious == null) {
            c.notifyPrevious = previous;
            j.audit(actor, "capture-configuring", "notify-keyspace-events is about to be set on the source (was '" + previous
                    + "'); it is set back when the migration ends");
        }
    }

    static void onCaptureReady(Journal j, StatusEvent.CaptureReady e, String actor) {
        Migration m = j.migration();
        CaptureInfo c = m.capture;
        String capture = e.capture() == null ? null : e.capture().capture();
        if (c.startedAt != null) {
            if (!m.state.live()) {
                return;
            }
            if (capture != null && !capture.equals(c.id)) {
                // another capture of this run: a takeover, or the capture command delivered again to another instance
                takenOver(j, e.worker(), capture);
            } else if (c.takeoverAt != null) {
                c.takeoverAt = null;
                c.heardAt = Instant.now();
                j.audit(actor, "capture-alive", "the capture on " + e.worker() + " answered the takeover request itself and goes on");
            }
            return;
        }
        if (m.state != MigrationState.COPYING) {
            return;
        }
        c.startedAt = Instant.now();
        c.id = capture;
        c.worker = e.worker();
        c.heardAt = c.startedAt;
        String previous = e.capture() == null ? null : e.capture().previousNotify();
        if (previous != null && c.notifyPrevious == null) {
            // kept until restored: a value an earlier run could not restore yet is the one to give back
            c.notifyPrevious = previous;
        }
        j.audit(actor, "capture-ready", previous != null ? "notify-keyspace-events set on the source (was '" + previous + "')"
                : "keyspace notifications already enabled on the source");
        j.phase(PhaseEvent.Kind.COPY);
    }

    /**
     * A capture started for a run that has ended (Kafka delivered its capture command again after a replicator died):
     * it is told to stop, which also gives the source its notify-keyspace-events back.
     */
    static void stopStray(Journal j, StatusEvent.CaptureReady e) {
        Migration m = j.migration();
        String capture = e.capture() == null || e.capture().capture() == null ? e.id() : e.capture().capture();
        j.phase(new PhaseEvent.Stop(RunKey.of(e) + ":" + EventTypes.PHASE_STOP + ":stray:" + capture, m.id.toString(), e.run(),
                Instant.now(), new EndpointRef(m.sourceUri, m.sourceSealed), new EndpointRef(m.targetUri, m.targetSealed), Journal.options(m)));
        j.audit("orchestrator", "capture-stopped", "a capture of run " + e.run() + " started on " + e.worker()
                + " after that run had ended (its capture command was delivered again); told to stop");
        LOG.warnf("migration %s: stray capture of run %d on %s told to stop", m.id, e.run(), e.worker());
    }

    static void onCaptureReleased(Journal j, StatusEvent.CaptureReleased e, String actor) {
        Migration m = j.migration();
        String capture = e.capture() == null ? null : e.capture().capture();
        if (!m.state.live() || m.capture.startedAt == null || capture == null || !capture.equals(m.capture.id)) {
            return; // an old capture, or one already taken over
        }
        if (m.cuttingOver()) {
            j.fail(actor, "the capture ended during the cutover (" + e.error() + "); restart the migration");
        } else if (m.capture.takeoverAt == null) {
            askTakeover(j, actor, "capture-released", e.error() + "; asking another replicator to take the capture over");
        }
    }

    static void onReplication(Journal j, StatusEvent.ReplicationReport e, String actor) {
        Migration m = j.migration();
        StatusEvent.Replication r = e.replication();
        if (!m.state.live() || r == null) {
            return;
        }
        CaptureInfo c = m.capture;
        boolean current = Objects.equals(r.capture(), c.id); // not a capture that was taken over
        if (r.captured() != null && current) {
            c.captured = Math.max(c.captured, r.captured());
            c.heardAt = Instant.now(); // from the capturing replicator (only a capture reports captured totals)
        }
        c.appliedTotal += r.applied();
        if (current) {
            c.applied += r.applied();
        }
        if (r.applied() > 0) {
            c.applyError = null;
            StallWatch.sampleRate(m, Instant.now());
        } else if (r.error() != null) {
            c.applyError = r.error();
        }
        if (r.lagMillis() != null) {
            c.lagMillis = r.lagMillis();
        }
        Shards.onReplication(m, r.shards(), current);
        CutoverHandler.checkDrained(j, actor);
    }

    static void onReconcileNeeded(Journal j, StatusEvent.ReconcileNeeded e, String actor) {
        Migration m = j.migration();
        if (m.state == MigrationState.REPLICATING && !m.cuttingOver()) {
            Reconciliation.start(j, actor, e.error(), e.shards());
        } else if (m.state == MigrationState.COPYING) {
            // the changes wait in Kafka until the copy is done; the gap is reconciled right after it
            if (m.capture.gap == null) {
                m.capture.gap = e.error();
                j.audit(actor, "capture-gap", e.error() + "; reconciled when the copy is done");
            }
        } else if (m.state.active()) {
            j.fail(actor, e.error() + " (during " + (m.cuttingOver() ? "the cutover" : m.state.name()) + ")");
        }
    }

    /**
     * Another replicator captures the run now. Changes made between the old capture's last report and this one may not
     * have been captured: a reconciliation follows (right away while replicating, after the copy while copying).
     */
    private static void takenOver(Journal j, String worker, String capture) {
        Migration m = j.migration();
        CaptureInfo c = m.capture;
        String reason = "change capture taken over by " + worker + " from " + c.worker + "; changes made in between may not have been captured";
        c.id = capture;
        c.worker = worker;
        c.heardAt = Instant.now();
        c.takeoverAt = null;
        c.takeovers++;
        c.captured = 0; // the new capture's changes and their applies are counted from zero
        c.applied = 0;
        j.audit("orchestrator", "capture-taken-over", reason);
        if (m.cuttingOver()) {
            j.fail("orchestrator", reason + " (during the cutover); restart the migration");
        } else if (m.state == MigrationState.REPLICATING) {
            Reconciliation.start(j, "orchestrator", reason);
        } else {
            c.gap = reason; // COPYING: reconciled when the copy is done
        }
    }

    /** Sends the run's capture command again, for whichever live replicator the consumer group gives it to. */
    public static void askTakeover(Journal j, String actor, String action, String detail) {
        CaptureInfo c = j.migration().capture;
        c.takeoverAt = c.askedAt = Instant.now();
        c.asks++;
        j.audit(actor, action, detail);
        j.phase(PhaseEvent.Kind.CAPTURE, ":takeover:" + c.asks);
    }

    private ReplicationHandler() {
    }
}

package io.dfmigrate.orchestrator.service;

import io.dfmigrate.common.event.PhaseEvent;
import io.dfmigrate.common.event.StatusEvent;
import io.dfmigrate.orchestrator.persistence.CutoverInfo;
import io.dfmigrate.orchestrator.persistence.CutoverPhase;
import io.dfmigrate.orchestrator.persistence.GuardStatus;
import io.dfmigrate.orchestrator.persistence.Migration;
import io.dfmigrate.orchestrator.persistence.MigrationState;
import java.time.Instant;

/**
 * The cutover: PAUSING (writes being paused on the source) → DRAINING (the changes captured before the pause are
 * applied) → the migration is COMPLETED and VERIFYING (the guard is lifted first, then the pause ends and key counts are
 * compared) → DONE or MISMATCH. An abort ends it and replication goes on.
 */
final class CutoverHandler {
    static void onPaused(Journal j, StatusEvent.CutoverPaused e, String actor) {
        Migration m = j.migration();
        // only the current capture's count is drained on (a replicator that was taken over may still pause too)
        boolean currentCapture = m.capture.worker == null || m.capture.worker.equals(e.worker());
        if (m.cuttingOver() && e.cutover() != null && m.cutover.phase == CutoverPhase.PAUSING && currentCapture) {
            m.cutover.moveTo(CutoverPhase.DRAINING);
            m.cutover.captured = e.cutover().captured();
            j.audit(actor, "cutover-paused", "writes paused on the source; " + e.cutover().captured() + " captured change(s) to apply");
            checkDrained(j, actor);
        }
    }

    static void onAborted(Journal j, StatusEvent.CutoverAborted e, String actor) {
        Migration m = j.migration();
        if (m.cuttingOver() && e.cutover() != null) {
            m.cutover.abandon(e.cutover().detail());
            j.audit(actor, "cutover-aborted", e.cutover().detail());
        }
    }

    static void onDone(Journal j, StatusEvent.CutoverDone e, String actor) {
        CutoverInfo c = j.migration().cutover;
        if (e.cutover() != null && c.phase == CutoverPhase.VERIFYING) {
            c.moveTo(Boolean.TRUE.equals(e.cutover().verified()) ? CutoverPhase.DONE : CutoverPhase.MISMATCH);
            c.pauseMillis = e.cutover().pauseMillis();
            c.detail = e.cutover().detail();
            j.audit(actor, "cutover-done", e.cutover().detail());
        }
    }

    /** Once every change captured before the pause is applied, the migration is COMPLETED. */
    static void checkDrained(Journal j, String actor) {
        Migration m = j.migration();
        CutoverInfo c = m.cutover;
        if (m.cuttingOver() && c.phase == CutoverPhase.DRAINING && c.captured != null && m.capture.applied >= c.captured) {
            boolean guarded = m.guard.is(GuardStatus.ACTIVE);
            c.moveTo(CutoverPhase.VERIFYING);
            m.endedAt = Instant.now();
            j.transition(MigrationState.COMPLETED, actor, "complete", "cutover: all " + c.captured + " captured change(s) applied; "
                    + (guarded ? "lifting the target write guard, then " : "") + "lifting the write pause");
            if (guarded) {
                // the keeper lifts the guard first, then sends the complete that ends the pause (KeeperSteps.guardLifted)
                m.guard.moveTo(GuardStatus.LIFTING_FOR_CUTOVER);
            } else {
                j.phase(PhaseEvent.Kind.COMPLETE);
            }
        }
    }

    private CutoverHandler() {
    }
}

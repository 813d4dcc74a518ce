package io.dfmigrate.orchestrator.service.lifecycle;

import io.dfmigrate.common.event.PhaseEvent;
import io.dfmigrate.common.event.StatusEvent;
import io.dfmigrate.orchestrator.persistence.CutoverInfo;
import io.dfmigrate.orchestrator.persistence.CutoverPhase;
import io.dfmigrate.orchestrator.persistence.GuardStatus;
import io.dfmigrate.orchestrator.persistence.Migration;
import io.dfmigrate.orchestrator.persistence.MigrationState;
import io.dfmigrate.orchestrator.persistence.Transition;
import io.dfmigrate.orchestrator.service.Journal;
import io.dfmigrate.orchestrator.service.target.KeeperSteps;
import java.time.Instant;

/**
 * The cutover: PAUSING (writes being paused on the source) → DRAINING (the changes captured before the pause are
 * applied) → VERIFYING (the guard is lifted first, then the replicator compares the key counts while writes are still
 * paused, and ends the pause) → DONE, and only then COMPLETED; a mismatch (or no comparison) is MISMATCH and the
 * migration FAILED with the counts: a cutover never reports success it did not verify. An abort before VERIFYING ends
 * it and replication goes on.
 */
public final class CutoverHandler {
    static void onPaused(Journal j, StatusEvent.CutoverPaused e, String actor) {
        Migration m = j.migration();
        // only the current capture's count is drained on (a replicator that was taken over may still pause too)
        boolean currentCapture = m.capture.worker == null || m.capture.worker.equals(e.worker());
        if (m.cuttingOver() && e.cutover() != null && m.cutover.phase == CutoverPhase.PAUSING && currentCapture) {
            m.cutover.moveTo(CutoverPhase.DRAINING);
            m.cutover.captured = e.cutover().captured();
            Shards.onCutover(m, e.cutover());
            j.audit(actor, "cutover-paused", "writes paused on the source; " + e.cutover().captured() + " captured change(s) to apply");
            checkDrained(j, actor);
        }
    }

    static void onAborted(Journal j, StatusEvent.CutoverAborted e, String actor) {
        Migration m = j.migration();
        if (!m.cuttingOver() || e.cutover() == null) {
            return;
        }
        Shards.onCutover(m, e.cutover());
        if (m.cutover.phase.abandonable()) {
            m.cutover.abandon(e.cutover().detail());
            j.audit(actor, "cutover-aborted", e.cutover().detail());
        } else {
            // VERIFYING: the pause ran out before the comparison; writes resumed, so nothing can be verified any more
            m.cutover.detail = e.cutover().detail();
            j.fail(actor, "the cutover could not be verified: " + e.cutover().detail() + "; restart the migration");
        }
    }

    static void onDone(Journal j, StatusEvent.CutoverDone e, String actor) {
        Migration m = j.migration();
        CutoverInfo c = m.cutover;
        if (e.cutover() == null || c.phase != CutoverPhase.VERIFYING) {
            return;
        }
        boolean verified = Boolean.TRUE.equals(e.cutover().verified());
        c.moveTo(verified ? CutoverPhase.DONE : CutoverPhase.MISMATCH);
        c.pauseMillis = e.cutover().pauseMillis();
        c.detail = e.cutover().detail();
        Shards.onCutover(m, e.cutover());
        j.audit(actor, "cutover-done", e.cutover().detail());
        if (m.state != MigrationState.REPLICATING) {
            return; // stopped or failed meanwhile: recorded, nothing more
        }
        m.endedAt = Instant.now();
        if (verified) {
            j.transition(Transition.CUTOVER_VERIFIED, actor, "cutover verified: " + e.cutover().detail());
        } else {
            j.fail(actor, "the cutover did not verify: " + e.cutover().detail() + "; the source's writes resumed and the target "
                    + "may differ: compare them, then restart the migration or complete without cutover");
        }
    }

    /** Once every change captured before the pause is applied: verify (the replicator compares, then lifts the pause). */
    static void checkDrained(Journal j, String actor) {
        Migration m = j.migration();
        CutoverInfo c = m.cutover;
        if (m.cuttingOver() && c.phase == CutoverPhase.DRAINING && c.captured != null && m.capture.applied >= c.captured) {
            boolean guarded = m.guard.is(GuardStatus.ACTIVE);
            boolean own = m.targetOwnKeys != null && m.targetOwnKeys > 0;
            c.moveTo(CutoverPhase.VERIFYING);
            j.audit(actor, "cutover-drained", "all " + c.captured + " captured change(s) applied; "
                    + (own ? "counting the target's own keys, " : "") + (guarded ? "lifting the target write guard, then " : "")
                    + "comparing key counts and lifting the write pause");
            if (own) {
                // the keeper counts them while writes are paused (KeeperSteps.ownKeysCounted), then goes on with verify
                c.ownPending = true;
            } else {
                verify(j);
            }
        }
    }

    /** Lifts the guard (the keeper then sends the complete that ends the pause, KeeperSteps.guardLifted), or completes. */
    public static void verify(Journal j) {
        Migration m = j.migration();
        if (m.guard.is(GuardStatus.ACTIVE)) {
            m.guard.moveTo(GuardStatus.LIFTING_FOR_CUTOVER);
        } else {
            j.phase(PhaseEvent.Kind.COMPLETE);
        }
    }

    private CutoverHandler() {
    }
}

package io.dfmigrate.orchestrator.service.target;

import io.dfmigrate.common.event.MigrationOptions;
import io.dfmigrate.common.event.PhaseEvent;
import io.dfmigrate.orchestrator.persistence.CutoverPhase;
import io.dfmigrate.orchestrator.persistence.GuardStatus;
import io.dfmigrate.orchestrator.persistence.Migration;
import io.dfmigrate.orchestrator.persistence.MigrationState;
import io.dfmigrate.orchestrator.service.Journal;
import io.dfmigrate.orchestrator.service.MigrationTx;
import io.dfmigrate.orchestrator.service.lifecycle.CutoverHandler;
import io.dfmigrate.orchestrator.service.lifecycle.Reconciliation;
import io.quarkus.narayana.jta.QuarkusTransaction;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * What {@link EndpointKeeper} reads and records, each in a transaction of its own: which migrations need it, what it
 * needs to know of one, and the outcome of each step (guard prepared/applied/failed/lifted, notify-keyspace-events
 * restored, a key-count drift). Recording never wakes the keeper again: it is the one acting.
 */
@ApplicationScoped
public class KeeperSteps {
    private final MigrationTx tx;

    public KeeperSteps(MigrationTx tx) {
        this.tx = tx;
    }

    /** What the keeper needs of a migration, read in one transaction. */
    record KeeperView(UUID id, int run, MigrationState state, GuardStatus guardStatus, String guardSealed, String sourceSealed,
                      String targetSealed, String notifyPrevious, boolean reconciling, boolean cuttingOver, long captured,
                      long applied, MigrationOptions options, long targetOwnKeys, boolean ownPending,
                      String userPasswordsSealed) {
        boolean live() {
            return state.live();
        }

        boolean guardUp() {
            return guardStatus != null && guardStatus.up();
        }
    }

    KeeperView view(UUID id) {
        return QuarkusTransaction.requiringNew().call(() -> {
            Migration m = Migration.findById(id);
            return m == null ? null : new KeeperView(m.id, m.run, m.state, m.guard.status, m.guard.sealed, m.sourceSealed, m.targetSealed,
                    m.capture.notifyPrevious, m.reconciling, m.cuttingOver(), m.capture.captured, m.capture.applied, Journal.options(m),
                    m.targetOwnKeys == null ? 0 : m.targetOwnKeys, m.cuttingOver() && m.cutover.ownPending,
                    m.userPasswordsSealed);
        });
    }

    /** Migrations whose guard or source setting needs the keeper: a guard to apply or lift, a notify setting to restore. */
    List<UUID> needingKeeper() {
        return QuarkusTransaction.requiringNew().call(() -> Migration.<Migration>list("guard.status in ?1 or capture.notifyPrevious is not null "
                                + "or cutover.ownPending = true", EnumSet.complementOf(EnumSet.of(GuardStatus.LIFTED))).stream()
                .filter(m -> (m.guard.up() && (!m.state.live() || !m.guard.is(GuardStatus.ACTIVE)))
                        || (!m.state.live() && m.capture.notifyPrevious != null) || (m.cuttingOver() && m.cutover.ownPending))
                .map(m -> m.id).toList());
    }

    /** Ended migrations whose last run copied and whose temporary keys on the target were not swept yet. */
    List<UUID> needingTmpSweep() {
        return QuarkusTransaction.requiringNew().call(() -> Migration.<Migration>list(
                        "copy.startedAt is not null and (tmpSweptRun is null or tmpSweptRun < run)").stream()
                .filter(m -> !m.state.live())
                .map(m -> m.id).toList());
    }

    /** The run's temporary keys are gone from the target ({@code removed} of them were left). */
    void tmpSwept(UUID id, int run, long removed) {
        tx.record(id, j -> {
            Migration m = j.migration();
            if (m.run != run || m.state.live()) {
                return false;
            }
            m.tmpSweptRun = run;
            if (removed > 0) {
                j.audit("orchestrator", "tmp-swept", removed + " temporary key(s) of big keys left by run " + run
                        + " removed from the target");
            }
            return true;
        });
    }

    /** REPLICATING migrations with nothing in flight, no reconciliation and no cutover: candidates for the drift check. */
    List<UUID> quietReplicating() {
        return QuarkusTransaction.requiringNew().call(() -> Migration.<Migration>list("state = ?1", MigrationState.REPLICATING).stream()
                .filter(m -> !m.reconciling && m.cutover.phase == null && m.capture.applied >= m.capture.captured)
                .map(m -> m.id).toList());
    }

    /**
     * Records what the guard will change, before it changes anything; returns the state to apply, which is the one
     * recorded first when two keepers race.
     */
    String guardPrepared(UUID id, String sealedState, String guardTargetUri, String guardTargetSealed) {
        return QuarkusTransaction.requiringNew().call(() -> {
            Migration m = Migration.findById(id);
            if (m.guard.sealed == null) {
                m.guard.sealed = sealedState;
                m.guard.targetUri = guardTargetUri;
                m.guard.targetSealed = guardTargetSealed;
            }
            return m.guard.sealed;
        });
    }

    /** The guard is on: the capture may begin (with the workers writing as the migration's user). */
    void guardApplied(UUID id, String detail) {
        tx.record(id, j -> {
            Migration m = j.migration();
            if (m.state != MigrationState.COPYING || !m.guard.is(GuardStatus.APPLYING)) {
                return false;
            }
            m.guard.moveTo(GuardStatus.ACTIVE);
            m.guard.detail = detail;
            j.audit("orchestrator", "guard-applied", detail);
            j.phase(PhaseEvent.Kind.CAPTURE);
            return true;
        });
    }

    /** The guard could not be applied: the migration fails with the reason (the keeper then undoes what was changed). */
    void guardFailed(UUID id, String reason) {
        tx.record(id, j -> {
            Migration m = j.migration();
            if (!m.state.active() || !m.guard.is(GuardStatus.APPLYING)) {
                return false;
            }
            m.guard.detail = reason;
            j.fail("orchestrator", reason);
            return true;
        });
    }

    /**
     * The target's own keys are counted for a cutover being verified ({@code own}: db → keys to leave out of the target's
     * count; null when they could not be counted, {@code error} says why): on with the verification.
     */
    void ownKeysCounted(UUID id, int run, Map<Integer, Long> own, String error) {
        tx.record(id, j -> {
            Migration m = j.migration();
            if (m.run != run || !m.cuttingOver() || m.cutover.phase != CutoverPhase.VERIFYING || !m.cutover.ownPending) {
                return false;
            }
            m.cutover.ownPending = false;
            m.cutover.targetOwn = own == null ? null : TargetOwnKeys.json(own);
            long n = own == null ? 0 : own.values().stream().mapToLong(Long::longValue).sum();
            j.audit("orchestrator", "cutover-own-keys", own == null ? "the target's own keys could not be counted (" + error
                    + "): the comparison counts them as the source's" : n + " key(s) the target held before the migration and the source "
                    + "does not have are left out of the target's key counts " + own);
            CutoverHandler.verify(j);
            return true;
        });
    }

    /** The guard is lifted (or there was nothing to lift); a cutover waiting for it now ends the write pause. */
    void guardLifted(UUID id, String detail) {
        tx.record(id, j -> {
            Migration m = j.migration();
            if (m.guard.is(GuardStatus.LIFTING_FOR_CUTOVER) && m.cutover.phase == CutoverPhase.VERIFYING) {
                j.phase(PhaseEvent.Kind.COMPLETE);
            }
            m.guard.moveTo(GuardStatus.LIFTED);
            m.guard.sealed = null;
            m.guard.targetSealed = null;
            m.guard.detail = detail;
            j.audit("orchestrator", "guard-lifted", detail);
            return true;
        });
    }

    /**
     * What the cutover handed over besides the data (CutoverHandover): the source's users ({@code users-migrated} or
     * {@code users-incomplete}) and settings ({@code config-migrated} or {@code config-incomplete}), in the audit trail.
     */
    void handedOver(UUID id, String action, String detail) {
        tx.record(id, j -> {
            j.audit("orchestrator", action, detail);
            return true;
        });
    }

    /** Lifting failed (target unreachable?): a waiting cutover goes on anyway, and the keeper tries again. */
    void guardLiftFailed(UUID id, String reason) {
        tx.record(id, j -> {
            Migration m = j.migration();
            boolean cutover = m.guard.is(GuardStatus.LIFTING_FOR_CUTOVER);
            if (cutover && m.cutover.phase == CutoverPhase.VERIFYING) {
                j.phase(PhaseEvent.Kind.COMPLETE);
            }
            if (cutover || !reason.equals(m.guard.detail)) {
                m.guard.moveTo(GuardStatus.LIFTING);
                m.guard.detail = reason;
                j.audit("orchestrator", "guard-lift-failed", reason + "; trying again");
            }
            return true;
        });
    }

    /** The source's notify-keyspace-events is back to what it was before the migration. */
    void notifyRestored(UUID id, String value) {
        tx.record(id, j -> {
            Migration m = j.migration();
            if (!value.equals(m.capture.notifyPrevious)) {
                return false;
            }
            m.capture.notifyPrevious = null;
            j.audit("orchestrator", "source-restored", "notify-keyspace-events set back to '" + value + "' on the source");
            return true;
        });
    }

    /** Per-database key counts differ while nothing was in flight: reconcile, like a lost change. */
    void driftDetected(UUID id, int run, String detail) {
        tx.record(id, j -> {
            Migration m = j.migration();
            if (m.run != run || m.state != MigrationState.REPLICATING || m.cuttingOver() || m.reconciling) {
                return false;
            }
            Reconciliation.start(j, "orchestrator", "DBSIZE drift (" + detail + ")");
            return true;
        });
    }
}

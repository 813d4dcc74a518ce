package io.dfmigrate.orchestrator.persistence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import java.time.Instant;

/**
 * The lifecycle, the cutover and the target guard as plain state machines: every legal move is made, every other one is
 * refused. The expected tables are written out here on their own, so a change to the code's tables shows up as a failure.
 */
class MigrationStateMachineTest {
    static final Map<MigrationState, Set<MigrationState>> LIFECYCLE = Map.of(
            MigrationState.CREATED, EnumSet.of(MigrationState.VALIDATING),
            MigrationState.VALIDATING, EnumSet.of(MigrationState.VALIDATED, MigrationState.VALIDATION_FAILED, MigrationState.STOPPED,
                    MigrationState.FAILED),
            MigrationState.VALIDATED, EnumSet.of(MigrationState.VALIDATING, MigrationState.COPYING),
            MigrationState.VALIDATION_FAILED, EnumSet.of(MigrationState.VALIDATING),
            MigrationState.COPYING, EnumSet.of(MigrationState.REPLICATING, MigrationState.STOPPED, MigrationState.FAILED),
            MigrationState.REPLICATING, EnumSet.of(MigrationState.COMPLETED, MigrationState.STOPPED, MigrationState.FAILED),
            MigrationState.STOPPED, EnumSet.of(MigrationState.VALIDATING),
            MigrationState.FAILED, EnumSet.of(MigrationState.VALIDATING),
            MigrationState.COMPLETED, EnumSet.noneOf(MigrationState.class));

    static Migration in(MigrationState state) {
        Migration m = new Migration();
        m.id = UUID.randomUUID();
        m.state = state;
        return m;
    }

    @Test
    void everyLegalLifecycleMoveIsMadeAndEveryOtherIsRefused() {
        int legal = 0;
        for (MigrationState from : MigrationState.values()) {
            for (MigrationState to : MigrationState.values()) {
                Migration m = in(from);
                if (LIFECYCLE.get(from).contains(to)) {
                    m.moveTo(to);
                    assertEquals(to, m.state);
                    legal++;
                } else {
                    assertThrows(IllegalStateException.class, () -> m.moveTo(to), from + " -> " + to);
                    assertEquals(from, m.state, "a refused move leaves the state as it was");
                }
            }
        }
        assertEquals(16, legal);
    }

    @Test
    void theTableOfTransitionsGivesEveryLegalMoveItsAuditActionAndItsCommand() {
        Map<MigrationState, Set<MigrationState>> derived = new java.util.EnumMap<>(MigrationState.class);
        for (MigrationState s : MigrationState.values()) {
            derived.put(s, EnumSet.noneOf(MigrationState.class));
        }
        for (Transition t : Transition.values()) {
            t.from().forEach(s -> derived.get(s).add(t.to()));
        }
        assertEquals(LIFECYCLE, derived, "the table's moves are the lifecycle's, no more and no fewer");
        // the audit trail's action names: compliance tooling reads them, they stay what they were
        Map<Transition, String> actions = new java.util.EnumMap<>(Map.of(Transition.VALIDATE, "validate", Transition.RESTART, "restart",
                Transition.VALIDATION_PASSED, "validation-report", Transition.VALIDATION_FAILED, "validation-report",
                Transition.START, "start", Transition.COPY_DONE, "copy-done", Transition.STOP, "stop", Transition.COMPLETE, "complete",
                Transition.CUTOVER_VERIFIED, "complete", Transition.FAIL, "failure"));
        for (Transition t : Transition.values()) {
            assertEquals(actions.get(t), t.action(), t.name());
        }
        assertEquals(io.dfmigrate.common.event.PhaseEvent.Kind.STOP, Transition.FAIL.command());
        assertEquals(io.dfmigrate.common.event.PhaseEvent.Kind.STOP, Transition.STOP.command());
        assertEquals(io.dfmigrate.common.event.PhaseEvent.Kind.VALIDATE, Transition.RESTART.command());
        assertNull(Transition.START.command(), "the start picks the guard or the capture");
        assertNull(Transition.COPY_DONE.command(), "the copy's end picks replicate or reconcile");
    }

    @Test
    void everyStateAllowsOnlyActionsThatLeadToALegalMove() {
        for (MigrationState s : MigrationState.values()) {
            for (MigrationState.Action a : s.allowedActions()) {
                MigrationState target = switch (a) {
                    case validate, restart -> MigrationState.VALIDATING;
                    case start -> MigrationState.COPYING;
                    case stop -> MigrationState.STOPPED;
                    case complete -> MigrationState.COMPLETED;
                    case keepReplicating, verify -> s; // no move
                };
                if (target != s) {
                    assertEquals(true, LIFECYCLE.get(s).contains(target), s + " allows " + a);
                }
            }
        }
        assertEquals(List.of("verify"), MigrationState.COMPLETED.allowedActionNames(), "a completed migration can only be verified");
    }

    @Test
    void aCutoverGoesPausingDrainingVerifyingToDoneOrMismatchAndOnlyAPausedOneCanBeAbandoned() {
        Map<CutoverPhase, Set<CutoverPhase>> expected = Map.of(
                CutoverPhase.PAUSING, EnumSet.of(CutoverPhase.DRAINING),
                CutoverPhase.DRAINING, EnumSet.of(CutoverPhase.VERIFYING),
                CutoverPhase.VERIFYING, EnumSet.of(CutoverPhase.DONE, CutoverPhase.MISMATCH),
                CutoverPhase.DONE, EnumSet.noneOf(CutoverPhase.class),
                CutoverPhase.MISMATCH, EnumSet.noneOf(CutoverPhase.class));
        for (CutoverPhase to : CutoverPhase.values()) {
            CutoverInfo none = new CutoverInfo();
            if (to == CutoverPhase.PAUSING) {
                none.moveTo(to);
            } else {
                assertThrows(IllegalStateException.class, () -> none.moveTo(to), "none -> " + to);
            }
        }
        for (CutoverPhase from : CutoverPhase.values()) {
            for (CutoverPhase to : CutoverPhase.values()) {
                CutoverInfo c = new CutoverInfo();
                c.phase = from;
                if (expected.get(from).contains(to)) {
                    c.moveTo(to);
                    assertEquals(to, c.phase);
                } else {
                    assertThrows(IllegalStateException.class, () -> c.moveTo(to), from + " -> " + to);
                }
            }
            CutoverInfo c = new CutoverInfo();
            c.phase = from;
            if (from == CutoverPhase.PAUSING || from == CutoverPhase.DRAINING) {
                c.abandon("aborted");
                assertNull(c.phase);
                assertEquals("aborted", c.detail);
            } else {
                assertThrows(IllegalStateException.class, () -> c.abandon("aborted"), "abandon " + from);
            }
        }
    }

    @Test
    void theTargetGuardIsAppliedThenLiftedAndAStartMayReapplyAGuardNotLiftedYet() {
        Map<GuardStatus, Set<GuardStatus>> expected = Map.of(
                GuardStatus.APPLYING, EnumSet.of(GuardStatus.APPLYING, GuardStatus.ACTIVE, GuardStatus.LIFTING, GuardStatus.LIFTED),
                GuardStatus.ACTIVE, EnumSet.of(GuardStatus.APPLYING, GuardStatus.LIFTING, GuardStatus.LIFTING_FOR_CUTOVER, GuardStatus.LIFTED),
                GuardStatus.LIFTING, EnumSet.of(GuardStatus.APPLYING, GuardStatus.LIFTING, GuardStatus.LIFTED),
                GuardStatus.LIFTING_FOR_CUTOVER, EnumSet.of(GuardStatus.LIFTING, GuardStatus.LIFTED),
                GuardStatus.LIFTED, EnumSet.of(GuardStatus.APPLYING));
        Set<String> legal = new HashSet<>();
        for (GuardStatus to : GuardStatus.values()) {
            GuardInfo none = new GuardInfo();
            if (to == GuardStatus.APPLYING) {
                none.moveTo(to);
            } else {
                assertThrows(IllegalStateException.class, () -> none.moveTo(to), "none -> " + to);
            }
        }
        for (GuardStatus from : GuardStatus.values()) {
            for (GuardStatus to : GuardStatus.values()) {
                GuardInfo g = new GuardInfo();
                g.status = from;
                if (expected.get(from).contains(to)) {
                    g.moveTo(to);
                    legal.add(from + ">" + to);
                } else {
                    assertThrows(IllegalStateException.class, () -> g.moveTo(to), from + " -> " + to);
                }
            }
        }
        assertEquals(14, legal.size());
        GuardInfo g = new GuardInfo();
        assertEquals(false, g.up());
        g.moveTo(GuardStatus.APPLYING);
        assertEquals(true, g.up());
        g.moveTo(GuardStatus.LIFTED);
        assertEquals(false, g.up());
    }

    @Test
    void aNewRunForgetsThePreviousRunButNotASettingStillToGiveBack() {
        Migration m = in(MigrationState.FAILED);
        m.run = 3;
        m.error = "boom";
        m.copy.keysCopied = 10;
        m.capture.startedAt = Instant.now();
        m.capture.notifyPrevious = "Ex";
        m.capture.captured = 5;
        m.cutover.phase = CutoverPhase.DRAINING;
        m.reconcilePass = 2;
        m.stalled = "stalled";
        m.guard.status = GuardStatus.LIFTING;
        m.newRun();
        m.moveTo(MigrationState.VALIDATING);
        assertEquals(4, m.run);
        assertNull(m.error);
        assertEquals(0, m.copy.keysCopied);
        assertNull(m.capture.startedAt);
        assertEquals(0, m.capture.captured);
        assertEquals("Ex", m.capture.notifyPrevious);
        assertNull(m.cutover.phase);
        assertEquals(0, m.reconcilePass);
        assertNull(m.stalled);
        assertEquals(GuardStatus.LIFTING, m.guard.status, "the keeper still has to lift the previous run's guard");
    }
}

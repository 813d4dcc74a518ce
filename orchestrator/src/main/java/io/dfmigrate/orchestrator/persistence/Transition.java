package io.dfmigrate.orchestrator.persistence;

import static io.dfmigrate.orchestrator.persistence.MigrationState.COMPLETED;
import static io.dfmigrate.orchestrator.persistence.MigrationState.COPYING;
import static io.dfmigrate.orchestrator.persistence.MigrationState.CREATED;
import static io.dfmigrate.orchestrator.persistence.MigrationState.FAILED;
import static io.dfmigrate.orchestrator.persistence.MigrationState.REPLICATING;
import static io.dfmigrate.orchestrator.persistence.MigrationState.STOPPED;
import static io.dfmigrate.orchestrator.persistence.MigrationState.VALIDATED;
import static io.dfmigrate.orchestrator.persistence.MigrationState.VALIDATING;

import io.dfmigrate.common.event.PhaseEvent;
import io.dfmigrate.orchestrator.service.Journal;
import java.util.EnumSet;
import java.util.Set;

/**
 * The lifecycle in one table: every move of a migration's state, with the states it leaves, the state it enters, the
 * action it is recorded under in the audit trail ({@code dfm.audit}, which compliance tooling reads: these names stay) and
 * the phase command it issues. {@link MigrationState#next()} is derived from it, and every handler moves a migration
 * through it ({@code Journal.transition}). Two moves leave their command to the handler, which picks one of two:
 * {@link #START} (the keeper guards the target first, or the capture is asked for at once) and {@link #COPY_DONE}
 * (replicate, or reconcile first after a capture gap).
 */
public enum Transition {
    /** The operator validates a migration that has not started (again, after a failed validation). */
    VALIDATE("validate", EnumSet.of(CREATED, VALIDATED, MigrationState.VALIDATION_FAILED), VALIDATING, PhaseEvent.Kind.VALIDATE),
    /** The operator restarts an ended migration: a new run, validated first. */
    RESTART("restart", EnumSet.of(MigrationState.VALIDATION_FAILED, STOPPED, FAILED), VALIDATING, PhaseEvent.Kind.VALIDATE),
    /** The validator reports no error. */
    VALIDATION_PASSED("validation-report", EnumSet.of(VALIDATING), VALIDATED, null),
    /** The validator reports an error. */
    VALIDATION_FAILED("validation-report", EnumSet.of(VALIDATING), MigrationState.VALIDATION_FAILED, null),
    /** The operator starts the copy (the command: see the class). */
    START("start", EnumSet.of(VALIDATED), COPYING, null),
    /** Every batch of the copy is acknowledged (the command: see the class). */
    COPY_DONE("copy-done", EnumSet.of(COPYING), REPLICATING, null),
    /** The operator stops: the workers end the run, what was copied stays on the target. */
    STOP("stop", EnumSet.of(VALIDATING, COPYING, REPLICATING), STOPPED, PhaseEvent.Kind.STOP),
    /** The operator completes without a cutover. */
    COMPLETE("complete", EnumSet.of(REPLICATING), COMPLETED, PhaseEvent.Kind.COMPLETE),
    /** The replicator verified the cutover (and ended the run itself). */
    CUTOVER_VERIFIED("complete", EnumSet.of(REPLICATING), COMPLETED, null),
    /** A failure of the migration (a watch, a worker's report, an unverified cutover): the workers are told to stop. */
    FAIL("failure", EnumSet.of(VALIDATING, COPYING, REPLICATING), FAILED, PhaseEvent.Kind.STOP);

    private final String action;
    private final Set<MigrationState> from;
    private final MigrationState to;
    private final PhaseEvent.Kind command;

    Transition(String action, Set<MigrationState> from, MigrationState to, PhaseEvent.Kind command) {
        this.action = action;
        this.from = from;
        this.to = to;
        this.command = command;
    }

    /** The audit trail's action name. */
    public String action() {
        return action;
    }

    public Set<MigrationState> from() {
        return from;
    }

    public MigrationState to() {
        return to;
    }

    /** The phase command this move issues, null when none or when its handler picks it. */
    public PhaseEvent.Kind command() {
        return command;
    }
}

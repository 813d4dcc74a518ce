package io.dfmigrate.orchestrator.persistence;

import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/** The persisted lifecycle (docs/architecture.md): which state may follow which, and which operator action each allows. */
public enum MigrationState {
    CREATED, VALIDATING, VALIDATED, VALIDATION_FAILED, COPYING, REPLICATING, STOPPED, COMPLETED, FAILED;

    /** Operator actions, by their REST path segment. */
    public enum Action {
        validate, start, stop, complete, restart, keepReplicating, verify;

        /** The REST path segment: {@code keep-replicating} for {@link #keepReplicating}. */
        public String path() {
            return this == keepReplicating ? "keep-replicating" : name();
        }
    }

    /**
     * The states this one may move to, from the lifecycle's table ({@link Transition}); anything else is a bug, refused by
     * {@link Migration#moveTo}.
     */
    public Set<MigrationState> next() {
        Set<MigrationState> next = EnumSet.noneOf(MigrationState.class);
        for (Transition t : Transition.values()) {
            if (t.from().contains(this)) {
                next.add(t.to());
            }
        }
        return next;
    }

    public Set<Action> allowedActions() {
        return switch (this) {
            case CREATED -> Set.of(Action.validate);
            case VALIDATING -> Set.of(Action.stop);
            case VALIDATED -> Set.of(Action.validate, Action.start);
            case VALIDATION_FAILED -> Set.of(Action.validate, Action.restart);
            case COPYING -> Set.of(Action.stop);
            case REPLICATING -> Set.of(Action.stop, Action.complete, Action.keepReplicating, Action.verify);
            case STOPPED -> Set.of(Action.restart, Action.verify);
            case FAILED -> Set.of(Action.restart);
            case COMPLETED -> Set.of(Action.verify);
        };
    }

    public List<String> allowedActionNames() {
        return allowedActions().stream().map(Action::path).sorted().toList();
    }

    /** Workers are busy with the migration: it is watched for silence. */
    public boolean active() {
        return this == VALIDATING || this == COPYING || this == REPLICATING;
    }

    /** Capture runs and changes flow: COPYING or REPLICATING. */
    public boolean live() {
        return this == COPYING || this == REPLICATING;
    }
}

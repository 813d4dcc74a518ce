package io.dfmigrate.orchestrator.persistence;

import java.util.List;
import java.util.Set;

/** The persisted lifecycle (DESIGN.md §3) and which operator action each state allows. */
public enum MigrationState {
    CREATED, VALIDATING, VALIDATED, VALIDATION_FAILED, COPYING, REPLICATING, STOPPED, COMPLETED, FAILED;

    /** Operator actions, by their REST path segment. */
    public enum Action {
        validate, start, stop, complete, restart, keepReplicating;

        /** The REST path segment: {@code keep-replicating} for {@link #keepReplicating}. */
        public String path() {
            return this == keepReplicating ? "keep-replicating" : name();
        }
    }

    public Set<Action> allowedActions() {
        return switch (this) {
            case CREATED -> Set.of(Action.validate);
            case VALIDATING -> Set.of(Action.stop);
            case VALIDATED -> Set.of(Action.validate, Action.start);
            case VALIDATION_FAILED -> Set.of(Action.validate, Action.restart);
            case COPYING -> Set.of(Action.stop);
            case REPLICATING -> Set.of(Action.stop, Action.complete, Action.keepReplicating);
            case STOPPED, FAILED -> Set.of(Action.restart);
            case COMPLETED -> Set.of();
        };
    }

    public List<String> allowedActionNames() {
        return allowedActions().stream().map(Action::path).sorted().toList();
    }

    public boolean active() {
        return this == VALIDATING || this == COPYING || this == REPLICATING;
    }
}

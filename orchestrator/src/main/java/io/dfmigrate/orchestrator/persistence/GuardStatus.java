package io.dfmigrate.orchestrator.persistence;

import java.util.EnumSet;
import java.util.Set;

/**
 * The target write guard (options.guardTarget; none while there is none): the keeper applies it (APPLYING → ACTIVE)
 * before the capture begins, and lifts it when the migration leaves COPYING/REPLICATING (→ LIFTED, or LIFTING while
 * the target cannot be reached); a cutover waits for the lift before the write pause ends (LIFTING_FOR_CUTOVER).
 */
public enum GuardStatus {
    APPLYING, ACTIVE, LIFTING, LIFTING_FOR_CUTOVER, LIFTED;

    public Set<GuardStatus> next() {
        return switch (this) {
            // a start may find the previous run's guard not lifted yet: it is applied (again) from there
            case APPLYING -> EnumSet.of(APPLYING, ACTIVE, LIFTING, LIFTED);
            case ACTIVE -> EnumSet.of(APPLYING, LIFTING, LIFTING_FOR_CUTOVER, LIFTED);
            case LIFTING -> EnumSet.of(APPLYING, LIFTING, LIFTED);
            case LIFTING_FOR_CUTOVER -> EnumSet.of(LIFTING, LIFTED);
            case LIFTED -> EnumSet.of(APPLYING);
        };
    }

    /** The guard may be on the target (applied, being applied, or not lifted yet). */
    public boolean up() {
        return this != LIFTED;
    }
}

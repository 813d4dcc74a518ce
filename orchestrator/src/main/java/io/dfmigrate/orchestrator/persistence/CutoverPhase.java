package io.dfmigrate.orchestrator.persistence;

import java.util.EnumSet;
import java.util.Set;

/**
 * The cutover of a REPLICATING migration (none while there is none): writes are being paused on the source
 * (PAUSING), the changes captured before the pause are applied (DRAINING), the migration is COMPLETED and the replicator
 * compares key counts (VERIFYING), then DONE or MISMATCH. An abort or a stop during PAUSING/DRAINING ends it.
 */
public enum CutoverPhase {
    PAUSING, DRAINING, VERIFYING, DONE, MISMATCH;

    /** The phases this one may move to ({@code null}, none, from PAUSING and DRAINING: aborted or stopped). */
    public Set<CutoverPhase> next() {
        return switch (this) {
            case PAUSING -> EnumSet.of(DRAINING);
            case DRAINING -> EnumSet.of(VERIFYING);
            case VERIFYING -> EnumSet.of(DONE, MISMATCH);
            case DONE, MISMATCH -> EnumSet.noneOf(CutoverPhase.class);
        };
    }

    /** Whether the cutover may end without a result here (abort, stop): writes are still paused on the source. */
    public boolean abandonable() {
        return this == PAUSING || this == DRAINING;
    }
}

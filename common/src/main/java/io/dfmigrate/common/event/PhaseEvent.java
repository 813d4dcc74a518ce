package io.dfmigrate.common.event;

import java.time.Instant;

/**
 * A phase command on {@code dfm.phases}, keyed by migration id. {@code run} increases with every start-over,
 * so workers and the orchestrator can drop events of an earlier run.
 */
public record PhaseEvent(
        String id,
        String type,
        String migrationId,
        int run,
        Instant time,
        EndpointRef source,
        EndpointRef target,
        MigrationOptions options,
        Integer pass) {

    /** {@code pass}: the reconciliation pass of a {@code dfm.phase.reconcile.v1} (1, 2, …); null for other types. */
    public PhaseEvent {
    }
}

package io.dfmigrate.orchestrator.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;

@ConfigMapping(prefix = "dfm.orchestrator")
public interface OrchestratorConfig {
    /**
     * A migration in VALIDATING or COPYING with no report from its workers for this long turns FAILED. Workers send a
     * heartbeat every few seconds while they work on a migration.
     */
    @WithDefault("60s")
    Duration heartbeatTimeout();

    /** How often silent migrations are looked for (read by the scheduler as {@code dfm.orchestrator.heartbeat-check}). */
    @WithDefault("5s")
    Duration heartbeatCheck();

    /** How often the outbox is relayed besides right after each change ({@code dfm.orchestrator.outbox-interval}). */
    @WithDefault("1s")
    Duration outboxInterval();

    /** How often {@code GET …/events} looks for changes. */
    @WithDefault("500ms")
    Duration eventsInterval();

    /**
     * How callers authenticate (comma-separated): {@code token} (default: every request but {@code /q/health*} needs
     * {@code Authorization: Bearer <token>} with the operator's or the viewer's token), {@code oidc} (bearer tokens from
     * the team's identity provider, verified by quarkus-oidc, roles from the token), both ({@code token,oidc}), or
     * {@code none} alone (nothing is checked; logged as a WARNING at start).
     */
    @WithDefault("token")
    Set<AuthMode> auth();

    enum AuthMode {
        token, oidc, none
    }

    /** With {@code auth} including {@code oidc}: the token role (group) that may act ({@code DFM_ORCHESTRATOR_OIDC_OPERATOR_ROLE}). */
    @WithDefault("operator")
    String oidcOperatorRole();

    /** With {@code auth} including {@code oidc}: the token role (group) that may read ({@code DFM_ORCHESTRATOR_OIDC_VIEWER_ROLE}). */
    @WithDefault("viewer")
    String oidcViewerRole();

    /** The operator's bearer token: every action (env DFM_ORCHESTRATOR_API_TOKEN). Required with {@code auth=token}. */
    Optional<String> apiToken();

    /** An optional read-only bearer token: GET/HEAD of the API, SSE and audit, metrics; no action (DFM_ORCHESTRATOR_VIEWER_TOKEN). */
    Optional<String> viewerToken();

    /** Endpoints besides {@code /q/health*} reachable without credentials: {@code metrics}, {@code openapi} (none by default). */
    Optional<Set<PublicEndpoint>> publicEndpoints();

    enum PublicEndpoint {
        metrics, openapi
    }

    /** Timeout of the orchestrator's own Redis calls (target write guard, restoring the source's notify-keyspace-events, drift checks). */
    @WithDefault("10s")
    Duration redisTimeout();

    /**
     * How often guard and source settings of ended migrations are checked and, where a lift or restore failed (target or
     * source unreachable), tried again ({@code dfm.orchestrator.keeper-interval}).
     */
    @WithDefault("5s")
    Duration keeperInterval();

    /**
     * How often a REPLICATING migration's per-database key counts (keys without a TTL) are compared between source and
     * target ({@code dfm.orchestrator.drift-check-interval}); a difference seen while no change was in flight starts a
     * reconciliation.
     */
    @WithDefault("30s")
    Duration driftCheckInterval();

    /**
     * A capturing replicator that has not reported for this long (it reports every second) is taken over: another
     * replicator is asked to capture the run, then source and target are reconciled ({@code dfm.orchestrator.capture-timeout}).
     * If no replicator takes over within {@link #heartbeatTimeout()}, the migration fails.
     */
    @WithDefault("15s")
    Duration captureTimeout();

    /** How often the stall watch compares each live migration's progress with what it saw before. */
    @WithDefault("5s")
    Duration stallCheck();

    /** A live migration whose copy counters, or (with changes pending) applied changes, have not moved for this long is shown as stalled. */
    @WithDefault("60s")
    Duration stallTimeout();

    /** ... and fails with the reason after this long (replication: only when changes kept arriving or appliers report errors). */
    @WithDefault("15m")
    Duration stallFailTimeout();

    /** Live migrations (COPYING or REPLICATING) at once; a start beyond it is refused with 409. */
    @WithDefault("20")
    int maxLiveMigrations();

    /**
     * With {@code options.overwrite}: the most keys of its own a target may hold at the first start. They are recorded (in
     * PostgreSQL) to tell them apart from migrated keys; a start onto a target with more is refused with 409.
     */
    @WithDefault("100000")
    int targetOwnKeysLimit();

    /** Server-sent event streams open at once, per migration and in total; more get 429. */
    @WithDefault("16")
    int sseMaxPerMigration();

    @WithDefault("256")
    int sseMaxTotal();

    /** Verification: differing keys kept per verification for {@code GET …/verification/diff} (all are counted). */
    @WithDefault("100000")
    int verifyMaxStoredDifferences();

    /** Verification: with no report from any verifier for this long, a running verification fails with the reason. */
    @WithDefault("2m")
    Duration verifySilenceTimeout();

    /** Verification: TTLs of the two sides may differ by this much unless the request says otherwise. */
    @WithDefault("1s")
    Duration verifyTtlTolerance();
}

package io.dfmigrate.orchestrator.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.Optional;

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

    /** When set, every {@code /api/*} request needs {@code Authorization: Bearer <token>} (env DFM_ORCHESTRATOR_API_TOKEN). */
    Optional<String> apiToken();
}

package io.dfmigrate.orchestrator.service;

import io.dfmigrate.orchestrator.config.OrchestratorConfig;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import org.jboss.logging.Logger;

/**
 * Turns migrations whose workers went silent into FAILED with a reason, instead of leaving them stuck; a silent change
 * capture is first handed to another replicator.
 */
@ApplicationScoped
public class HeartbeatWatch {
    private static final Logger LOG = Logger.getLogger(HeartbeatWatch.class);
    private final Instant startedAt = Instant.now();
    private final MigrationService service;
    private final OrchestratorConfig config;

    public HeartbeatWatch(MigrationService service, OrchestratorConfig config) {
        this.service = service;
        this.config = config;
    }

    @Scheduled(every = "${dfm.orchestrator.heartbeat-check:5s}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void check() {
        try {
            int taken = service.takeOverSilentCaptures(config.captureTimeout(), config.heartbeatTimeout(), startedAt);
            if (taken > 0) {
                LOG.warnf("%d migration(s) with a silent change capture: takeover asked for, or failed after %s", taken,
                        config.heartbeatTimeout());
            }
            int failed = service.failSilent(config.heartbeatTimeout(), startedAt);
            if (failed > 0) {
                LOG.warnf("%d migration(s) failed: no worker report for %s", failed, config.heartbeatTimeout());
            }
        } catch (RuntimeException e) {
            LOG.warnf("heartbeat check: %s", e.toString());
        }
    }
}

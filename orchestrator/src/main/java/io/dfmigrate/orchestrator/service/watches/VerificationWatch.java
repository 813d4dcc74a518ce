package io.dfmigrate.orchestrator.service.watches;

import io.dfmigrate.orchestrator.config.OrchestratorConfig;
import io.dfmigrate.orchestrator.persistence.Migration;
import io.dfmigrate.orchestrator.persistence.VerificationInfo;
import io.dfmigrate.orchestrator.service.Journal;
import io.dfmigrate.orchestrator.service.MigrationTx;
import io.dfmigrate.orchestrator.service.lifecycle.VerifyHandler;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.jboss.logging.Logger;

/**
 * A verification never waits forever: one that no verifier has reported on (batch results, scan counts or a copier's
 * heartbeat for the run) for {@code dfm.orchestrator.verify-silence-timeout} fails with the reason.
 */
@ApplicationScoped
public class VerificationWatch {
    private static final Logger LOG = Logger.getLogger(VerificationWatch.class);
    private final MigrationTx tx;
    private final OrchestratorConfig config;

    public VerificationWatch(MigrationTx tx, OrchestratorConfig config) {
        this.tx = tx;
        this.config = config;
    }

    @Scheduled(every = "${dfm.orchestrator.stall-check}", delayed = "5s", concurrentExecution = Scheduled.ConcurrentExecution.SKIP,
            skipExecutionIf = WatchLeader.class)
    void check() {
        try {
            Instant before = Instant.now().minus(config.verifySilenceTimeout());
            List<UUID> silent = QuarkusTransaction.requiringNew().call(() -> Migration.<Migration>list(
                    "verification.state = ?1 and verification.reportAt < ?2", VerificationInfo.State.RUNNING, before).stream().map(m -> m.id).toList());
            for (UUID id : silent) {
                Journal j = MigrationTx.retryingConflicts(() -> QuarkusTransaction.requiringNew().call(() -> {
                    Migration m = Migration.findById(id);
                    if (m == null || !m.verification.running() || !m.verification.reportAt.isBefore(before)) {
                        return null;
                    }
                    Journal journal = new Journal(m);
                    VerifyHandler.fail(journal, "orchestrator", "no verifier reported for " + config.verifySilenceTimeout().toSeconds()
                            + " s: is a copier running and reaching Kafka, source and target?");
                    return journal;
                }));
                if (j != null) {
                    tx.after(j);
                    LOG.warnf("migration %s: verification %d failed: its verifiers are silent", id, j.migration().verification.number);
                }
            }
        } catch (RuntimeException e) {
            LOG.warnf("verification watch: %s", e.toString());
        }
    }
}

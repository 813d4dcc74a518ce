package io.dfmigrate.replicator.messaging;

import io.dfmigrate.common.event.EventTypes;
import io.dfmigrate.common.event.Json;
import io.dfmigrate.common.event.PhaseEvent;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Set;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.jboss.logging.Logger;

/**
 * The replicator's subscription to {@code dfm.phases}. Change capture, the appliers, lag and cutover are not built
 * yet (see docs/architecture.md, "What is built"); for now the service records the replication-related commands it
 * receives, so the topology and its consumer group are in place.
 */
@ApplicationScoped
public class PhaseConsumer {
    private static final Logger LOG = Logger.getLogger(PhaseConsumer.class);
    private static final Set<String> RELEVANT = Set.of(EventTypes.PHASE_COPY, EventTypes.PHASE_REPLICATE, EventTypes.PHASE_STOP,
            EventTypes.PHASE_COMPLETE);

    @Incoming("phases-in")
    public void onPhase(String json) {
        try {
            PhaseEvent phase = Json.read(json, PhaseEvent.class);
            if (RELEVANT.contains(phase.type())) {
                LOG.infof("migration %s run %d: %s received (change capture is not implemented yet)", phase.migrationId(),
                        phase.run(), phase.type());
            }
        } catch (IllegalArgumentException e) {
            LOG.warnf("dropping an unreadable phase event: %s", e.getMessage());
        }
    }
}

package io.dfmigrate.orchestrator.messaging;

import io.dfmigrate.common.event.AuditEvent;
import io.dfmigrate.common.event.PhaseEvent;
import io.dfmigrate.common.messaging.CloudEventMessages;
import io.smallrye.reactive.messaging.MutinyEmitter;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import org.eclipse.microprofile.reactive.messaging.Channel;

/** Publishes phase commands to {@code dfm.phases} and audit records to {@code dfm.audit}, waiting for the broker's ack. */
@ApplicationScoped
public class EventPublisher {
    private static final String SERVICE = "orchestrator";
    private static final Duration ACK_TIMEOUT = Duration.ofSeconds(30);

    private final MutinyEmitter<String> phases;
    private final MutinyEmitter<String> audit;

    public EventPublisher(@Channel("phases-out") MutinyEmitter<String> phases, @Channel("audit-out") MutinyEmitter<String> audit) {
        this.phases = phases;
        this.audit = audit;
    }

    public void phase(PhaseEvent event) {
        phases.sendMessage(CloudEventMessages.of(SERVICE, event.migrationId(), event.id(), event.type(), event.migrationId(), event))
                .await().atMost(ACK_TIMEOUT);
    }

    public void audit(AuditEvent event) {
        audit.sendMessage(CloudEventMessages.of(SERVICE, event.migrationId(), event.id(), event.type(), event.migrationId(), event))
                .await().atMost(ACK_TIMEOUT);
    }
}

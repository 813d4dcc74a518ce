package io.dfmigrate.orchestrator.messaging;

import io.dfmigrate.common.Topics;
import io.dfmigrate.common.event.EventTypes;
import io.dfmigrate.common.messaging.EventSignatures;
import io.dfmigrate.common.secret.EventSigner;
import io.dfmigrate.orchestrator.persistence.OutboxEvent;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.ce.OutgoingCloudEventMetadata;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import jakarta.enterprise.context.ApplicationScoped;
import java.net.URI;
import java.time.Duration;
import java.time.ZoneOffset;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Message;

/** Sends outbox rows to {@code dfm.phases} (signed) or {@code dfm.audit}, waiting for the broker's acknowledgement. */
@ApplicationScoped
public class EventPublisher {
    private static final Duration ACK_TIMEOUT = Duration.ofSeconds(30);
    private static final URI SOURCE = URI.create(EventTypes.SOURCE_PREFIX + "orchestrator");

    private final MutinyEmitter<String> phases;
    private final MutinyEmitter<String> audit;

    private final EventSignatures signatures;

    public EventPublisher(@Channel("phases-out") MutinyEmitter<String> phases, @Channel("audit-out") MutinyEmitter<String> audit,
                          EventSignatures signatures) {
        this.phases = phases;
        this.audit = audit;
        this.signatures = signatures;
    }

    public void send(OutboxEvent e) {
        MutinyEmitter<String> emitter = switch (e.topic) {
            case Topics.PHASES -> phases;
            case Topics.AUDIT -> audit;
            default -> throw new IllegalStateException("no channel for topic " + e.topic);
        };
        var ce = OutgoingCloudEventMetadata.builder()
                .withId(e.eventId)
                .withType(e.type)
                .withSource(SOURCE)
                .withSubject(e.key)
                .withTimestamp(e.createdAt.atZone(ZoneOffset.UTC))
                .withDataContentType("application/json");
        if (e.actor != null) {
            ce.withExtension("actor", e.actor);
        }
        if (emitter == phases) {
            ce.withExtension(EventSigner.EXTENSION, signatures.sign(EventSigner.PHASES, e.payload));
        }
        Message<String> message = Message.of(e.payload)
                .addMetadata(OutgoingKafkaRecordMetadata.<String>builder().withKey(e.key).build())
                .addMetadata(ce.build());
        emitter.sendMessage(message).await().atMost(ACK_TIMEOUT);
    }
}

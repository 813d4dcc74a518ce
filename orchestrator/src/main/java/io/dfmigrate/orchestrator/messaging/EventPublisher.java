package io.dfmigrate.orchestrator.messaging;

import io.dfmigrate.common.Topics;
import io.dfmigrate.common.event.EventTypes;
import io.dfmigrate.common.event.Json;
import io.dfmigrate.common.event.PhaseEvent;
import io.dfmigrate.common.messaging.EventSignatures;
import io.dfmigrate.common.secret.EventSigner;
import io.dfmigrate.orchestrator.persistence.OutboxEvent;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.ce.OutgoingCloudEventMetadata;
import io.smallrye.reactive.messaging.kafka.Record;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import jakarta.enterprise.context.ApplicationScoped;
import java.net.URI;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Message;

/**
 * Sends outbox rows to {@code dfm.phases} (signed) or {@code dfm.audit}, waiting for the broker's acknowledgement. A
 * control command (replicate, reconcile, cutover, stop, complete) also goes to the compacted {@code dfm.runs}, keyed by
 * run and kind, which copier and replicator instances read from its beginning when they start; a stop or complete
 * deletes the run's replicate, reconcile and cutover commands there (tombstones), so that they are never replayed.
 */
@ApplicationScoped
public class EventPublisher {
    private static final Duration ACK_TIMEOUT = Duration.ofSeconds(30);
    private static final URI SOURCE = URI.create(EventTypes.SOURCE_PREFIX + "orchestrator");

    private static final Set<PhaseEvent.Kind> CONTROL = EnumSet.of(PhaseEvent.Kind.REPLICATE, PhaseEvent.Kind.RECONCILE,
            PhaseEvent.Kind.CUTOVER, PhaseEvent.Kind.STOP, PhaseEvent.Kind.COMPLETE);
    private static final Set<PhaseEvent.Kind> ENDED_RUN_DELETES = EnumSet.of(PhaseEvent.Kind.REPLICATE, PhaseEvent.Kind.RECONCILE,
            PhaseEvent.Kind.CUTOVER);

    private final MutinyEmitter<String> phases;
    private final MutinyEmitter<String> audit;
    private final MutinyEmitter<Record<String, String>> runs;

    private final EventSignatures signatures;

    public EventPublisher(@Channel("phases-out") MutinyEmitter<String> phases, @Channel("audit-out") MutinyEmitter<String> audit,
                          @Channel("runs-out") MutinyEmitter<Record<String, String>> runs, EventSignatures signatures) {
        this.phases = phases;
        this.audit = audit;
        this.runs = runs;
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
        OutgoingCloudEventMetadata<Object> cloudEvent = ce.build();
        Message<String> message = Message.of(e.payload)
                .addMetadata(OutgoingKafkaRecordMetadata.<String>builder().withKey(e.key).build())
                .addMetadata(cloudEvent);
        emitter.sendMessage(message).await().atMost(ACK_TIMEOUT);
        if (emitter == phases) {
            sendRunState(e, cloudEvent);
        }
    }

    private void sendRunState(OutboxEvent e, OutgoingCloudEventMetadata<Object> cloudEvent) {
        PhaseEvent phase = Json.readOrWarn(e.payload, PhaseEvent.class);
        PhaseEvent.Kind kind = phase == null ? null : PhaseEvent.Kind.of(phase);
        if (kind == null || !CONTROL.contains(kind)) {
            return;
        }
        String key = Topics.runStateKey(phase.migrationId(), phase.run(), kind.name().toLowerCase(Locale.ROOT));
        runs.sendMessage(Message.of(Record.of(key, e.payload)).addMetadata(cloudEvent)).await().atMost(ACK_TIMEOUT);
        if (kind == PhaseEvent.Kind.STOP || kind == PhaseEvent.Kind.COMPLETE) {
            for (PhaseEvent.Kind deleted : ENDED_RUN_DELETES) {
                String tombstone = Topics.runStateKey(phase.migrationId(), phase.run(), deleted.name().toLowerCase(Locale.ROOT));
                runs.sendMessage(Message.of(Record.<String, String>of(tombstone, null))).await().atMost(ACK_TIMEOUT);
            }
        }
    }
}

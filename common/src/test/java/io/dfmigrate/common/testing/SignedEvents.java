package io.dfmigrate.common.testing;

import io.dfmigrate.common.event.Json;
import io.dfmigrate.common.event.PhaseEvent;
import io.dfmigrate.common.secret.EventSigner;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.reactive.messaging.ce.impl.DefaultIncomingCloudEventMetadata;
import java.net.URI;
import java.time.ZonedDateTime;
import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.config.ConfigProvider;
import org.eclipse.microprofile.reactive.messaging.Message;

/**
 * For the services' tests that play the orchestrator on in-memory channels: a phase command as it arrives from Kafka,
 * with its CloudEvents attributes and the signature the orchestrator adds ({@code dfm.event.key} of the test profile).
 */
public final class SignedEvents {
    private SignedEvents() {
    }

    public static Message<String> phase(PhaseEvent phase) {
        String json = Json.write(phase);
        EventSigner signer = EventSigner.of(ConfigProvider.getConfig().getValue("dfm.event.key", String.class), List.of());
        return withSignature(phase, json, signer.sign(EventSigner.PHASES, json));
    }

    /**
     * What someone with write access to {@code dfm.phases} but without {@code DFM_EVENT_KEY} can send as {@code phase}:
     * the command unsigned, signed with another key, and carrying a genuine signature of another command.
     */
    public static List<Message<String>> forgeries(PhaseEvent phase) {
        String json = Json.write(phase);
        EventSigner stranger = EventSigner.of(java.util.Base64.getEncoder().encodeToString(new byte[32]), List.of());
        EventSigner ours = EventSigner.of(ConfigProvider.getConfig().getValue("dfm.event.key", String.class), List.of());
        String genuineOfAnother = ours.sign(EventSigner.PHASES, json.replace(phase.migrationId(), "another-migration"));
        return List.of(withSignature(phase, json, null), withSignature(phase, json, stranger.sign(EventSigner.PHASES, json)),
                withSignature(phase, json, genuineOfAnother));
    }

    /**
     * A message a service sent on an in-memory channel, as the consumer of the same Kafka topic would receive it: its
     * payload and CloudEvents attributes, the signature included (the test's own relay of dfm.copy.batches).
     */
    @SuppressWarnings({"unchecked", "rawtypes"})
    public static Message<String> relayed(Message<?> sent) {
        io.smallrye.reactive.messaging.ce.CloudEventMetadata out = sent.getMetadata(
                io.smallrye.reactive.messaging.ce.OutgoingCloudEventMetadata.class).orElseThrow();
        return Message.of(sent.getPayload().toString()).addMetadata(new DefaultIncomingCloudEventMetadata<>(out));
    }

    /** Control events this service dropped for a missing or wrong signature, so far. */
    public static double rejected(MeterRegistry registry) {
        return registry.find("dfm_events_rejected_total").counters().stream().mapToDouble(Counter::count).sum();
    }

    /** The same command as it would arrive with {@code signature} (null: none), e.g. a forgery. */
    public static Message<String> withSignature(PhaseEvent phase, String json, String signature) {
        return withSignature(phase.id(), phase.type(), phase.migrationId(), json, signature);
    }

    /** Any event as it would arrive with {@code signature} (null: none). */
    public static Message<String> withSignature(String id, String type, String subject, String json, String signature) {
        Map<String, Object> extensions = signature == null ? Map.of() : Map.of(EventSigner.EXTENSION, signature);
        return Message.of(json).addMetadata(new DefaultIncomingCloudEventMetadata<>("1.0", id,
                URI.create("urn:dfmigrate:orchestrator"), type, "application/json", null, subject, ZonedDateTime.now(), extensions, null));
    }

    /** {@code json} signed for {@code purpose} with a key that is not the services' (what a forger could do). */
    public static String strangersSignature(String purpose, String json) {
        return EventSigner.of(java.util.Base64.getEncoder().encodeToString(new byte[32]), List.of()).sign(purpose, json);
    }

    /** {@code json} signed for {@code purpose} with the services' key of the test profile. */
    public static String signature(String purpose, String json) {
        return EventSigner.of(ConfigProvider.getConfig().getValue("dfm.event.key", String.class), List.of()).sign(purpose, json);
    }
}

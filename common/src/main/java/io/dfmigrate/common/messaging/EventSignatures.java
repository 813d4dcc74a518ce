package io.dfmigrate.common.messaging;

import io.dfmigrate.common.config.EventKeyConfig;
import io.dfmigrate.common.event.Json;
import io.dfmigrate.common.secret.EventSigner;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.reactive.messaging.ce.IncomingCloudEventMetadata;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.List;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * Signs the control events this service sends and checks the ones it receives: an event whose signature is missing or
 * wrong is dropped, logged (a WARNING naming its Kafka key and type, never its content) and counted in
 * {@code dfm_events_rejected_total{topic,reason}}. Created at start-up, so that start-up fails when {@code DFM_EVENT_KEY}
 * is missing or malformed.
 */
@ApplicationScoped
public class EventSignatures {
    private static final Logger LOG = Logger.getLogger(EventSignatures.class);

    private final EventSigner signer;
    private final MeterRegistry registry;

    public EventSignatures(EventKeyConfig config, MeterRegistry registry) {
        this.signer = EventSigner.of(config.key(), config.previousKeys().orElse(List.of()));
        this.registry = registry;
    }

    /** Start-up creates this bean: a bad key fails here, not at the first event. */
    void atStartup(@Observes StartupEvent started) {
        // the constructor checked the keys
    }

    public String sign(String purpose, String payload) {
        return signer.sign(purpose, payload);
    }

    /**
     * What every consumer of a signed topic does first: the record as {@code type} (a sealed event type: the JSON's
     * {@code type} picks the record) when its signature holds and it can be read; else null, the record having been
     * logged and counted (a bad signature) or logged (unreadable, an unknown type), so one bad record never stops a channel.
     */
    public <T> T decode(String purpose, String payload, Optional<IncomingCloudEventMetadata> ce, Class<T> type) {
        return verified(purpose, payload, ce) ? Json.readOrWarn(payload, type) : null;
    }

    /** Whether the event may be acted on; when not, it has been logged and counted. */
    @SuppressWarnings({"rawtypes", "unchecked"})
    private boolean verified(String purpose, String payload, Optional<IncomingCloudEventMetadata> ce) {
        IncomingCloudEventMetadata<?> meta = ce.orElse(null);
        Optional<Object> extension = meta == null ? Optional.empty() : meta.getExtension(EventSigner.EXTENSION);
        String problem = signer.problem(purpose, payload, extension.map(Object::toString).orElse(null));
        if (problem == null) {
            return true;
        }
        String reason = problem.startsWith("signed with key") ? "unknown key" : problem;
        registry.counter("dfm_events_rejected_total", "topic", purpose, "reason", reason).increment();
        LOG.warnf("dropped a %s event (type %s, subject %s): %s; only dfmigrate services holding DFM_EVENT_KEY may send them",
                purpose, meta == null ? "?" : meta.getType(), meta == null ? "?" : meta.getSubject().orElse("?"), problem);
        return false;
    }
}

package io.dfmigrate.orchestrator.messaging;

import io.dfmigrate.common.event.Json;
import io.dfmigrate.common.event.StatusEvent;
import io.dfmigrate.common.messaging.EventSignatures;
import io.dfmigrate.common.secret.EventSigner;
import io.dfmigrate.orchestrator.service.StatusService;
import io.smallrye.reactive.messaging.annotations.Blocking;
import io.smallrye.reactive.messaging.ce.IncomingCloudEventMetadata;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Optional;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.jboss.logging.Logger;

/** Applies worker reports from {@code dfm.status}, in order, each at most once. */
@ApplicationScoped
public class StatusConsumer {
    private final EventSignatures signatures;
    private static final Logger LOG = Logger.getLogger(StatusConsumer.class);

    private final StatusService service;

    public StatusConsumer(StatusService service, EventSignatures signatures) {
        this.signatures = signatures;
        this.service = service;
    }

    @Incoming("status-in")
    @Blocking(ordered = true)
    public void onStatus(String json, Optional<IncomingCloudEventMetadata> ce) {
        if (!signatures.verified(EventSigner.STATUS, json, ce)) {
            return;
        }
        StatusEvent event = Json.readOrWarn(json, StatusEvent.class);
        if (event == null) {
            return;
        }
        // A transient failure (a database blip) is retried by StatusService.apply (@Retry); if it persists the exception
        // fails the channel, the health check turns DOWN and the uncommitted event is redelivered after a restart, where
        // the idempotency id keeps it from counting twice.
        try {
            service.apply(event);
        } catch (RuntimeException e) {
            LOG.errorf("status event %s could not be applied, retries exhausted: %s", event.id(), e.toString());
            throw e;
        }
    }
}

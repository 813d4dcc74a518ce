package io.dfmigrate.orchestrator.messaging;

import io.dfmigrate.common.event.Json;
import io.dfmigrate.common.event.StatusEvent;
import io.dfmigrate.orchestrator.service.StatusService;
import io.smallrye.reactive.messaging.annotations.Blocking;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.jboss.logging.Logger;

/** Applies worker reports from {@code dfm.status}, in order, each at most once. */
@ApplicationScoped
public class StatusConsumer {
    private static final Logger LOG = Logger.getLogger(StatusConsumer.class);

    private final StatusService service;

    public StatusConsumer(StatusService service) {
        this.service = service;
    }

    @Incoming("status-in")
    @Blocking(ordered = true)
    public void onStatus(String json) {
        StatusEvent event = Json.readOrWarn(json, StatusEvent.class);
        if (event == null) {
            return;
        }
        // A transient failure (optimistic-lock conflict with another replica, a database blip) is retried; if it persists
        // the exception fails the channel, the health check turns DOWN and the uncommitted event is redelivered after a
        // restart, where the idempotency id keeps it from counting twice.
        for (int attempt = 1; ; attempt++) {
            try {
                service.apply(event);
                return;
            } catch (RuntimeException e) {
                if (attempt >= 5) {
                    LOG.errorf("status event %s could not be applied after %d attempts: %s", event.id(), attempt, e.toString());
                    throw e;
                }
                LOG.warnf("status event %s: attempt %d failed (%s); retrying", event.id(), attempt, e.getClass().getSimpleName());
                try {
                    Thread.sleep(200L * attempt);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }
}

package io.dfmigrate.orchestrator.messaging;

import io.dfmigrate.common.event.StatusEvent;
import io.dfmigrate.common.messaging.EventSignatures;
import io.dfmigrate.common.secret.EventSigner;
import io.dfmigrate.orchestrator.service.lifecycle.StatusService;
import io.dfmigrate.orchestrator.service.watches.DatabaseOutages;
import io.smallrye.reactive.messaging.annotations.Blocking;
import io.smallrye.reactive.messaging.ce.IncomingCloudEventMetadata;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Optional;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.jboss.logging.Logger;

/** Applies worker reports from {@code dfm.status}, in order, each at most once. */
@ApplicationScoped
public class StatusConsumer {
    private static final Logger LOG = Logger.getLogger(StatusConsumer.class);
    /** The longest wait between two tries while the database is out. */
    private static final long MAX_BACKOFF_MILLIS = 5000;

    private final EventSignatures signatures;
    private final StatusService service;
    private final DatabaseOutages outages;

    public StatusConsumer(StatusService service, EventSignatures signatures, DatabaseOutages outages) {
        this.signatures = signatures;
        this.service = service;
        this.outages = outages;
    }

    @Incoming("status-in")
    @Blocking(ordered = true)
    public void onStatus(String json, Optional<IncomingCloudEventMetadata> ce) {
        StatusEvent event = signatures.decode(EventSigner.STATUS, json, ce, StatusEvent.class);
        if (event == null) {
            return;
        }
        // A transient failure (a database blip) is retried by StatusService.apply (@Retry). While the database is out (a
        // restart, a failover) this report, and all after it, wait here and in Kafka until it is back: never dropped, never
        // failing the channel. Any other failure that outlasts the retries fails the channel: the health check turns DOWN and
        // the uncommitted report is redelivered after a restart, where its idempotency id keeps it from counting twice.
        long backoff = 250;
        for (int attempt = 1; ; attempt++) {
            try {
                service.apply(event);
                return;
            } catch (RuntimeException e) {
                // a lost connection is the outage itself, even if the database answers again by the time it is asked
                // (found by e2e AcceptanceTest: PostgreSQL back between the refused connection and the question)
                if (!DatabaseOutages.connectionLost(e) && outages.reachable()) {
                    LOG.errorf("status event %s could not be applied, retries exhausted: %s", event.id(), e.toString());
                    throw e;
                }
                outages.failed();
                if (attempt == 1 || attempt % 20 == 0) {
                    LOG.warnf("the database is unreachable: status reports wait in Kafka until it is back (report %s, attempt %d): %s",
                            event.id(), attempt, e.toString());
                }
                try {
                    Thread.sleep(backoff);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
                backoff = Math.min(MAX_BACKOFF_MILLIS, backoff * 2);
            }
        }
    }
}

package io.dfmigrate.common.messaging;

import io.dfmigrate.common.event.StatusEvent;
import io.smallrye.reactive.messaging.MutinyEmitter;
import java.time.Duration;

/** A worker's sender of {@code dfm.status} events (keyed by migration id), waiting for the broker's acknowledgement. */
public final class StatusPublisher {
    private static final Duration ACK_TIMEOUT = Duration.ofSeconds(30);

    private final MutinyEmitter<String> emitter;
    private final String service;
    private final String instance;

    public StatusPublisher(MutinyEmitter<String> emitter, String service, String instance) {
        this.emitter = emitter;
        this.service = service;
        this.instance = instance;
    }

    /** The worker name put in events: {@code service/instance}. */
    public String worker() {
        return service + "/" + instance;
    }

    public void publish(StatusEvent event) {
        emitter.sendMessage(CloudEventMessages.of(service, event.migrationId(), event.id(), event.type(), event.migrationId(), event))
                .await().atMost(ACK_TIMEOUT);
    }
}

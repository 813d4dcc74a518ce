package io.dfmigrate.common.messaging;

import io.dfmigrate.common.event.Json;
import io.dfmigrate.common.event.StatusEvent;
import io.dfmigrate.common.secret.EventSigner;
import io.smallrye.reactive.messaging.MutinyEmitter;
import java.time.Duration;

/** A worker's sender of {@code dfm.status} events (keyed by migration id, signed), waiting for the broker's acknowledgement. */
public final class StatusPublisher {
    private static final Duration ACK_TIMEOUT = Duration.ofSeconds(30);

    private final MutinyEmitter<String> emitter;
    private final EventSignatures signatures;
    private final String service;
    private final String instance;

    public StatusPublisher(MutinyEmitter<String> emitter, EventSignatures signatures, String service, String instance) {
        this.emitter = emitter;
        this.signatures = signatures;
        this.service = service;
        this.instance = instance;
    }

    /** The worker name put in events: {@code service/instance}. */
    public String worker() {
        return service + "/" + instance;
    }

    public void publish(StatusEvent event) {
        String json = Json.write(event);
        emitter.sendMessage(CloudEventMessages.of(service, event.migrationId(), event.id(), event.type(), event.migrationId(), json,
                        signatures.sign(EventSigner.STATUS, json)))
                .await().atMost(ACK_TIMEOUT);
    }
}

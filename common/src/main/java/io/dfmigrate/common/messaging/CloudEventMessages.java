package io.dfmigrate.common.messaging;

import io.dfmigrate.common.event.EventTypes;
import io.dfmigrate.common.event.Json;
import io.dfmigrate.common.secret.EventSigner;
import io.smallrye.reactive.messaging.ce.OutgoingCloudEventMetadata;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import java.net.URI;
import java.time.ZonedDateTime;
import org.eclipse.microprofile.reactive.messaging.Message;

/**
 * Builds the Kafka messages of the event contract: JSON value, the given record key, and CloudEvents attributes
 * (binary mode: {@code ce_id}, {@code ce_type}, {@code ce_source}, {@code ce_subject}, {@code ce_time} headers).
 */
public final class CloudEventMessages {
    public static Message<String> of(String service, String key, String id, String type, String subject, Object payload) {
        return of(service, key, id, type, subject, Json.write(payload), null);
    }

    /** A message whose JSON is already written, signed when {@code signature} is not null ({@code ce_dfmsig} header). */
    public static Message<String> of(String service, String key, String id, String type, String subject, String json, String signature) {
        var ce = OutgoingCloudEventMetadata.builder()
                .withId(id)
                .withType(type)
                .withSource(URI.create(EventTypes.SOURCE_PREFIX + service))
                .withSubject(subject)
                .withTimestamp(ZonedDateTime.now())
                .withDataContentType("application/json");
        if (signature != null) {
            ce.withExtension(EventSigner.EXTENSION, signature);
        }
        return Message.of(json)
                .addMetadata(OutgoingKafkaRecordMetadata.<String>builder().withKey(key).build())
                .addMetadata(ce.build());
    }

    private CloudEventMessages() {
    }
}

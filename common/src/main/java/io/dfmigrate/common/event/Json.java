package io.dfmigrate.common.event;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.io.UncheckedIOException;
import com.fasterxml.jackson.core.type.TypeReference;

/** The one JSON codec of the event contract: ISO-8601 times, nulls omitted, unknown fields ignored (forward compatible). */
public final class Json {
    private static final System.Logger LOG = System.getLogger("io.dfmigrate.events");
    public static final ObjectMapper MAPPER = new ObjectMapper()
            .registerModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .setSerializationInclusion(JsonInclude.Include.NON_NULL);

    public static String write(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static <T> T read(String json, Class<T> type) {
        try {
            return MAPPER.readValue(json, type);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("cannot read " + type.getSimpleName() + ": " + e.getOriginalMessage(), e);
        }
    }

    /** A generic type (e.g. a map of payloads kept as JSON in the database). */
    public static <T> T read(String json, TypeReference<T> type) {
        try {
            return MAPPER.readValue(json, type);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not a valid " + type.getType().getTypeName() + ": " + e.getOriginalMessage(), e);
        }
    }

    /**
     * For consumers, with the topic's type ({@code PhaseEvent}, {@code StatusEvent}, {@code CopyBatch}, {@code ChangeEvent}):
     * the event, or null with a warning naming the type when the JSON cannot be read or its {@code type} is unknown, so one
     * bad record never stops a channel.
     */
    public static <T> T readOrWarn(String json, Class<T> type) {
        try {
            return read(json, type);
        } catch (IllegalArgumentException e) {
            LOG.log(System.Logger.Level.WARNING, "dropping an unreadable " + type.getSimpleName() + ": " + e.getMessage());
            return null;
        }
    }

    /** The {@code type} property of an event's JSON, or null when it has none or is not JSON (for topics with several record types). */
    public static String typeOf(String json) {
        try {
            var type = MAPPER.readTree(json).get("type");
            return type == null ? null : type.asText();
        } catch (JsonProcessingException e) {
            return null;
        }
    }

    private Json() {
    }
}

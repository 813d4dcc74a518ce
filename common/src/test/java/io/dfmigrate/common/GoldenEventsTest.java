package io.dfmigrate.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.databind.JsonNode;
import io.dfmigrate.common.event.AuditEvent;
import io.dfmigrate.common.event.ChangeEvent;
import io.dfmigrate.common.event.CopyBatch;
import io.dfmigrate.common.event.EventTypes;
import io.dfmigrate.common.event.Json;
import io.dfmigrate.common.event.PhaseEvent;
import io.dfmigrate.common.event.StatusEvent;
import io.dfmigrate.common.event.VerifyBatch;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.io.InputStream;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;
import java.io.File;

/**
 * The wire format cannot drift unnoticed: every event type has a golden JSON sample under {@code src/test/resources/events/}
 * (the same samples docs/events.md shows). Each is read with its topic's type, must become the record of its type, and
 * must be written back to exactly the same JSON.
 */
class GoldenEventsTest {

    static Stream<String> phaseTypes() {
        return subtypeNames(PhaseEvent.class);
    }

    static Stream<String> statusTypes() {
        return subtypeNames(StatusEvent.class);
    }

    private static Stream<String> subtypeNames(Class<?> topic) {
        return Arrays.stream(topic.getAnnotation(JsonSubTypes.class).value()).map(t -> EventTypes.nameOf(t.value()));
    }

    @ParameterizedTest
    @MethodSource("phaseTypes")
    void everyPhaseCommandKeepsItsWireFormat(String type) throws IOException {
        PhaseEvent e = roundTrip(type, PhaseEvent.class);
        assertEquals(type, e.type());
        assertEquals(type.equals(EventTypes.PHASE_RECONCILE) ? Integer.valueOf(2) : null, e.pass());
        assertEquals(type, PhaseEvent.Kind.valueOf(e.getClass().getSimpleName().toUpperCase()).type());
    }

    @ParameterizedTest
    @MethodSource("statusTypes")
    void everyStatusReportKeepsItsWireFormat(String type) throws IOException {
        StatusEvent e = roundTrip(type, StatusEvent.class);
        assertEquals(type, e.type());
        assertEquals("7c9e6679-7425-40de-944b-e07fc1f90ae7", e.migrationId());
        assertEquals(1, e.run());
    }

    @Test
    void singleTypeTopicsKeepTheirWireFormat() throws IOException {
        assertEquals(2, roundTrip(EventTypes.COPY_BATCH, CopyBatch.class).keys().size());
        assertEquals("t", roundTrip(EventTypes.VERIFY_BATCH, VerifyBatch.class).side());
        assertEquals(3, roundTrip(EventTypes.CHANGE, ChangeEvent.class).notifications());
        assertEquals("COPYING", roundTrip(EventTypes.AUDIT_TRANSITION, AuditEvent.class).toState());
        assertNull(roundTrip(EventTypes.AUDIT_ACTION, AuditEvent.class).toState());
    }

    @Test
    void theSamplesAreExactlyTheContractsTypes() {
        List<String> samples = Stream.of(new File("src/test/resources/events").list())
                .map(f -> f.replace(".json", "")).sorted().toList();
        List<String> contract = Stream.concat(Stream.concat(phaseTypes(), statusTypes()),
                Stream.of(EventTypes.COPY_BATCH, EventTypes.VERIFY_BATCH, EventTypes.CHANGE, EventTypes.AUDIT_TRANSITION, EventTypes.AUDIT_ACTION)).sorted().toList();
        assertEquals(contract, samples);
    }

    @Test
    void docsEventsListsEverySampleAsItIs() throws IOException {
        String docs = Files.readString(Path.of("../docs/events.md"));
        for (File sample : new File("src/test/resources/events").listFiles()) {
            String compact = Json.MAPPER.writeValueAsString(Json.MAPPER.readTree(sample));
            assertTrue(docs.contains("```json\n" + compact + "\n```"), "docs/events.md lacks the sample " + sample.getName()
                    + " as it is: " + compact);
        }
    }

    @Test
    void anUnknownTypeIsDroppedWithAWarningNotThrown() {
        assertNull(Json.readOrWarn("{\"type\":\"dfm.status.added-in-v9.v1\",\"id\":\"x\"}", StatusEvent.class));
        assertNull(Json.readOrWarn("{\"id\":\"no type\"}", PhaseEvent.class));
        StatusEvent.Failed f = assertInstanceOf(StatusEvent.Failed.class, Json.readOrWarn(
                "{\"type\":\"dfm.status.failed.v1\",\"addedInV2\":42,\"id\":\"i\",\"migrationId\":\"m\",\"run\":3,\"error\":\"boom\"}",
                StatusEvent.class));
        assertEquals("boom", f.error());
    }

    private static <T> T roundTrip(String type, Class<T> topic) throws IOException {
        JsonNode golden;
        try (InputStream in = GoldenEventsTest.class.getResourceAsStream("/events/" + type + ".json")) {
            assertTrue(in != null, "no golden sample events/" + type + ".json");
            golden = Json.MAPPER.readTree(in);
        }
        T event = Json.read(golden.toString(), topic);
        String written = Json.write(event);
        assertFalse(written.contains("null"), written);
        assertEquals(golden, Json.MAPPER.readTree(written), "wire format of " + type + " changed");
        return event;
    }
}

package io.dfmigrate.orchestrator;

import static io.dfmigrate.orchestrator.TestSupport.awaitRecord;
import static io.dfmigrate.orchestrator.TestSupport.consumer;
import static io.dfmigrate.orchestrator.TestSupport.producer;
import static io.dfmigrate.orchestrator.TestSupport.replicating;
import static io.dfmigrate.orchestrator.TestSupport.send;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dfmigrate.common.Topics;
import io.dfmigrate.common.event.EventTypes;
import io.dfmigrate.common.event.Json;
import io.dfmigrate.common.event.PhaseEvent;
import io.dfmigrate.common.event.RunKey;
import io.dfmigrate.common.event.StatusEvent;
import io.dfmigrate.localstack.RedisServer;
import io.dfmigrate.orchestrator.service.target.EndpointKeeper;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import jakarta.inject.Inject;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Test;

/**
 * With {@code options.overwrite} the target may hold keys of its own: they are recorded at the first start (real
 * redis-servers, the workers played over real Kafka) and the ones the source does not have are left out of the key
 * counts of the drift watch and of the cutover, so neither reports a drift or a mismatch for them.
 */
@QuarkusTest
@QuarkusTestResource(value = InfrastructureResource.class, restrictToAnnotatedClass = true)
class TargetOwnKeysTest {
    @Inject
    EndpointKeeper keeper;

    @Test
    void theTargetsOwnKeysAreRecordedAtStartAndLeftOutOfTheDriftAndCutoverCounts() throws Exception {
        try (RedisServer source = RedisServer.start(); RedisServer target = RedisServer.start()) {
            source.cli("SET", "a", "1");
            source.cli("SET", "b", "2");
            source.cli("SET", "shared", "from-source");
            target.cli("SET", "own:1", "x");
            target.cli("SET", "own:2", "y");
            target.cli("SET", "own:ttl", "z", "EX", "100000");
            target.cli("SET", "shared", "the-targets-own");
            String id = given().contentType(ContentType.JSON).body(TestSupport.body("own-keys", source.uri(), target.uri(),
                    "{\"overwrite\":true,\"guardTarget\":false}")).post("/api/migrations").then().statusCode(201).extract().path("id");
            try (KafkaConsumer<String, String> phases = consumer(); KafkaProducer<String, String> producer = producer()) {
                phases.subscribe(List.of(Topics.PHASES));
                replicating(id, producer, "r", null);
                given().get("/api/migrations/" + id).then().body("targetOwnKeys", equalTo(4));
                given().get("/api/migrations/" + id + "/audit").then().body("action", hasItem("target-own-keys"));

                // what the copy writes: the source's keys, "shared" over the target's own value
                target.cli("SET", "a", "1");
                target.cli("SET", "b", "2");
                target.cli("SET", "shared", "from-source");
                assertNull(keeper.checkDrift(UUID.fromString(id)), "own:1 and own:2 are the target's, not a drift");
                target.cli("SET", "stray", "left by a missed delete");
                String drift = keeper.checkDrift(UUID.fromString(id));
                assertNotNull(drift, "a key neither the source's nor the target's own is a drift");
                assertTrue(drift.contains("db0: source 3, target 4 keys without TTL (and 2 of its own)"), drift);
                target.cli("DEL", "stray");
                awaitRecord(phases, id, EventTypes.PHASE_RECONCILE);
                send(producer, StatusEvent.scanCompleted(new RunKey(id, 1), "c", 0, 0, 1));
                TestSupport.await(() -> Boolean.FALSE.equals(given().get("/api/migrations/" + id).then().extract().path("replication.reconciling")),
                        "the reconciliation ended");

                given().contentType(ContentType.JSON).body("{\"cutover\":true}").post("/api/migrations/" + id + "/complete").then().statusCode(202);
                awaitRecord(phases, id, EventTypes.PHASE_CUTOVER);
                send(producer, StatusEvent.cutoverPaused(new RunKey(id, 1), "r", new StatusEvent.Cutover(0L, null, null, "paused")));
                PhaseEvent.Complete complete = (PhaseEvent.Complete) Json.read(awaitRecord(phases, id, EventTypes.PHASE_COMPLETE).value(),
                        PhaseEvent.class);
                // own:ttl has a TTL (not in the exact count), shared is the source's now
                assertEquals(Map.of(0, 2L), complete.targetOwnKeys());
                given().get("/api/migrations/" + id + "/audit").then().body("action", hasItem("cutover-own-keys"));
                send(producer, StatusEvent.cutoverDone(new RunKey(id, 1), "r", new StatusEvent.Cutover(null, 40L, true, "key counts equal")));
                TestSupport.awaitState(id, "COMPLETED");
                given().get("/api/migrations/" + id).then().body("cutover.state", equalTo("DONE"))
                        .body("cutover.detail", containsString("key counts equal"));
            }
        }
    }
}

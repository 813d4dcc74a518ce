package io.dfmigrate.orchestrator;

import static io.dfmigrate.orchestrator.TestSupport.*;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.dfmigrate.common.Topics;
import io.dfmigrate.common.event.Json;
import io.dfmigrate.common.event.RunKey;
import io.dfmigrate.common.event.Severity;
import io.dfmigrate.common.event.StatusEvent;
import io.dfmigrate.common.event.ValidationCheck;
import io.dfmigrate.common.secret.SecretBox;
import io.dfmigrate.orchestrator.persistence.Migration;
import io.dfmigrate.orchestrator.persistence.OutboxEvent;
import io.dfmigrate.orchestrator.service.Resealing;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import jakarta.inject.Inject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Test;

@QuarkusTest
@QuarkusTestResource(value = InfrastructureResource.class, restrictToAnnotatedClass = true)
class MigrationApiTest {

    @Inject
    SecretBox box;


    @Test
    void createMasksSecretsInTheResponseAndSealsThemAtRest() {
        String response = given().contentType(ContentType.JSON).body(body("orders", SOURCE, TARGET, "{\"overwrite\":true,\"dbs\":[0,2]}"))
                .post("/api/migrations")
                .then().statusCode(201)
                .header("Location", containsString("/api/migrations/"))
                .body("state", equalTo("CREATED"))
                .body("source.uri", equalTo("redis://app:****@127.0.0.1:7001"))
                .body("target.uri", equalTo("redis://:****@127.0.0.1:7002/0"))
                .body("options.overwrite", equalTo(true))
                .body("options.onKeyError", equalTo("skip"))
                .body("allowedActions", equalTo(List.of("validate")))
                .extract().asString();
        assertFalse(response.contains("s3cr"), response);
        assertFalse(response.contains("t4rget"), response);
        String id = Json.read(response, JsonNode.class).get("id").asText();
        Migration row = QuarkusTransaction.requiringNew().call(() -> Migration.findById(UUID.fromString(id)));
        assertFalse(row.sourceSealed.contains("s3cr"), "sealed at rest");
        assertEquals("redis://app:s3cr%2Ft@127.0.0.1:7001", box.open(row.sourceSealed, SecretBox.context(id, SecretBox.SOURCE)));
        assertTrue(row.sourceSealed.startsWith("v2:" + box.keyId() + ":"), "the envelope names the key that sealed it");
        // bound to its migration and role: neither usable as this migration's target nor as another migration's source
        assertThrows(SecretBox.SecretException.class, () -> box.open(row.sourceSealed, SecretBox.context(id, SecretBox.TARGET)));
        assertThrows(SecretBox.SecretException.class,
                () -> box.open(row.sourceSealed, SecretBox.context(UUID.randomUUID(), SecretBox.SOURCE)));
    }

    @Test
    void aSentinelSourceIsKeptWithItsMasterNameAndTheSentinelsPasswordSealedAndMasked() {
        String response = given().contentType(ContentType.JSON)
                .body(endpoints("{\"uri\":\"redis://app:s3cr@127.0.0.1:26379\",\"topology\":\"sentinel\",\"masterName\":\"orders\","
                        + "\"sentinelPassword\":\"sent1nel\"}", "{\"uri\":\"" + TARGET + "\"}"))
                .post("/api/migrations")
                .then().statusCode(201)
                .body("source.topology", equalTo("sentinel"))
                .body("source.masterName", equalTo("orders"))
                .body("source.uri", equalTo("redis://app:****@127.0.0.1:26379?sentinel-master=orders&sentinel-password=****"))
                .body("target.topology", equalTo("standalone"))
                .extract().asString();
        assertFalse(response.contains("sent1nel"), response);
        given().contentType(ContentType.JSON)
                .body(endpoints("{\"uri\":\"redis://app:s3cr@127.0.0.1:7005\",\"topology\":\"cluster\"}", "{\"uri\":\"" + TARGET + "\"}"))
                .post("/api/migrations")
                .then().statusCode(201)
                .body("source.topology", equalTo("cluster"))
                .body("source.masterName", equalTo(null))
                .body("source.uri", equalTo("redis://app:****@127.0.0.1:7005?cluster=yes"));
        String id = Json.read(response, JsonNode.class).get("id").asText();
        Migration row = QuarkusTransaction.requiringNew().call(() -> Migration.findById(UUID.fromString(id)));
        assertFalse(row.sourceSealed.contains("sent1nel"), "sealed at rest");
        assertEquals("redis://app:s3cr@127.0.0.1:26379?sentinel-master=orders&sentinel-password=sent1nel",
                box.open(row.sourceSealed, SecretBox.context(id, SecretBox.SOURCE)));
    }

    /** A create request with the two endpoints given as JSON objects. */
    private static String endpoints(String source, String target) {
        return "{\"name\":\"a\",\"source\":" + source + ",\"target\":" + (target.startsWith("{") ? target : "{\"uri\":\"" + target + "\"}") + "}";
    }

    @Inject
    Resealing resealing;

    /** {@link #SOURCE} as dfmigrate sealed it before key ids and contexts, with the test profile's key (no associated data). */
    static final String LEGACY_SOURCE = "v1:vgE4qSSI2XaIEj/QA4onh9vqw0l+eQzogO/CSOKZry2a2kdwheKJSh3raIIPFwg9Fc4kTiJSLx14h+sFcen1";

    @Test
    void credentialsInAnOlderEnvelopeAreSealedAgainWithTheCurrentKeyAndContext() {
        UUID id = UUID.fromString(create("legacy"));
        QuarkusTransaction.requiringNew().run(() -> Migration.<Migration>findById(id).sourceSealed = LEGACY_SOURCE);

        assertTrue(resealing.resealAll() >= 1, "found by the start-up query");
        Migration row = QuarkusTransaction.requiringNew().call(() -> Migration.findById(id));
        assertTrue(box.isCurrent(row.sourceSealed), row.sourceSealed);
        assertEquals(SOURCE, box.open(row.sourceSealed, SecretBox.context(id, SecretBox.SOURCE)));
        assertFalse(QuarkusTransaction.requiringNew().call(() -> resealing.reseal(id)), "nothing left to re-seal");
    }

    @Test
    void badInputIsA400ProblemNamingTheField() {
        record Case(String body, String field) {
        }
        List<Case> cases = List.of(
                new Case(body("", SOURCE, TARGET, null), "name"),
                new Case(body("x".repeat(201), SOURCE, TARGET, null), "name"),
                new Case(body("a", "http://127.0.0.1:1", TARGET, null), "source.uri"),
                new Case(body("a", SOURCE, "redis://127.0.0.1:99999", null), "target.uri"),
                new Case(body("a", SOURCE, "redis://127.0.0.1:7001", null), "target.uri"),
                new Case(body("a", SOURCE, TARGET, "{\"overwrit\":true}"), "options.overwrit"),
                new Case(body("a", SOURCE, TARGET, "{\"overwrite\":\"perhaps\"}"), "options.overwrite"),
                new Case(body("a", SOURCE, TARGET, "{\"onKeyError\":\"explode\"}"), "options.onKeyError"),
                new Case(body("a", SOURCE, TARGET, "{\"dbs\":[-1]}"), "options.dbs[0]"),
                new Case(body("a", SOURCE, TARGET, "{\"dbs\":\"all\"}"), "options.dbs"),
                new Case(body("a", SOURCE, TARGET, "{\"keyPattern\":\"*a*b*c*d*e*f*g*h*i\"}"), "options.keyPattern"),
                new Case(body("a", SOURCE, TARGET, "{\"migrateUsers\":true,\"guardTarget\":false}"), "options.migrateUsers"),
                new Case(body("a", SOURCE, TARGET, "{\"migrateConfig\":\"yes\"}"), "options.migrateConfig"),
                new Case(body("a", SOURCE, TARGET, "{\"migrateConfig\":[\"timeout\",\"dir\"]}"), "options.migrateConfig[1]"),
                new Case("{\"name\":\"a\",\"target\":{\"uri\":\"" + TARGET + "\"}}", "source"),
                new Case("{\"name\":\"a\",\"source\":{\"uri\":\"rediss://127.0.0.1:7001\",\"caPem\":\"not a certificate\"},"
                        + "\"target\":{\"uri\":\"" + TARGET + "\"}}", "source.caPem"),
                new Case("{\"name\":\"a\",\"source\":{\"uri\":\"" + SOURCE + "\"},\"target\":{\"uri\":\"" + TARGET
                        + "\",\"caPem\":\"-----BEGIN CERTIFICATE-----\"}}", "target.caPem"),
                new Case(endpoints("{\"uri\":\"redis://127.0.0.1:26379\",\"topology\":\"sentinel\"}", TARGET), "source.masterName"),
                new Case(endpoints("{\"uri\":\"redis://127.0.0.1:7001\",\"masterName\":\"orders\"}", TARGET), "source.masterName"),
                new Case(endpoints("{\"uri\":\"redis://127.0.0.1:26379\",\"topology\":\"sentinel\",\"masterName\":\"a b\"}", TARGET),
                        "source.masterName"),
                new Case(endpoints("{\"uri\":\"redis://127.0.0.1:7001/3\",\"topology\":\"cluster\"}", TARGET), "source.uri"),
                new Case(endpoints("{\"uri\":\"" + SOURCE + "\"}", "{\"uri\":\"redis://127.0.0.1:7009\",\"topology\":\"cluster\"}"),
                        "target.topology"),
                new Case(endpoints("{\"uri\":\"redis://127.0.0.1:7001\",\"topology\":\"ring\"}", TARGET), "source.topology"),
                new Case(endpoints("{\"uri\":\"" + SOURCE + "\"}",
                        "{\"uri\":\"redis://127.0.0.1:26379\",\"topology\":\"sentinel\",\"masterName\":\"orders\"}"), "target.topology"),
                new Case(body("a", "rediss://127.0.0.1:7001?sni=10.0.0.9", TARGET, null), "source.uri"),
                new Case(body("a", "redis://127.0.0.1:7001?sni=cache.internal", TARGET, null), "source.uri"),
                new Case("{\"name\": \"a\", ", "body"),
                new Case("[]", "body"),
                new Case("", "body"));
        for (Case c : cases) {
            given().contentType(ContentType.JSON).body(c.body()).post("/api/migrations")
                    .then().statusCode(400)
                    .contentType("application/problem+json")
                    .body("status", equalTo(400))
                    .body("errors.field", hasItem(c.field()))
                    .body(not(containsString("s3cr")));
        }
    }

    @Test
    void unknownIdIs404AndIllegalActionIs409WithAllowedActions() {
        given().get("/api/migrations/" + UUID.randomUUID()).then().statusCode(404).contentType("application/problem+json");
        given().get("/api/migrations/not-a-uuid").then().statusCode(404).contentType("application/problem+json");
        given().post("/api/migrations/" + UUID.randomUUID() + "/validate").then().statusCode(404);
        String id = create("conflict");
        given().contentType(ContentType.JSON).body("{}").post("/api/migrations/" + id + "/start")
                .then().statusCode(409).contentType("application/problem+json")
                .body("state", equalTo("CREATED"))
                .body("allowedActions", equalTo(List.of("validate")));
        given().contentType(ContentType.JSON).body("{}").post("/api/migrations/" + id + "/complete").then().statusCode(409);
    }

    @Test
    void warningsNeedAcknowledgementAndStopThenRestartStartsANewRun() throws Exception {
        String id = create("warnings");
        try (KafkaProducer<String, String> producer = producer()) {
            given().post("/api/migrations/" + id + "/validate").then().statusCode(202);
            send(producer, StatusEvent.validation(new RunKey(id, 1), "validator-test",
                    List.of(new ValidationCheck("acl.users", Severity.WARNING, "2 ACL users will not be migrated", "recreate them"))));
            awaitState(id, "VALIDATED");
            given().contentType(ContentType.JSON).body("{}").post("/api/migrations/" + id + "/start")
                    .then().statusCode(409).body("detail", containsString("acknowledgeWarnings"));
            given().contentType(ContentType.JSON).body("{\"acknowledgeWarnings\":true}").post("/api/migrations/" + id + "/start")
                    .then().statusCode(202).body("state", equalTo("COPYING"));
            send(producer, StatusEvent.failed(new RunKey(id, 1), "copier-test", "copy", "target 127.0.0.1:7002: connection refused"));
            awaitState(id, "FAILED");
            given().get("/api/migrations/" + id).then().body("error", startsWith("target 127.0.0.1:7002"));
            given().post("/api/migrations/" + id + "/restart").then().statusCode(202).body("state", equalTo("VALIDATING"))
                    .body("run", equalTo(2)).body("error", equalTo(null));
            given().post("/api/migrations/" + id + "/stop").then().statusCode(202).body("state", equalTo("STOPPED"));
        }
    }

    @Test
    void everyActionIsRefusedWhereTheStateMachineDoesNotAllowIt() throws Exception {
        List<String> all = List.of("validate", "start", "stop", "complete", "restart", "keep-replicating", "verify");
        try (KafkaProducer<String, String> producer = producer()) {
            String id = create("matrix");
            assertOnly(id, "CREATED", all, List.of("validate"));
            given().post("/api/migrations/" + id + "/validate").then().statusCode(202);
            assertOnly(id, "VALIDATING", all, List.of("stop"));
            send(producer, StatusEvent.validation(new RunKey(id, 1), "v", List.of(new ValidationCheck("x", Severity.ERROR, "bad", "fix"))));
            awaitState(id, "VALIDATION_FAILED");
            assertOnly(id, "VALIDATION_FAILED", all, List.of("restart", "validate"));
            given().post("/api/migrations/" + id + "/restart").then().statusCode(202).body("run", equalTo(2));
            send(producer, StatusEvent.validation(new RunKey(id, 2), "v", List.of()));
            awaitState(id, "VALIDATED");
            assertOnly(id, "VALIDATED", all, List.of("start", "validate"));
            given().post("/api/migrations/" + id + "/validate").then().statusCode(202).body("run", equalTo(3));
            send(producer, StatusEvent.validation(new RunKey(id, 3), "v", List.of()));
            awaitState(id, "VALIDATED");
            given().post("/api/migrations/" + id + "/start").then().statusCode(202);
            assertOnly(id, "COPYING", all, List.of("stop"));
            send(producer, StatusEvent.scanCompleted(new RunKey(id, 3), "c", 0, 0, null));
            awaitState(id, "REPLICATING");
            assertOnly(id, "REPLICATING", all, List.of("complete", "keep-replicating", "stop", "verify"));
            given().post("/api/migrations/" + id + "/keep-replicating").then().statusCode(202).body("state", equalTo("REPLICATING"));
            given().post("/api/migrations/" + id + "/stop").then().statusCode(202).body("state", equalTo("STOPPED"));
            assertOnly(id, "STOPPED", all, List.of("restart", "verify"));
            given().post("/api/migrations/" + id + "/restart").then().statusCode(202).body("state", equalTo("VALIDATING"));
            given().post("/api/migrations/" + id + "/stop").then().statusCode(202).body("state", equalTo("STOPPED"));

            String done = create("completed");
            given().post("/api/migrations/" + done + "/validate").then().statusCode(202);
            send(producer, StatusEvent.validation(new RunKey(done, 1), "v", List.of()));
            awaitState(done, "VALIDATED");
            given().post("/api/migrations/" + done + "/start").then().statusCode(202);
            send(producer, StatusEvent.failed(new RunKey(done, 1), "c", "copy", "target gone"));
            awaitState(done, "FAILED");
            assertOnly(done, "FAILED", all, List.of("restart"));
            given().post("/api/migrations/" + done + "/restart").then().statusCode(202);
            send(producer, StatusEvent.validation(new RunKey(done, 2), "v", List.of()));
            awaitState(done, "VALIDATED");
            given().post("/api/migrations/" + done + "/start").then().statusCode(202);
            send(producer, StatusEvent.scanCompleted(new RunKey(done, 2), "c", 0, 0, null));
            awaitState(done, "REPLICATING");
            given().contentType(ContentType.JSON).body("{\"cutover\":false}").post("/api/migrations/" + done + "/complete")
                    .then().statusCode(202).body("state", equalTo("COMPLETED"));
            assertOnly(done, "COMPLETED", all, List.of("verify"));
            given().get("/api/migrations/" + id + "/audit").then()
                    .body("action", hasItem("keep-replicating"));
        }
    }

    @Test
    void aMigrationIsEditedBeforeItsCopyAndTheCheckMustRunAgain() throws Exception {
        String id = create("to-edit");
        String patch = "/api/migrations/" + id;
        given().contentType(ContentType.JSON).body("{}").patch(patch).then().statusCode(400).body("errors[0].field", equalTo("body"));
        given().contentType(ContentType.JSON).body("{\"target\":{\"uri\":\"redis://127.0.0.1:7001\"}}").patch(patch)
                .then().statusCode(400).contentType("application/problem+json").body("errors[0].field", equalTo("target.uri"))
                .body("errors[0].message", containsString("same server as the source"));
        given().contentType(ContentType.JSON).body("{\"source\":{\"uri\":\"http://x\"},\"options\":{\"onKeyError\":\"maybe\"}}")
                .patch(patch).then().statusCode(400).body("errors.field", equalTo(List.of("source.uri", "options.onKeyError")));
        try (KafkaProducer<String, String> producer = producer()) {
            given().post(patch + "/validate").then().statusCode(202);
            send(producer, StatusEvent.validation(new RunKey(id, 1), "v",
                    List.of(new ValidationCheck("source.auth", Severity.ERROR, "WRONGPASS", "give the right password"))));
            awaitState(id, "VALIDATION_FAILED");
        }
        String edited = given().contentType(ContentType.JSON)
                .body("{\"name\":\"edited\",\"source\":{\"uri\":\"redis://app:n3wpass@127.0.0.1:7003\"},\"options\":{\"guardTarget\":false,\"dbs\":[1]}}")
                .patch(patch).then().statusCode(200)
                .body("name", equalTo("edited")).body("state", equalTo("VALIDATION_FAILED"))
                .body("source.uri", equalTo("redis://app:****@127.0.0.1:7003"))
                .body("target.uri", equalTo("redis://:****@127.0.0.1:7002/0"))
                .body("options.dbs", equalTo(List.of(1))).body("options.onKeyError", equalTo("skip"))
                .body("validation", equalTo(null)).extract().asString();
        assertFalse(edited.contains("n3wpass"), edited);
        Migration row = QuarkusTransaction.requiringNew().call(() -> Migration.findById(UUID.fromString(id)));
        assertEquals("redis://app:n3wpass@127.0.0.1:7003", box.open(row.sourceSealed, SecretBox.context(id, SecretBox.SOURCE)));
        String audit = given().get(patch + "/audit").then().statusCode(200).body("action", hasItem("edit")).extract().asString();
        assertTrue(audit.contains("source redis://app:****@127.0.0.1:7003"), audit);
        assertFalse(audit.contains("n3wpass"), audit);

        given().post(patch + "/stop").then().statusCode(409); // VALIDATION_FAILED: nothing to stop
        given().post(patch + "/validate").then().statusCode(202);
        given().contentType(ContentType.JSON).body("{\"name\":\"late\"}").patch(patch).then().statusCode(409)
                .contentType("application/problem+json").body("state", equalTo("VALIDATING"));
        given().contentType(ContentType.JSON).body("{\"name\":\"x\"}").patch("/api/migrations/" + UUID.randomUUID()).then().statusCode(404);
    }

    @Test
    void theListIsFilteredByState() {
        String created = create("filter-created");
        String stopped = create("filter-stopped");
        given().post("/api/migrations/" + stopped + "/validate").then().statusCode(202);
        given().post("/api/migrations/" + stopped + "/stop").then().statusCode(202);
        List<String> ids = given().get("/api/migrations?state=stopped&limit=500").then().statusCode(200).extract().path("id");
        assertTrue(ids.contains(stopped) && !ids.contains(created), ids.toString());
        given().get("/api/migrations?state=STOPPED&limit=500").then().body("state", not(hasItem("CREATED")));
        List<String> both = given().get("/api/migrations?state=CREATED,STOPPED&limit=500").then().statusCode(200).extract().path("id");
        assertTrue(both.contains(stopped) && both.contains(created), both.toString());
        int total = Integer.parseInt(given().get("/api/migrations?state=STOPPED").then().extract().header("X-Total-Count"));
        assertTrue(total >= 1 && total < Integer.parseInt(given().get("/api/migrations").then().extract().header("X-Total-Count")));
        given().get("/api/migrations?state=RUNNING").then().statusCode(400).contentType("application/problem+json")
                .body("errors[0].field", equalTo("state"));
    }

    @Test
    void anEndedMigrationCanBeDeletedWithItsCredentialsWhileItsAuditTrailStays() {
        String id = create("deleted");
        given().post("/api/migrations/" + id + "/validate").then().statusCode(202);
        given().delete("/api/migrations/" + id).then().statusCode(409).contentType("application/problem+json")
                .body("state", equalTo("VALIDATING"));
        given().post("/api/migrations/" + id + "/stop").then().statusCode(202);
        given().delete("/api/migrations/" + id).then().statusCode(204);
        given().get("/api/migrations/" + id).then().statusCode(404);
        QuarkusTransaction.requiringNew().run(() -> assertEquals(null, Migration.findById(UUID.fromString(id)), "row and sealed URIs gone"));
        given().get("/api/migrations/" + id + "/audit").then().statusCode(200)
                .body("action", equalTo(List.of("create", "validate", "stop", "delete")));
        given().delete("/api/migrations/" + id).then().statusCode(404);
        given().delete("/api/migrations/" + UUID.randomUUID() + "/audit").then().statusCode(405);
    }

    @Test
    void auditTrailReachesAPlainKafkaConsumerAsCloudEvents() throws Exception {
        try (KafkaConsumer<String, String> audit = consumer(); KafkaProducer<String, String> producer = producer()) {
            audit.subscribe(List.of(Topics.AUDIT));
            String id = given().contentType(ContentType.JSON).header("X-DFM-Actor", "alice@example.com")
                    .body(body("audited", SOURCE, TARGET, null)).post("/api/migrations").then().statusCode(201).extract().path("id");
            given().post("/api/migrations/" + id + "/validate").then().statusCode(202);
            send(producer, StatusEvent.validation(new RunKey(id, 1), "validator/v1", List.of()));
            awaitState(id, "VALIDATED");
            List<ConsumerRecord<String, String>> records = new ArrayList<>();
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (records.size() < 3 && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> r : audit.poll(Duration.ofMillis(200))) {
                    if (id.equals(r.key())) {
                        records.add(r);
                    }
                }
            }
            assertEquals(3, records.size());
            List<String> toStates = new ArrayList<>();
            for (ConsumerRecord<String, String> r : records) {
                var json = Json.read(r.value(), JsonNode.class);
                assertEquals(json.get("id").asText(), header(r, "ce_id"));
                assertEquals(json.get("type").asText(), header(r, "ce_type"));
                assertEquals(id, header(r, "ce_subject"));
                assertEquals("urn:dfmigrate:orchestrator", header(r, "ce_source"));
                assertNotNull(header(r, "ce_time"));
                assertEquals(json.get("actor").asText(), header(r, "ce_actor"));
                assertFalse(r.value().contains("s3cr") || r.value().contains("t4rget"), r.value());
                toStates.add(json.get("toState").asText());
            }
            assertEquals(List.of("CREATED", "VALIDATING", "VALIDATED"), toStates);
            var first = Json.read(records.get(0).value(), JsonNode.class);
            assertEquals("operator:alice@example.com", first.get("actor").asText());
            assertEquals("validator/v1", Json.read(records.get(2).value(), com.fasterxml.jackson.databind.JsonNode.class)
                    .get("actor").asText());
            // the outbox is drained once the broker acknowledged
            await(() -> QuarkusTransaction.requiringNew()
                    .call(() -> OutboxEvent.count()) == 0, "empty outbox");
        }
    }

    static String header(ConsumerRecord<String, String> r, String name) {
        var h = r.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    @Test
    void serverSentEventsFollowEveryChange() throws Exception {
        String id = create("streamed");
        HttpClient http = HttpClient.newHttpClient();
        var request = HttpRequest.newBuilder(URI.create(
                "http://localhost:" + io.restassured.RestAssured.port + "/api/migrations/" + id + "/events")).GET().build();
        var response = http.send(request, HttpResponse.BodyHandlers.ofLines());
        assertEquals(200, response.statusCode());
        assertTrue(response.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream"));
        List<String> states = new CopyOnWriteArrayList<>();
        Thread reader = Thread.ofVirtual().start(() -> response.body()
                .filter(l -> l.startsWith("data:"))
                .map(l -> Json.read(l.substring(5), JsonNode.class).get("state").asText())
                .forEach(states::add));
        await(() -> states.contains("CREATED"), "first event");
        try (KafkaProducer<String, String> producer = producer()) {
            given().post("/api/migrations/" + id + "/validate").then().statusCode(202);
            await(() -> states.contains("VALIDATING"), "VALIDATING event");
            send(producer, StatusEvent.validation(new RunKey(id, 1), "v", List.of()));
            await(() -> states.contains("VALIDATED"), "VALIDATED event");
        }
        assertEquals(List.of("CREATED", "VALIDATING", "VALIDATED"), List.copyOf(states));
        reader.interrupt();
        given().get("/api/migrations/" + UUID.randomUUID() + "/events").then().statusCode(404);
    }

    @Test
    void noBodyReachesA500() {
        String id = create("fuzz");
        List<String> bodies = List.of("null", "0", "\"x\"", "{}", "[[[[[]]]]]", "{\"name\":{}}", "{\"name\":[1,2]}",
                "{\"name\":\"a\",\"source\":\"redis://h\",\"target\":{\"uri\":\"redis://h2\"}}",
                "{\"name\":\"a\",\"source\":{\"uri\":42},\"target\":{\"uri\":null}}",
                "{\"name\":\"a\",\"source\":{\"uri\":\"redis://u:p@h:1/x\"},\"target\":{\"uri\":\"rediss://h:2?verify=maybe\"}}",
                "{\"name\":\"\\u0000\",\"source\":{\"uri\":\"redis://%zz@h\"},\"target\":{\"uri\":\"redis://[::1\"}}",
                "{\"name\":\"a\",\"options\":{\"maxSourceOpsPerSecond\":1e99,\"dbs\":[1.5]}}",
                "{\"acknowledgeWarnings\":\"yes\"}", "{\"cutover\":[]}", "{\"unknown\":1}",
                "{\"name\":\"" + "n".repeat(70_000) + "\"}", "\u00ff\u00fe", "{\"name\":\"a\"");
        for (String b : bodies) {
            for (String path : List.of("/api/migrations", "/api/migrations/" + id + "/start", "/api/migrations/" + id + "/complete",
                    "/api/migrations/" + id + "/validate")) {
                int status = given().contentType(ContentType.JSON).body(b).post(path).then().extract().statusCode();
                assertTrue(status >= 200 && status < 500, path + " with " + b.substring(0, Math.min(60, b.length())) + " gave " + status);
            }
        }
        given().contentType(ContentType.JSON).body("{\"name\":\"" + "n".repeat(70_000) + "\"}").post("/api/migrations")
                .then().statusCode(413).contentType("application/problem+json");
        given().contentType("text/plain").body("hello").post("/api/migrations").then().statusCode(415)
                .contentType("application/problem+json");
    }

    static void assertOnly(String id, String state, List<String> all, List<String> allowed) {
        given().get("/api/migrations/" + id).then().body("state", equalTo(state)).body("allowedActions", equalTo(allowed));
        for (String action : all) {
            if (!allowed.contains(action)) {
                given().post("/api/migrations/" + id + "/" + action).then().statusCode(409)
                        .contentType("application/problem+json").body("state", equalTo(state)).body("allowedActions", equalTo(allowed));
            }
        }
        given().get("/api/migrations/" + id).then().body("state", equalTo(state));
    }
}

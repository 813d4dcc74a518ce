package io.dfmigrate.orchestrator;

import static io.dfmigrate.orchestrator.TestSupport.awaitState;
import static io.dfmigrate.orchestrator.TestSupport.create;
import static io.dfmigrate.orchestrator.TestSupport.producer;
import static io.dfmigrate.orchestrator.TestSupport.send;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dfmigrate.common.event.RunKey;
import io.dfmigrate.common.event.StatusEvent;
import io.dfmigrate.localstack.RedisServer;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.RestAssured;
import io.restassured.http.ContentType;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Test;

/** What one caller can take of the orchestrator: live migrations, event streams, list pages. */
@QuarkusTest
@TestProfile(LimitsTest.Profile.class)
@QuarkusTestResource(value = InfrastructureResource.class, restrictToAnnotatedClass = true)
class LimitsTest {
    public static class Profile implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("dfm.orchestrator.max-live-migrations", "1", "dfm.orchestrator.sse-max-per-migration", "1",
                    "dfm.orchestrator.target-own-keys-limit", "5");
        }
    }

    static void validate(String id, KafkaProducer<String, String> producer) throws Exception {
        given().post("/api/migrations/" + id + "/validate").then().statusCode(202);
        send(producer, StatusEvent.validation(new RunKey(id, 1), "v", List.of()));
        awaitState(id, "VALIDATED");
    }

    @Test
    void aStartBeyondTheLiveMigrationCapIsRefusedWithTheReason() throws Exception {
        String a = create("live-a");
        String b = create("live-b");
        try (KafkaProducer<String, String> producer = producer()) {
            validate(a, producer);
            validate(b, producer);
            given().post("/api/migrations/" + a + "/start").then().statusCode(202);
            given().post("/api/migrations/" + b + "/start").then().statusCode(409).contentType("application/problem+json")
                    .body("detail", containsString("DFM_ORCHESTRATOR_MAX_LIVE_MIGRATIONS")).body("state", equalTo("VALIDATED"));
            given().post("/api/migrations/" + a + "/stop").then().statusCode(202);
            given().post("/api/migrations/" + b + "/start").then().statusCode(202);
            given().post("/api/migrations/" + b + "/stop").then().statusCode(202);
        }
    }

    @Test
    void aTargetWithMoreKeysOfItsOwnThanCanBeRecordedIsRefusedAtStartWithTheRemedy() throws Exception {
        try (RedisServer source = RedisServer.start(); RedisServer target = RedisServer.start()) {
            for (int i = 0; i < 6; i++) {
                target.cli("SET", "own:" + i, "x");
            }
            String id = given().contentType(ContentType.JSON).body(TestSupport.body("own-limit", source.uri(), target.uri(),
                    "{\"overwrite\":true,\"guardTarget\":false}")).post("/api/migrations").then().statusCode(201).extract().path("id");
            try (KafkaProducer<String, String> producer = producer()) {
                validate(id, producer);
                given().post("/api/migrations/" + id + "/start").then().statusCode(409).contentType("application/problem+json")
                        .body("detail", containsString("more than 5 key(s) of its own"))
                        .body("detail", containsString("DFM_ORCHESTRATOR_TARGET_OWN_KEYS_LIMIT")).body("state", equalTo("VALIDATED"));
                target.cli("DEL", "own:0");
                given().post("/api/migrations/" + id + "/start").then().statusCode(202).body("targetOwnKeys", equalTo(5));
                given().post("/api/migrations/" + id + "/stop").then().statusCode(202);
            }
        }
    }

    @Test
    void eventStreamsAreCappedPerMigrationAndEndWhenTheRunEnds() throws Exception {
        String id = create("streams");
        HttpClient http = HttpClient.newHttpClient();
        URI events = URI.create("http://localhost:" + RestAssured.port + "/api/migrations/" + id + "/events");
        CompletableFuture<HttpResponse<Stream<String>>> first = http.sendAsync(HttpRequest.newBuilder(events).GET().build(),
                HttpResponse.BodyHandlers.ofLines());
        assertEquals(200, first.get().statusCode());
        HttpResponse<String> second = http.send(HttpRequest.newBuilder(events).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(429, second.statusCode(), second.body());
        assertTrue(second.body().contains("too many event streams"), second.body());
        given().post("/api/migrations/" + id + "/validate").then().statusCode(202);
        given().post("/api/migrations/" + id + "/stop").then().statusCode(202);
        // the stream ends by itself at STOPPED, and its place is free again
        CompletableFuture<Long> lines = CompletableFuture.supplyAsync(() -> {
            try {
                return first.get().body().count();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        assertTrue(lines.get(30, TimeUnit.SECONDS) > 0);
        HttpResponse<String> again = http.send(HttpRequest.newBuilder(events).timeout(Duration.ofSeconds(30)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, again.statusCode());
        assertTrue(again.body().contains("STOPPED"), again.body());
    }

    @Test
    void theListIsPagedNewestFirstWithTheTotal() {
        String older = create("page-1");
        String newer = create("page-2");
        long total = Long.parseLong(given().get("/api/migrations?limit=1").then().statusCode(200).body("$", hasSize(1))
                .body("[0].id", equalTo(newer)).extract().header("X-Total-Count"));
        assertTrue(total >= 2);
        given().get("/api/migrations?limit=1&offset=1").then().statusCode(200).body("[0].id", equalTo(older));
        given().get("/api/migrations?limit=0").then().statusCode(400).contentType("application/problem+json")
                .body("errors[0].field", equalTo("limit"));
        given().get("/api/migrations?limit=501").then().statusCode(400).body("errors[0].field", equalTo("limit"));
        given().get("/api/migrations?offset=-1").then().statusCode(400).body("errors[0].field", equalTo("offset"));
        given().get("/api/migrations?limit=abc").then().statusCode(400).contentType("application/problem+json");
    }

    @Test
    void aChunkedBodyBeyondTheLimitIsRefusedToo() throws Exception {
        byte[] big = ("{\"name\":\"" + "n".repeat(100_000) + "\"}").getBytes();
        HttpResponse<String> r = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build().send(HttpRequest.newBuilder(
                        URI.create("http://localhost:" + RestAssured.port + "/api/migrations")).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(big))).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(413, r.statusCode(), r.body());
    }
}

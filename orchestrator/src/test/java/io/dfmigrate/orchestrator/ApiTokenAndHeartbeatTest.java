package io.dfmigrate.orchestrator;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.dfmigrate.common.event.EventTypes;
import io.dfmigrate.common.event.RunKey;
import io.dfmigrate.common.event.StatusEvent;
import io.restassured.http.ContentType;
import java.util.Map;
import org.junit.jupiter.api.Test;
import io.dfmigrate.common.Topics;
import java.util.List;

@QuarkusTest
@TestProfile(ApiTokenAndHeartbeatTest.Profile.class)
@QuarkusTestResource(value = InfrastructureResource.class, restrictToAnnotatedClass = true)
class ApiTokenAndHeartbeatTest {
    static final String TOKEN = "t0ken-for-tests";

    public static class Profile implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("dfm.orchestrator.api-token", TOKEN,
                    "dfm.orchestrator.heartbeat-timeout", "2s",
                    "dfm.orchestrator.heartbeat-check", "500ms",
                    "dfm.orchestrator.capture-timeout", "1s");
        }
    }

    @Test
    void apiNeedsTheBearerTokenButHealthAndMetricsStayOpen() {
        given().get("/api/migrations").then().statusCode(401).contentType("application/problem+json")
                .header("WWW-Authenticate", containsString("Bearer"));
        given().header("Authorization", "Bearer wrong").get("/api/migrations").then().statusCode(401);
        given().header("Authorization", "Basic " + TOKEN).get("/api/migrations").then().statusCode(401);
        given().header("Authorization", "Bearer " + TOKEN).get("/api/migrations").then().statusCode(200);
        given().get("/q/health/ready").then().statusCode(200);
        given().get("/q/metrics").then().statusCode(200);
        given().get("/q/openapi").then().statusCode(200);
    }

    @Test
    void aSilentCaptureIsOfferedToAnotherReplicator() throws Exception {
        String id = given().header("Authorization", "Bearer " + TOKEN).contentType(ContentType.JSON)
                .body(TestSupport.body("silent-capture", TestSupport.SOURCE, TestSupport.TARGET, "{\"guardTarget\":false}"))
                .post("/api/migrations").then().statusCode(201).extract().path("id");
        try (var phases = TestSupport.consumer(); var producer = TestSupport.producer()) {
            phases.subscribe(List.of(Topics.PHASES));
            given().header("Authorization", "Bearer " + TOKEN).post("/api/migrations/" + id + "/validate").then().statusCode(202);
            TestSupport.send(producer, StatusEvent.validation(new RunKey(id, 1), "v", java.util.List.of()));
            TestSupport.await(() -> "VALIDATED".equals(given().header("Authorization", "Bearer " + TOKEN)
                    .get("/api/migrations/" + id).then().extract().path("state")), "VALIDATED");
            given().header("Authorization", "Bearer " + TOKEN).post("/api/migrations/" + id + "/start").then().statusCode(202);
            TestSupport.send(producer, StatusEvent.captureReady(new RunKey(id, 1), "replicator/a", null, "capture-a"));
            TestSupport.awaitRecord(phases, id, EventTypes.PHASE_COPY);
            // the copier keeps reporting, the capture does not: its command goes out again for another replicator
            var takeover = TestSupport.awaitRecord(phases, id, EventTypes.PHASE_CAPTURE);
            assertTrue(takeover.value().contains(":takeover:1"), takeover.value());
            given().header("Authorization", "Bearer " + TOKEN).get("/api/migrations/" + id + "/audit").then()
                    .body("action", org.hamcrest.Matchers.hasItem("capture-silent"));
        }
    }

    @Test
    void aMigrationWhoseWorkersNeverReportFailsWithAReason() {
        // no validator runs in this test: nobody answers the validate command
        String id = given().header("Authorization", "Bearer " + TOKEN).contentType(ContentType.JSON)
                .body(TestSupport.body("silent", TestSupport.SOURCE, TestSupport.TARGET, null))
                .post("/api/migrations").then().statusCode(201).extract().path("id");
        given().header("Authorization", "Bearer " + TOKEN).post("/api/migrations/" + id + "/validate").then().statusCode(202);
        TestSupport.await(() -> "FAILED".equals(given().header("Authorization", "Bearer " + TOKEN)
                .get("/api/migrations/" + id).then().extract().path("state")), "FAILED by heartbeat timeout");
        given().header("Authorization", "Bearer " + TOKEN).get("/api/migrations/" + id).then()
                .body("error", containsString("no report from the validator"))
                .body("allowedActions", equalTo(java.util.List.of("restart")));
    }
}

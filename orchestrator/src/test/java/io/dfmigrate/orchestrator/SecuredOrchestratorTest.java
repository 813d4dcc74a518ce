package io.dfmigrate.orchestrator;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dfmigrate.common.Topics;
import io.dfmigrate.common.event.EventTypes;
import io.dfmigrate.common.event.RunKey;
import io.dfmigrate.common.event.StatusEvent;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.RestAssured;
import io.restassured.http.ContentType;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

@QuarkusTest
@TestProfile(SecuredOrchestratorTest.Profile.class)
@QuarkusTestResource(value = InfrastructureResource.class, restrictToAnnotatedClass = true)
class SecuredOrchestratorTest {
    static final String TOKEN = "t0ken-for-tests-0123456789";
    static final String VIEWER = "v1ewer-for-tests-0123456789";

    /**
     * Production's defaults (the profile "secured", not "test": auth=token) with a token of each kind, an allowlist of
     * 127.0.0.1 only, and short timeouts.
     */
    public static class Profile implements QuarkusTestProfile {
        @Override
        public String getConfigProfile() {
            return "secured";
        }

        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("dfm.orchestrator.api-token", TOKEN,
                    "dfm.orchestrator.viewer-token", VIEWER,
                    "dfm.allowed-endpoints", "127.0.0.1/32",
                    "dfm.secret.key", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
                    "dfm.event.key", "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=",
                    "dfm.orchestrator.heartbeat-timeout", "2s",
                    "dfm.orchestrator.heartbeat-check", "500ms",
                    "dfm.orchestrator.capture-timeout", "1s");
        }
    }

    @Test
    void everythingButHealthNeedsAToken() {
        given().get("/api/migrations").then().statusCode(401).contentType("application/problem+json")
                .header("WWW-Authenticate", containsString("Bearer"));
        given().header("Authorization", "Bearer wrong").get("/api/migrations").then().statusCode(401);
        given().header("Authorization", "Basic " + TOKEN).get("/api/migrations").then().statusCode(401);
        given().head("/api/migrations").then().statusCode(401);
        given().get("/q/metrics").then().statusCode(401);
        given().get("/q/openapi").then().statusCode(401);
        given().get("/nothing-here").then().statusCode(401);
        given().header("Authorization", "Bearer " + TOKEN).get("/api/migrations").then().statusCode(200);
        given().header("Authorization", "Bearer " + TOKEN).get("/q/metrics").then().statusCode(200);
        given().get("/q/health").then().statusCode(200);
        given().get("/q/health/ready").then().statusCode(200);
    }

    @Test
    void theConsoleFilesAreOpenWithAStrictPolicyAndHoldNoData() {
        given().redirects().follow(false).get("/").then().statusCode(302).header("Location", "/console/");
        given().redirects().follow(false).get("/console").then().statusCode(302).header("Location", "/console/");
        given().get("/console/").then().statusCode(200).contentType(containsString("text/html"))
                .header("Content-Security-Policy", containsString("script-src 'self'"))
                .header("Content-Security-Policy", containsString("frame-ancestors 'none'"))
                .header("X-Content-Type-Options", "nosniff")
                .body(containsString("<script src=\"console.js\""));
        given().get("/console/console.js").then().statusCode(200).body(containsString("/api/migrations"));
        given().get("/console/no-such-file").then().statusCode(404);
        given().post("/").then().statusCode(401);
    }

    @Test
    void anEndpointOutsideTheAllowlistIsA400NamingTheFieldWithoutAnyConnection() throws Exception {
        try (ServerSocket listener = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.2"))) {
            listener.setSoTimeout(300);
            given().header("Authorization", "Bearer " + TOKEN).contentType(ContentType.JSON)
                    .body(TestSupport.body("outside", "redis://127.0.0.2:" + listener.getLocalPort(), TestSupport.TARGET, null))
                    .post("/api/migrations").then().statusCode(400).contentType("application/problem+json")
                    .body("errors[0].field", equalTo("source.uri"))
                    .body("errors[0].message", containsString("not in DFM_ALLOWED_ENDPOINTS"));
            assertThrows(SocketTimeoutException.class, listener::accept, "nothing connected to the refused endpoint");
        }
    }

    @Test
    void pathTricksDoNotReachTheApiWithoutAToken() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        String base = "http://localhost:" + RestAssured.port;
        for (String path : List.of("//api/migrations", "/api//migrations", "/./api/migrations", "/api/./migrations",
                "/q/health/../../api/migrations", "/q/health/%2E%2E/%2E%2E/api/migrations", "/q/health%2F..%2F..%2Fapi%2Fmigrations",
                "/q/healthz/../../api/migrations", "/api/migrations/", "/api/migrations?x=/q/health", "/%61pi/migrations",
                "/console/../api/migrations", "/console/%2E%2E/api/migrations", "//console/../api/migrations",
                "/consoleapi/migrations")) {
            for (String method : List.of("GET", "HEAD", "POST")) {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + path))
                        .method(method, HttpRequest.BodyPublishers.ofString(method.equals("POST") ? "{}" : "")).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertEquals(401, r.statusCode(), method + " " + path + " gave " + r.statusCode() + ": " + r.body());
            }
        }
        // encoded slashes under the console's open files stay files: nothing there, and never the API
        for (String path : List.of("/console/..%2Fapi%2Fmigrations", "/console/%2E%2E%2Fapi%2Fmigrations", "/console%2F..%2Fapi%2Fmigrations")) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + path)).GET().build(), HttpResponse.BodyHandlers.ofString());
            assertTrue(r.statusCode() == 401 || r.statusCode() == 404, path + " gave " + r.statusCode() + ": " + r.body());
            assertFalse(r.body().startsWith("["), path + " gave the API's list: " + r.body());
        }
    }

    @Test
    void theViewerReadsButCannotActAndTheAuditNamesThePrincipal() {
        String id = given().header("Authorization", "Bearer " + TOKEN).header("X-DFM-Actor", "alice").contentType(ContentType.JSON)
                .body(TestSupport.body("roles", TestSupport.SOURCE, TestSupport.TARGET, null))
                .post("/api/migrations").then().statusCode(201).extract().path("id");
        given().header("Authorization", "Bearer " + VIEWER).get("/api/migrations/" + id).then().statusCode(200);
        given().header("Authorization", "Bearer " + VIEWER).get("/api/migrations/" + id + "/audit").then().statusCode(200)
                .body("[0].actor", equalTo("operator:alice"));
        given().header("Authorization", "Bearer " + VIEWER).post("/api/migrations/" + id + "/validate").then().statusCode(403)
                .contentType("application/problem+json");
        given().header("Authorization", "Bearer " + VIEWER).contentType(ContentType.JSON)
                .body(TestSupport.body("nope", TestSupport.SOURCE, TestSupport.TARGET, null)).post("/api/migrations").then().statusCode(403);
        // a viewer reads everything but the ACL file, which holds the source users' password hashes; nor gives passwords
        given().header("Authorization", "Bearer " + VIEWER).get("/api/migrations/" + id + "/users/acl-file").then().statusCode(403)
                .contentType("application/problem+json").body("detail", containsString("password hashes"));
        given().header("Authorization", "Bearer " + VIEWER).get("/api/migrations/" + id + "/users/passwords").then().statusCode(200)
                .body("users", equalTo(List.of()));
        given().header("Authorization", "Bearer " + VIEWER).contentType(ContentType.JSON).body("{\"app\":\"pw\"}")
                .put("/api/migrations/" + id + "/users/passwords").then().statusCode(403);
        given().header("Authorization", "Bearer " + TOKEN).get("/api/migrations/" + id).then().body("state", equalTo("CREATED"));
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

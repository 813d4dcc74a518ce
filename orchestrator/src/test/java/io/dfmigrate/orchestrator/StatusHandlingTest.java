package io.dfmigrate.orchestrator;

import static io.dfmigrate.orchestrator.TestSupport.*;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.hasItems;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dfmigrate.common.Topics;
import io.dfmigrate.common.event.EventTypes;
import io.dfmigrate.common.event.KeyDifference;
import io.dfmigrate.common.event.Json;
import io.dfmigrate.common.event.PhaseEvent;
import io.dfmigrate.common.event.RunKey;
import io.dfmigrate.common.event.Severity;
import io.dfmigrate.common.event.StatusEvent;
import io.dfmigrate.common.event.ValidationCheck;
import io.dfmigrate.common.event.VerifyRequest;
import io.dfmigrate.common.secret.EventSigner;
import io.dfmigrate.common.secret.SecretBox;
import io.dfmigrate.common.testing.SignedEvents;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Test;

/**
 * How worker reports move a migration, through real Kafka and PostgreSQL, with the test playing the workers: the
 * lifecycle with idempotent reports, the cutover's drain, and capture takeovers (while replicating and during the copy).
 */
@QuarkusTest
@QuarkusTestResource(value = InfrastructureResource.class, restrictToAnnotatedClass = true)
class StatusHandlingTest {
    @Inject
    SecretBox box;

    @Test
    void lifecycleThroughRealKafkaWithIdempotentStatusEvents() throws Exception {
        String id = create("lifecycle");
        try (KafkaConsumer<String, String> phases = consumer(); KafkaProducer<String, String> producer = producer()) {
            phases.subscribe(List.of(Topics.PHASES));
            given().post("/api/migrations/" + id + "/validate").then().statusCode(202).body("state", equalTo("VALIDATING"));

            ConsumerRecord<String, String> validateCmd = awaitRecord(phases, id, EventTypes.PHASE_VALIDATE);
            PhaseEvent phase = Json.read(validateCmd.value(), PhaseEvent.class);
            assertEquals(1, phase.run());
            assertFalse(validateCmd.value().contains("s3cr"), "no plaintext secret in events");
            assertEquals(SOURCE, box.open(phase.source().sealed(), SecretBox.context(id, SecretBox.SOURCE)), "workers can open the sealed URI with the key");
            assertNotNull(validateCmd.headers().lastHeader("ce_type"));
            assertEquals(EventTypes.PHASE_VALIDATE, new String(validateCmd.headers().lastHeader("ce_type").value(), StandardCharsets.UTF_8));

            StatusEvent report = StatusEvent.validation(new RunKey(id, 1), "validator-test",
                    List.of(new ValidationCheck("connectivity.source", Severity.INFO, "reachable", null)));
            send(producer, report);
            send(producer, report); // redelivery
            awaitState(id, "VALIDATED");

            given().contentType(ContentType.JSON).body("{}").post("/api/migrations/" + id + "/start").then().statusCode(202)
                    .body("state", equalTo("COPYING"));
            awaitRecord(phases, id, EventTypes.PHASE_CAPTURE);
            send(producer, StatusEvent.captureReady(new RunKey(id, 1), "replicator-test", "", null));
            awaitRecord(phases, id, EventTypes.PHASE_COPY);
            send(producer, StatusEvent.scanStarted(new RunKey(id, 1), "copier-test", 16,
                    new StatusEvent.CopyMode("scan", "copyMode auto: the source user 'app' may not run PSYNC")));
            TestSupport.await(() -> "scan".equals(given().get("/api/migrations/" + id).then().extract().path("progress.copyMode")),
                    "the copy mode the copier took");
            given().get("/api/migrations/" + id).then()
                    .body("progress.copyModeReason", equalTo("copyMode auto: the source user 'app' may not run PSYNC"))
                    .body("progress.keysTotal", equalTo(16));
            send(producer, StatusEvent.replication(new RunKey(id, 1), "replicator-test", new StatusEvent.Replication(7L, 0, null, null, null)));

            var b1 = new StatusEvent.BatchResult(id + ":1:0:0", 10, 1, 1000, 0, 0, List.of(new io.dfmigrate.common.event.KeyFailure(0, "k", "target: ERR x")), null);
            var b2 = new StatusEvent.BatchResult(id + ":1:0:1", 5, 0, 500, 1, 0, List.of(), null);
            send(producer, StatusEvent.batchDone(new RunKey(id, 1), "copier-test", b1));
            send(producer, StatusEvent.batchDone(new RunKey(id, 1), "copier-test", b1)); // redelivered: must not count twice
            send(producer, StatusEvent.batchDone(new RunKey(id, 0), "copier-test", new StatusEvent.BatchResult("old", 99, 0, 9, 0, 0, List.of(), null))); // old run
            for (String notOfTheScan : List.of("b3", id + ":2:0:0", id + ":1:0:x", id + ":1:r1:s:0:0")) {
                send(producer, StatusEvent.batchDone(new RunKey(id, 1), "copier-test",
                        new StatusEvent.BatchResult(notOfTheScan, 50, 0, 5000, 0, 0, List.of(), null)));
            }
            send(producer, StatusEvent.scanCompleted(new RunKey(id, 1), "copier-test", 2, 15, null));
            send(producer, StatusEvent.batchDone(new RunKey(id, 1), "copier-test", b2));
            awaitState(id, "REPLICATING");
            given().get("/api/migrations/" + id).then()
                    .body("timestamps.copyStartedAt", org.hamcrest.Matchers.notNullValue())
                    .body("timestamps.copyFinishedAt", org.hamcrest.Matchers.notNullValue())
                    .body("progress.keysTotal", equalTo(15))
                    .body("progress.keysCopied", equalTo(14))
                    .body("progress.keysFailed", equalTo(1))
                    .body("progress.bytesCopied", equalTo(1500))
                    .body("progress.percent", equalTo(100.0f))
                    .body("allowedActions", equalTo(List.of("complete", "keep-replicating", "stop", "verify")));
            awaitRecord(phases, id, EventTypes.PHASE_REPLICATE);
            var applied = StatusEvent.replication(new RunKey(id, 1), "replicator-test", new StatusEvent.Replication(null, 5, 12L, null, null));
            send(producer, applied);
            send(producer, applied); // redelivered delta: counted once
            await(() -> Integer.valueOf(5).equals(given().get("/api/migrations/" + id).then().extract().path("replication.appliedChanges")),
                    "applied changes");
            given().get("/api/migrations/" + id).then().body("replication.pendingChanges", equalTo(2))
                    .body("replication.lagMillis", equalTo(12));

            given().contentType(ContentType.JSON).body("{\"cutover\":false}").post("/api/migrations/" + id + "/complete")
                    .then().statusCode(202).body("state", equalTo("COMPLETED"));
            given().get("/api/migrations/" + id + "/audit").then().statusCode(200)
                    .body("toState", equalTo(java.util.Arrays.asList(
                            "CREATED", "VALIDATING", "VALIDATED", "COPYING", null, null, "REPLICATING", "COMPLETED")))
                    .body("action", hasItems("create", "validate", "start", "capture-ready", "key-errors", "copy-done", "complete"));
        }
        // the compacted control state: the run's replicate and complete, signed, in one partition, then the tombstones
        // that delete its replicate, reconcile and cutover once it ended
        try (KafkaConsumer<String, String> runs = consumer()) {
            runs.subscribe(List.of(Topics.RUNS));
            List<ConsumerRecord<String, String>> seen = new java.util.ArrayList<>();
            await(() -> {
                runs.poll(java.time.Duration.ofMillis(500)).forEach(r -> {
                    if (r.key().startsWith(id + ":1|")) {
                        seen.add(r);
                    }
                });
                return seen.stream().filter(r -> r.value() == null).count() == 3;
            }, "the run's records on dfm.runs");
            List<String> keys = seen.stream().map(r -> r.key() + (r.value() == null ? " (deleted)" : "")).toList();
            assertEquals(List.of(id + ":1|replicate", id + ":1|complete", id + ":1|replicate (deleted)", id + ":1|cutover (deleted)",
                    id + ":1|reconcile (deleted)"), keys);
            assertEquals(1, seen.stream().map(ConsumerRecord::partition).distinct().count(), "one partition per migration");
            for (ConsumerRecord<String, String> r : seen.subList(0, 2)) {
                assertNotNull(r.headers().lastHeader("ce_dfmsig"), "signed like on dfm.phases");
                assertEquals(r.key().endsWith("replicate") ? EventTypes.PHASE_REPLICATE : EventTypes.PHASE_COMPLETE,
                        Json.read(r.value(), PhaseEvent.class).type());
            }
        }
    }

    @Test
    void aVerificationCountsEveryDifferenceOnceKeepsThemForPagingAndEndsInTheAudit() throws Exception {
        String id = create("verify");
        try (KafkaConsumer<String, String> phases = consumer(); KafkaProducer<String, String> producer = producer()) {
            phases.subscribe(List.of(Topics.PHASES));
            given().post("/api/migrations/" + id + "/verify").then().statusCode(409).contentType("application/problem+json");
            replicating(id, producer, "r", null);
            given().get("/api/migrations/" + id + "/verification/diff").then().statusCode(404).contentType("application/problem+json");
            for (String[] bad : List.of(new String[] {"{\"mode\":\"some\"}", "mode"}, new String[] {"{\"mode\":\"sample\"}", "sample"},
                    new String[] {"{\"sample\":5}", "sample"}, new String[] {"{\"dbs\":[-1]}", "dbs[0]"},
                    new String[] {"{\"keyPattern\":\"\"}", "keyPattern"}, new String[] {"{\"ttlToleranceMillis\":-1}", "ttlToleranceMillis"})) {
                given().contentType(ContentType.JSON).body(bad[0]).post("/api/migrations/" + id + "/verify").then().statusCode(400)
                        .contentType("application/problem+json").body("errors.field", hasItem(bad[1]));
            }
            given().contentType(ContentType.JSON).body("{\"modes\":\"full\"}").post("/api/migrations/" + id + "/verify").then().statusCode(400);
            given().contentType(ContentType.JSON).body("{\"ttlToleranceMillis\":500}").post("/api/migrations/" + id + "/verify")
                    .then().statusCode(202).body("state", equalTo("REPLICATING")).body("verification.number", equalTo(1))
                    .body("verification.state", equalTo("RUNNING")).body("verification.mode", equalTo("full"))
                    .body("verification.ttlToleranceMillis", equalTo(500));
            PhaseEvent.Verify cmd = (PhaseEvent.Verify) Json.read(awaitRecord(phases, id, EventTypes.PHASE_VERIFY).value(), PhaseEvent.class);
            assertEquals(new VerifyRequest(1, "full", null, null, null, 500), cmd.verify());

            RunKey run = new RunKey(id, 1);
            var side = new KeyDifference.Side("string", -1, 5);
            var missing = KeyDifference.Side.MISSING;
            send(producer, StatusEvent.verifyScan(run, "c", new StatusEvent.VerifyScanCounts(1, null, 300, null)));
            var part0 = new StatusEvent.VerifyBatchResult(1, id + ":1:v1:s:0:0", 0, 2, 0, List.of(
                    new KeyDifference(0, "a".getBytes(), "value", side, side), new KeyDifference(0, new byte[] {0, (byte) 0xff}, "missing-on-target", side, missing)));
            var part1 = new StatusEvent.VerifyBatchResult(1, id + ":1:v1:s:0:0", 1, 2, 100, List.of(
                    new KeyDifference(0, "c".getBytes(), "ttl", side, new KeyDifference.Side("string", 10_000, 5))));
            send(producer, StatusEvent.verifyBatchDone(run, "c", part0));
            send(producer, StatusEvent.verifyBatchDone(run, "c", part1));
            send(producer, StatusEvent.verifyBatchDone(run, "c", part1)); // redelivered: counted once
            send(producer, StatusEvent.verifyBatchDone(run, "c", new StatusEvent.VerifyBatchResult(1, "forged", 0, 1, 99, List.of())));
            send(producer, StatusEvent.verifyBatchDone(run, "c", new StatusEvent.VerifyBatchResult(7, id + ":1:v7:s:0:0", 0, 1, 99, List.of())));
            // the scans' count holds the names of both sides (keys on both, twice): 500 names for 300 keys
            send(producer, StatusEvent.verifyScan(run, "c", new StatusEvent.VerifyScanCounts(1, 2L, 500, null)));
            given().get("/api/migrations/" + id).then().body("verification.state", equalTo("RUNNING"));
            send(producer, StatusEvent.verifyBatchDone(run, "c", new StatusEvent.VerifyBatchResult(1, id + ":1:v1:t:0:0", 0, 1, 200, List.of(
                    new KeyDifference(0, "d".getBytes(), "extra-on-target", missing, side),
                    new KeyDifference(0, "e".getBytes(), "unsettled", side, side)))));
            await(() -> "DONE".equals(given().get("/api/migrations/" + id).then().extract().path("verification.state")), "verification done");
            given().get("/api/migrations/" + id).then().body("verification.keysChecked", equalTo(300))
                    .body("verification.keysTotal", equalTo(300))
                    .body("verification.keysDiffering", equalTo(4)).body("verification.keysUnsettled", equalTo(1))
                    .body("verification.percent", equalTo(100.0f)).body("verification.reasons.unsettled", equalTo(1))
                    .body("verification.reasons.value", equalTo(1)).body("verification.reasons.ttl", equalTo(1))
                    .body("verification.reasons.missing-on-target", equalTo(1)).body("verification.reasons.extra-on-target", equalTo(1))
                    .body("verification.differences.key", equalTo(List.of("a", "b64:AP8=", "c", "d", "e")))
                    .body("verification.differences[2].target.ttlMillis", equalTo(10_000))
                    .body("verification.differences[1].target.type", equalTo("none"));
            Integer next = given().get("/api/migrations/" + id + "/verification/diff?limit=3").then().statusCode(200)
                    .body("items.key", equalTo(List.of("a", "b64:AP8=", "c"))).body("verification", equalTo(1)).extract().path("next");
            given().get("/api/migrations/" + id + "/verification/diff?limit=3&after=" + next).then()
                    .body("items.key", equalTo(List.of("d", "e"))).body("items[0].reason", equalTo("extra-on-target")).body("next", equalTo(null));
            given().get("/api/migrations/" + id + "/verification/diff?limit=0").then().statusCode(400);
            given().get("/api/migrations/" + id + "/verification/diff?after=x").then().statusCode(400);
            given().get("/api/migrations/" + id + "/audit").then().body("action", hasItems("verify", "verify-done"))
                    .body("find { it.action == 'verify-done' }.detail", containsString("300 key(s) checked, 4 differ, 1 unsettled"));

            // a new verification forgets the previous one's differences; a failing one fails alone, the migration goes on
            given().contentType(ContentType.JSON).body("{\"mode\":\"sample\",\"sample\":10}").post("/api/migrations/" + id + "/verify")
                    .then().statusCode(202).body("verification.number", equalTo(2)).body("verification.keysDiffering", equalTo(0));
            given().get("/api/migrations/" + id + "/verification/diff").then().body("items", equalTo(List.of()));
            send(producer, StatusEvent.verifyScan(run, "c", new StatusEvent.VerifyScanCounts(2, null, 0, "scanning for the verification failed: x")));
            await(() -> "FAILED".equals(given().get("/api/migrations/" + id).then().extract().path("verification.state")), "verification failed");
            given().get("/api/migrations/" + id).then().body("state", equalTo("REPLICATING"))
                    .body("verification.error", containsString("scanning for the verification failed"));
        }
    }

    @Test
    void cutoverCompletesOnlyWhenEveryChangeCapturedBeforeThePauseIsApplied() throws Exception {
        String id = create("cutover");
        try (KafkaConsumer<String, String> phases = consumer(); KafkaProducer<String, String> producer = producer()) {
            phases.subscribe(List.of(Topics.PHASES));
            replicating(id, producer, "r", null);
            send(producer, StatusEvent.replication(new RunKey(id, 1), "r", new StatusEvent.Replication(4L, 0, null, null, null)));
            given().contentType(ContentType.JSON).body("{\"cutover\":true}").post("/api/migrations/" + id + "/complete")
                    .then().statusCode(202).body("state", equalTo("REPLICATING")).body("cutover.state", equalTo("PAUSING"))
                    .body("allowedActions", equalTo(List.of("stop")));
            awaitRecord(phases, id, EventTypes.PHASE_CUTOVER);
            given().contentType(ContentType.JSON).body("{\"cutover\":true}").post("/api/migrations/" + id + "/complete")
                    .then().statusCode(409);
            send(producer, StatusEvent.cutoverPaused(new RunKey(id, 1), "r", new StatusEvent.Cutover(10L, null, null, "paused")));
            await(() -> "DRAINING".equals(given().get("/api/migrations/" + id).then().extract().path("cutover.state")), "DRAINING");
            send(producer, StatusEvent.replication(new RunKey(id, 1), "a", new StatusEvent.Replication(null, 9, 3L, null, null)));
            Thread.sleep(500);
            given().get("/api/migrations/" + id).then().body("state", equalTo("REPLICATING"));
            send(producer, StatusEvent.replication(new RunKey(id, 1), "a", new StatusEvent.Replication(10L, 1, 2L, null, null)));
            awaitRecord(phases, id, EventTypes.PHASE_COMPLETE);
            // drained: verified next, still REPLICATING, and nothing may be done meanwhile
            given().get("/api/migrations/" + id).then().body("state", equalTo("REPLICATING")).body("cutover.state", equalTo("VERIFYING"))
                    .body("allowedActions", equalTo(List.of()));
            given().post("/api/migrations/" + id + "/stop").then().statusCode(409);
            send(producer, StatusEvent.cutoverDone(new RunKey(id, 1), "r",
                    new StatusEvent.Cutover(null, 840L, true, "write pause 840 ms; key counts equal in 3 database(s)")));
            awaitState(id, "COMPLETED");
            given().get("/api/migrations/" + id).then().body("cutover.state", equalTo("DONE")).body("cutover.pauseMillis", equalTo(840))
                    .body("replication.pendingChanges", equalTo(0));
        }
    }

    @Test
    void aClusterSourcesReportsAreShownPerMasterThroughCopyReplicationAndCutover() throws Exception {
        String id = create("shards");
        RunKey run = new RunKey(id, 1);
        try (KafkaConsumer<String, String> phases = consumer(); KafkaProducer<String, String> producer = producer()) {
            phases.subscribe(List.of(Topics.PHASES));
            validateAndStart(id, producer);
            send(producer, StatusEvent.captureReady(run, "r", "", "cap"));
            given().get("/api/migrations/" + id).then().body("shards", org.hamcrest.Matchers.nullValue());
            var a = new StatusEvent.BatchResult(id + ":1:0:0", 10, 1, 100, 0, 0, List.of(), null, "10.0.0.1:7000");
            var b = new StatusEvent.BatchResult(id + ":1:0:1", 20, 0, 200, 0, 0, List.of(), null, "10.0.0.2:7000");
            send(producer, StatusEvent.batchDone(run, "c", a));
            send(producer, StatusEvent.batchDone(run, "c", a)); // redelivered: counted once, per master too
            await(() -> given().get("/api/migrations/" + id).then().extract().path("shards[0].batchesDone") != null, "first shard");
            given().get("/api/migrations/" + id).then().body("shards[0].server", equalTo("10.0.0.1:7000"))
                    .body("shards[0].keysTotal", org.hamcrest.Matchers.nullValue()).body("shards[0].percent", org.hamcrest.Matchers.nullValue());
            send(producer, StatusEvent.scanCompleted(run, "c", new StatusEvent.ScanCounts(3, 40, null, List.of(
                    new StatusEvent.ShardScan("10.0.0.1:7000", 1, 10), new StatusEvent.ShardScan("10.0.0.2:7000", 2, 30)))));
            send(producer, StatusEvent.batchDone(run, "c", b));
            await(() -> Integer.valueOf(2).equals(given().get("/api/migrations/" + id).then().extract().path("progress.batchesDone")),
                    "two batches done");
            given().get("/api/migrations/" + id).then().body("state", equalTo("COPYING"))
                    .body("shards.server", equalTo(List.of("10.0.0.1:7000", "10.0.0.2:7000")))
                    .body("shards.keysTotal", equalTo(List.of(10, 30))).body("shards.keysCopied", equalTo(List.of(9, 20)))
                    .body("shards.keysFailed", equalTo(List.of(1, 0))).body("shards.batchesDone", equalTo(List.of(1, 1)))
                    .body("shards.percent", equalTo(List.of(100.0f, 50.0f)));
            send(producer, StatusEvent.batchDone(run, "c", new StatusEvent.BatchResult(id + ":1:0:2", 10, 0, 100, 0, 0, List.of(), null,
                    "10.0.0.2:7000")));
            awaitState(id, "REPLICATING");
            // the capture's cumulative counts per master (one unsubscribed), then an applier's per-master deltas and lag
            send(producer, StatusEvent.replication(run, "r", new StatusEvent.Replication(9L, 0, null, "cap", null, List.of(
                    new StatusEvent.ShardReplication("10.0.0.1:7000", 4L, true, null, null),
                    new StatusEvent.ShardReplication("10.0.0.2:7000", 5L, false, null, null)))));
            send(producer, StatusEvent.replication(run, "a", new StatusEvent.Replication(null, 9, 30L, "cap", null, List.of(
                    new StatusEvent.ShardReplication("10.0.0.1:7000", null, null, 4L, 30L),
                    new StatusEvent.ShardReplication("10.0.0.2:7000", null, null, 5L, 12L)))));
            await(() -> Integer.valueOf(9).equals(given().get("/api/migrations/" + id).then().extract().path("replication.appliedChanges")),
                    "applied changes");
            given().get("/api/migrations/" + id).then().body("shards.captured", equalTo(List.of(4, 5)))
                    .body("shards.subscribed", equalTo(List.of(true, false))).body("shards.appliedChanges", equalTo(List.of(4, 5)))
                    .body("shards.lagMillis", equalTo(List.of(30, 12)));
            given().contentType(ContentType.JSON).body("{\"cutover\":true}").post("/api/migrations/" + id + "/complete").then().statusCode(202);
            send(producer, StatusEvent.cutoverPaused(run, "r", new StatusEvent.Cutover(9L, null, null, "paused", List.of(
                    new StatusEvent.ShardCutover("10.0.0.1:7000", true, null, null), new StatusEvent.ShardCutover("10.0.0.2:7000", true, null, null)))));
            awaitRecord(phases, id, EventTypes.PHASE_COMPLETE);
            send(producer, StatusEvent.cutoverDone(run, "r", new StatusEvent.Cutover(null, 300L, true, "write pause 300 ms", List.of(
                    new StatusEvent.ShardCutover("10.0.0.1:7000", true, 9L, 0L), new StatusEvent.ShardCutover("10.0.0.2:7000", true, 30L, 0L)))));
            awaitState(id, "COMPLETED");
            given().get("/api/migrations/" + id).then().body("shards.paused", equalTo(List.of(true, true)))
                    .body("shards.cutoverKeys", equalTo(List.of(9, 30))).body("shards.cutoverDiffer", equalTo(List.of(0, 0)));
        }
    }

    @Test
    void aGapOfSomeMastersIsReconciledForThemAloneAndAPassStartedMeanwhileTakesTheirMastersToo() throws Exception {
        String id = create("shard-gap");
        RunKey run = new RunKey(id, 1);
        try (KafkaConsumer<String, String> phases = consumer(); KafkaProducer<String, String> producer = producer()) {
            phases.subscribe(List.of(Topics.PHASES));
            replicating(id, producer, "r", null);
            send(producer, StatusEvent.reconcileNeeded(run, "r", "capture connection closed by the source (10.0.0.2:7000)",
                    List.of("10.0.0.4:7000")));
            var first = (PhaseEvent.Reconcile) Json.read(awaitRecord(phases, id, EventTypes.PHASE_RECONCILE).value(), PhaseEvent.class);
            assertEquals(1, first.pass());
            assertEquals(List.of("10.0.0.4:7000"), first.shards());
            // pass 1 still runs: pass 2 supersedes it, so it rescans pass 1's master too
            send(producer, StatusEvent.reconcileNeeded(run, "r", "the cluster's masters changed", List.of("10.0.0.5:7000")));
            var second = (PhaseEvent.Reconcile) Json.read(awaitRecord(phases, id, EventTypes.PHASE_RECONCILE).value(), PhaseEvent.class);
            assertEquals(2, second.pass());
            assertEquals(List.of("10.0.0.4:7000", "10.0.0.5:7000"), second.shards());
            // a gap of any key: everything
            send(producer, StatusEvent.reconcileNeeded(run, "r", "FLUSHALL ran on the source"));
            var third = (PhaseEvent.Reconcile) Json.read(awaitRecord(phases, id, EventTypes.PHASE_RECONCILE).value(), PhaseEvent.class);
            assertEquals(3, third.pass());
            assertNull(third.shards());
            send(producer, StatusEvent.reconcileNeeded(run, "r", "another master", List.of("10.0.0.6:7000")));
            var fourth = (PhaseEvent.Reconcile) Json.read(awaitRecord(phases, id, EventTypes.PHASE_RECONCILE).value(), PhaseEvent.class);
            assertNull(fourth.shards(), "pass 3 rescanned everything and had not ended: so does the pass that supersedes it");
            given().get("/api/migrations/" + id + "/audit").then().body("detail", hasItem(containsString(
                    "rescanning master(s) 10.0.0.4:7000 and their slots' keys on the target")));
        }
    }

    @Test
    void aCutoverWhoseKeyCountsDifferFailsWithTheCountsInsteadOfCompleting() throws Exception {
        String id = create("mismatch");
        try (KafkaConsumer<String, String> phases = consumer(); KafkaProducer<String, String> producer = producer()) {
            phases.subscribe(List.of(Topics.PHASES));
            replicating(id, producer, "r", null);
            given().contentType(ContentType.JSON).body("{\"cutover\":true}").post("/api/migrations/" + id + "/complete").then().statusCode(202);
            send(producer, StatusEvent.cutoverPaused(new RunKey(id, 1), "r", new StatusEvent.Cutover(0L, null, null, "paused")));
            awaitRecord(phases, id, EventTypes.PHASE_COMPLETE);
            send(producer, StatusEvent.cutoverDone(new RunKey(id, 1), "r", new StatusEvent.Cutover(null, 120L, false,
                    "write pause 120 ms; key counts differ: db0: source 10, target 9 keys without TTL")));
            awaitState(id, "FAILED");
            given().get("/api/migrations/" + id).then().body("cutover.state", equalTo("MISMATCH"))
                    .body("error", containsString("db0: source 10, target 9")).body("allowedActions", equalTo(List.of("restart")));
        }
    }

    @Test
    void anotherCaptureOfTheRunIsATakeoverThatReconcilesAndIsDrainedOnItsOwnCounts() throws Exception {
        String id = create("takeover");
        try (KafkaConsumer<String, String> phases = consumer(); KafkaProducer<String, String> producer = producer()) {
            phases.subscribe(List.of(Topics.PHASES));
            replicating(id, producer, "replicator/a", "capture-a");
            send(producer, StatusEvent.replication(new RunKey(id, 1), "replicator/a", new StatusEvent.Replication(10L, 0, null, "capture-a", null)));
            send(producer, StatusEvent.replication(new RunKey(id, 1), "replicator/x", new StatusEvent.Replication(null, 4, 5L, "capture-a", null)));
            await(() -> Integer.valueOf(6).equals(given().get("/api/migrations/" + id).then().extract().path("replication.pendingChanges")),
                    "6 pending");
            given().get("/api/migrations/" + id).then().body("replication.captureWorker", equalTo("replicator/a"))
                    .body("replication.captureTakeovers", equalTo(0));

            // replicator/a died; its capture command reached replicator/b, which captures anew
            send(producer, StatusEvent.captureReady(new RunKey(id, 1), "replicator/b", null, "capture-b"));
            await(() -> Integer.valueOf(1).equals(given().get("/api/migrations/" + id).then().extract().path("replication.captureTakeovers")),
                    "a takeover");
            given().get("/api/migrations/" + id).then().body("replication.captureWorker", equalTo("replicator/b"))
                    .body("replication.reconciling", equalTo(true)).body("replication.pendingChanges", equalTo(0));
            awaitRecord(phases, id, EventTypes.PHASE_RECONCILE);
            given().get("/api/migrations/" + id + "/audit").then().body("action", hasItems("capture-taken-over", "reconcile"));

            // late applies of the old capture's changes count as applied, not against the new capture
            send(producer, StatusEvent.replication(new RunKey(id, 1), "replicator/x", new StatusEvent.Replication(null, 6, 5L, "capture-a", null)));
            send(producer, StatusEvent.replication(new RunKey(id, 1), "replicator/a", new StatusEvent.Replication(12L, 0, null, "capture-a", null)));
            send(producer, StatusEvent.replication(new RunKey(id, 1), "replicator/b", new StatusEvent.Replication(3L, 0, null, "capture-b", null)));
            await(() -> Integer.valueOf(10).equals(given().get("/api/migrations/" + id).then().extract().path("replication.appliedChanges")),
                    "10 applied");
            await(() -> Integer.valueOf(3).equals(given().get("/api/migrations/" + id).then().extract().path("replication.pendingChanges")),
                    "3 pending of the new capture");
            send(producer, StatusEvent.replication(new RunKey(id, 1), "replicator/x", new StatusEvent.Replication(null, 3, 5L, "capture-b", null)));
            await(() -> Integer.valueOf(0).equals(given().get("/api/migrations/" + id).then().extract().path("replication.pendingChanges")),
                    "drained");
            // the same capture answering again is no takeover
            send(producer, StatusEvent.captureReady(new RunKey(id, 1), "replicator/b", null, "capture-b"));
            Thread.sleep(500);
            given().get("/api/migrations/" + id).then().body("replication.captureTakeovers", equalTo(1));
            given().post("/api/migrations/" + id + "/stop").then().statusCode(202);
            awaitRecord(phases, id, EventTypes.PHASE_STOP);

            // a capture command delivered again after the run ended starts a stray capture: it is told to stop
            send(producer, StatusEvent.captureReady(new RunKey(id, 1), "replicator/c", null, "capture-c"));
            ConsumerRecord<String, String> stray = awaitRecord(phases, id, EventTypes.PHASE_STOP);
            assertTrue(stray.value().contains(":stray:capture-c"), stray.value());
            given().get("/api/migrations/" + id + "/audit").then().body("action", hasItem("capture-stopped"));
            given().get("/api/migrations/" + id).then().body("state", equalTo("STOPPED"));
        }
    }

    @Test
    void aTakeoverDuringTheCopyIsReconciledRightAfterTheCopy() throws Exception {
        String id = create("takeover-copying");
        try (KafkaConsumer<String, String> phases = consumer(); KafkaProducer<String, String> producer = producer()) {
            phases.subscribe(List.of(Topics.PHASES));
            validateAndStart(id, producer);
            send(producer, StatusEvent.captureReady(new RunKey(id, 1), "replicator/a", null, "capture-a"));
            awaitRecord(phases, id, EventTypes.PHASE_COPY);
            send(producer, StatusEvent.captureReady(new RunKey(id, 1), "replicator/b", null, "capture-b"));
            await(() -> Integer.valueOf(1).equals(given().get("/api/migrations/" + id).then().extract().path("replication.captureTakeovers")),
                    "a takeover while copying");
            given().get("/api/migrations/" + id).then().body("state", equalTo("COPYING")).body("replication.reconciling", equalTo(false));
            send(producer, StatusEvent.scanCompleted(new RunKey(id, 1), "c", 0, 0, null));
            awaitState(id, "REPLICATING");
            // the held changes are not released by the copy's end: a rescan comes first
            given().get("/api/migrations/" + id).then().body("replication.reconciling", equalTo(true))
                    .body("replication.reconciliations", equalTo(1));
            awaitRecord(phases, id, EventTypes.PHASE_RECONCILE);
            given().get("/api/migrations/" + id + "/audit").then().body("action", hasItems("capture-taken-over", "copy-done", "reconcile"))
                    .body("find { it.action == 'reconcile' }.detail", containsString("taken over by replicator/b"));
            given().post("/api/migrations/" + id + "/stop").then().statusCode(202);
        }
    }

    /** Every action outside {@code allowed} answers 409 naming the state and the allowed actions, and changes nothing. */

    @Inject
    MeterRegistry registry;

    @Test
    void forgedWorkerReportsAreIgnoredAndCounted() throws Exception {
        String id = create("forged-report");
        try (KafkaProducer<String, String> producer = producer()) {
            given().post("/api/migrations/" + id + "/validate").then().statusCode(202);
            double before = SignedEvents.rejected(registry);
            StatusEvent report = StatusEvent.validation(new RunKey(id, 1), "intruder", List.of());
            String json = Json.write(report);
            sendSigned(producer, report, json, null);
            sendSigned(producer, report, json, EventSigner.of(SecretBox.generateKey(), List.of()).sign(EventSigner.STATUS, json));
            String key = org.eclipse.microprofile.config.ConfigProvider.getConfig().getValue("dfm.event.key", String.class);
            sendSigned(producer, report, json, EventSigner.of(key, List.of()).sign(EventSigner.PHASES, json)); // a command's, not a report's
            await(() -> SignedEvents.rejected(registry) >= before + 3,
                    "the three forged reports rejected");
            given().get("/api/migrations/" + id).then().body("state", equalTo("VALIDATING"));

            send(producer, report); // the same report, signed as a validator signs it
            awaitState(id, "VALIDATED");
        }
    }
}

package io.dfmigrate.orchestrator;

import static io.dfmigrate.orchestrator.TestSupport.await;
import static io.dfmigrate.orchestrator.TestSupport.awaitRecord;
import static io.dfmigrate.orchestrator.TestSupport.awaitState;
import static io.dfmigrate.orchestrator.TestSupport.body;
import static io.dfmigrate.orchestrator.TestSupport.consumer;
import static io.dfmigrate.orchestrator.TestSupport.producer;
import static io.dfmigrate.orchestrator.TestSupport.send;
import static io.dfmigrate.orchestrator.TestSupport.validateAndStart;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dfmigrate.common.Topics;
import io.dfmigrate.common.endpoint.RedisEndpoint;
import io.dfmigrate.common.event.EventTypes;
import io.dfmigrate.common.event.Json;
import io.dfmigrate.common.event.PhaseEvent;
import io.dfmigrate.common.event.RunKey;
import io.dfmigrate.common.event.StatusEvent;
import io.dfmigrate.common.secret.SecretBox;
import io.dfmigrate.localstack.RedisCluster;
import io.dfmigrate.localstack.RedisServer;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import jakarta.inject.Inject;
import java.util.List;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Test;

/**
 * The target write guard and the source-setting restore against real redis-servers, with the workers played by the
 * test over real Kafka: other users' writes are refused from start to cutover and the ACLs are exactly as before after.
 */
@QuarkusTest
@QuarkusTestResource(value = InfrastructureResource.class, restrictToAnnotatedClass = true)
class TargetGuardTest {
    @Inject
    SecretBox box;

    @Test
    void otherUsersCannotWriteToTheTargetUntilTheCutoverLiftsTheGuard() throws Exception {
        try (RedisServer source = RedisServer.start(); RedisServer target = RedisServer.start("--requirepass", "t0p")) {
            source.cli("ACL", "SETUSER", "only-on-source", "on", ">x", "~*", "+@all"); // not copied without options.migrateUsers
            source.cli("CONFIG", "SET", "maxmemory-policy", "allkeys-lru"); // nor this without options.migrateConfig
            source.cli("FUNCTION", "LOAD", "#!lua name=greetings\nredis.register_function('hello', function() return 'hi' end)");
            target.cli("-a", "t0p", "--no-auth-warning", "ACL", "SETUSER", "app", "on", ">apppw", "~app:*", "&*", "+@all", "-flushall");
            target.cli("-a", "t0p", "--no-auth-warning", "ACL", "SETUSER", "sel", "on", ">selpw", "~*", "+get", "(~w* +set)");
            target.cli("-a", "t0p", "--no-auth-warning", "ACL", "SETUSER", "gone", "off", ">x", "~*", "+@all");
            String aclBefore = target.cli("-a", "t0p", "--no-auth-warning", "ACL", "LIST");
            String id = given().contentType(ContentType.JSON).body(body("guarded", source.uri(), "redis://:t0p@127.0.0.1:" + target.port(), null))
                    .post("/api/migrations").then().statusCode(201).body("options.guardTarget", equalTo(true)).extract().path("id");
            try (KafkaConsumer<String, String> phases = consumer(); KafkaProducer<String, String> producer = producer()) {
                phases.subscribe(List.of(Topics.PHASES));
                given().post("/api/migrations/" + id + "/validate").then().statusCode(202);
                send(producer, StatusEvent.validation(new RunKey(id, 1), "v", List.of()));
                awaitState(id, "VALIDATED");

                given().post("/api/migrations/" + id + "/start").then().statusCode(202).body("state", equalTo("COPYING"))
                        .body("targetGuard.status", equalTo("ACTIVE"))
                        .body("targetGuard.detail", containsString("user(s) app, default, sel"));
                PhaseEvent capture = Json.read(awaitRecord(phases, id, EventTypes.PHASE_CAPTURE).value(), PhaseEvent.class);
                RedisEndpoint asGuard = RedisEndpoint.parse(box.open(capture.target().sealed(), SecretBox.context(id, SecretBox.TARGET)));
                assertEquals("dfmigrate-" + id, asGuard.user(), "the workers write as the migration's own user");
                assertTrue(capture.target().uri().contains("dfmigrate-" + id + ":****@"), capture.target().uri());

                assertTrue(target.cli("-a", "t0p", "--no-auth-warning", "SET", "x", "1").contains("NOPERM"), "default user is read-only");
                assertTrue(target.cli("--user", "app", "--pass", "apppw", "--no-auth-warning", "SET", "app:1", "1").contains("NOPERM"));
                assertTrue(target.cli("--user", "sel", "--pass", "selpw", "--no-auth-warning", "SET", "w1", "1").contains("NOPERM"),
                        "a selector granting writes is cleared too");
                assertEquals("OK", target.cli("--user", asGuard.user(), "--pass", asGuard.password(), "--no-auth-warning", "SET", "m", "1"));
                // the migration's user has the least rights its work needs: no administration, nothing that wipes the target
                for (String[] refused : List.of(new String[] {"FLUSHALL"}, new String[] {"FLUSHDB"}, new String[] {"SWAPDB", "0", "1"},
                        new String[] {"CONFIG", "SET", "maxmemory", "1"}, new String[] {"ACL", "SETUSER", "evil", "on", ">x", "+@all"},
                        new String[] {"SHUTDOWN"}, new String[] {"DEBUG", "SLEEP", "0"}, new String[] {"REPLICAOF", "127.0.0.1", "1"})) {
                    List<String> cmd = new java.util.ArrayList<>(List.of("--user", asGuard.user(), "--pass", asGuard.password(), "--no-auth-warning"));
                    cmd.addAll(List.of(refused));
                    assertTrue(target.cli(cmd.toArray(String[]::new)).contains("NOPERM"), String.join(" ", refused));
                }
                String dump = target.cli("--user", asGuard.user(), "--pass", asGuard.password(), "--no-auth-warning", "EVAL",
                        "local d = redis.call('DUMP', 'm') redis.call('RESTORE', 'm2', 0, d, 'REPLACE') redis.call('TIME') "
                                + "redis.call('INFO', 'server') return redis.call('GET', 'm2')", "0");
                assertEquals("1", dump, "what the copy does is allowed");
                assertEquals("1", target.cli("-a", "t0p", "--no-auth-warning", "GET", "m"), "reads stay allowed");

                send(producer, StatusEvent.captureReady(new RunKey(id, 1), "r", null, null));
                awaitRecord(phases, id, EventTypes.PHASE_COPY);
                send(producer, StatusEvent.scanCompleted(new RunKey(id, 1), "c", 0, 0, null));
                awaitState(id, "REPLICATING");
                PhaseEvent replicate = Json.read(awaitRecord(phases, id, EventTypes.PHASE_REPLICATE).value(), PhaseEvent.class);
                assertEquals("dfmigrate-" + id, RedisEndpoint.parse(box.open(replicate.target().sealed(), SecretBox.context(id, SecretBox.TARGET))).user());

                given().contentType(ContentType.JSON).body("{\"cutover\":true}").post("/api/migrations/" + id + "/complete").then().statusCode(202);
                awaitRecord(phases, id, EventTypes.PHASE_CUTOVER);
                assertTrue(target.cli("-a", "t0p", "--no-auth-warning", "SET", "x", "1").contains("NOPERM"), "guarded until drained");
                send(producer, StatusEvent.cutoverPaused(new RunKey(id, 1), "r", new StatusEvent.Cutover(0L, null, null, "paused")));
                PhaseEvent complete = Json.read(awaitRecord(phases, id, EventTypes.PHASE_COMPLETE).value(), PhaseEvent.class);
                // the guard is lifted before the complete that ends the source's write pause is sent
                assertEquals(aclBefore, target.cli("-a", "t0p", "--no-auth-warning", "ACL", "LIST"), "every user's rules are as before");
                assertTrue(target.cli("-a", "t0p", "--no-auth-warning", "CONFIG", "GET", "maxmemory-policy").contains("noeviction"));
                assertTrue(target.cli("-a", "t0p", "--no-auth-warning", "FUNCTION", "LIST").isBlank(), "no function without the option");
                assertEquals("redis://:t0p@127.0.0.1:" + target.port(), box.open(complete.target().sealed(), SecretBox.context(id, SecretBox.TARGET)));
                assertEquals("OK", target.cli("-a", "t0p", "--no-auth-warning", "SET", "x", "1"));
                assertEquals("OK", target.cli("--user", "app", "--pass", "apppw", "--no-auth-warning", "SET", "app:1", "1"));
                send(producer, StatusEvent.cutoverDone(new RunKey(id, 1), "r", new StatusEvent.Cutover(null, 50L, true, "key counts equal")));
                awaitState(id, "COMPLETED");
                given().get("/api/migrations/" + id).then().body("targetGuard.status", equalTo("LIFTED"));
                given().get("/api/migrations/" + id + "/audit").then().body("action", hasItem("guard-applied"))
                        .body("action", hasItem("guard-lifted"));
            }
        }
    }

    /**
     * {@code options.migrateUsers}: at the cutover, before the source's writes resume, the source's users are made on the
     * target: they log in with their own passwords and keep their key patterns, categories and selectors; a disabled user
     * stays disabled; the source's default user and the target user the migration connects as are left alone. Redis 7.0
     * and Valkey 8.1. Without the option nothing of it happens (the test above).
     */
    @Test
    void theSourcesUsersComeAlongWhenAskedAndLogInOnTheTargetWithTheirPasswordsAndRights() throws Exception {
        usersComeAlong(RedisServer::start, "redis-7.0", "true", "config-migrated");
        usersComeAlong(args -> RedisServer.startTrixie("valkey-server", args), "valkey-8.1",
                "[\"maxmemory-policy\",\"timeout\",\"no-such-setting\"]", "config-incomplete");
    }

    /** With {@code migrateConfig} ({@code config} as JSON) the source's settings come along too; {@code outcome}: its audit action. */
    private void usersComeAlong(java.util.function.Function<String[], RedisServer> server, String name, String config, String outcome)
            throws Exception {
        try (RedisServer source = server.apply(new String[0]); RedisServer target = server.apply(new String[] {"--requirepass", "t0p"})) {
            source.cli("ACL", "SETUSER", "alice", "on", ">alicepw", "~app:*", "&*", "+@all", "-@dangerous");
            source.cli("ACL", "SETUSER", "bob", "off", ">bobpw", "~*", "+@read");
            source.cli("ACL", "SETUSER", "carol", "on", ">carolpw", "~c:*", "+get", "(~w* +set)");
            source.cli("CONFIG", "SET", "maxmemory-policy", "allkeys-lru");
            source.cli("CONFIG", "SET", "timeout", "300");
            source.cli("FUNCTION", "LOAD", "#!lua name=greetings\nredis.register_function('hello', function() return 'hi' end)");
            String id = given().contentType(ContentType.JSON).body(body("users-" + name, source.uri(), "redis://:t0p@127.0.0.1:" + target.port(),
                    "{\"migrateUsers\":true,\"migrateConfig\":" + config + "}")).post("/api/migrations").then().statusCode(201)
                    .body("options.migrateUsers", equalTo(true)).extract().path("id");
            given().get("/api/migrations/" + id).then().body("options.migrateConfig", config.equals("true") ? equalTo(true)
                    : equalTo(List.of("maxmemory-policy", "timeout", "no-such-setting")));
            assertEquals("noeviction", target.cli("-a", "t0p", "--no-auth-warning", "CONFIG", "GET", "maxmemory-policy").split("\n")[1]);
            try (KafkaConsumer<String, String> phases = consumer(); KafkaProducer<String, String> producer = producer()) {
                phases.subscribe(List.of(Topics.PHASES));
                TestSupport.replicating(id, producer, "r", null);
                assertTrue(target.cli("--user", "alice", "--pass", "alicepw", "--no-auth-warning", "PING").contains("WRONGPASS"),
                        "not before the cutover");
                pausedForCutover(id, phases, producer); // the complete is sent once the users are there

                assertEquals("PONG", target.cli("--user", "alice", "--pass", "alicepw", "--no-auth-warning", "PING"), name);
                assertEquals("OK", target.cli("--user", "alice", "--pass", "alicepw", "--no-auth-warning", "SET", "app:1", "1"));
                assertTrue(target.cli("--user", "alice", "--pass", "alicepw", "--no-auth-warning", "SET", "other", "1").contains("NOPERM"));
                assertTrue(target.cli("--user", "alice", "--pass", "alicepw", "--no-auth-warning", "FLUSHALL").contains("NOPERM"),
                        "-@dangerous still holds");
                assertTrue(target.cli("--user", "bob", "--pass", "bobpw", "--no-auth-warning", "PING").contains("WRONGPASS"), "bob stays disabled");
                assertEquals("OK", target.cli("--user", "carol", "--pass", "carolpw", "--no-auth-warning", "SET", "w1", "1"), "carol's selector");
                assertTrue(target.cli("--user", "carol", "--pass", "carolpw", "--no-auth-warning", "SET", "c:1", "1").contains("NOPERM"));
                assertEquals("PONG", target.cli("-a", "t0p", "--no-auth-warning", "PING"), "the target's default user keeps its password");
                assertFalse(target.cli("-a", "t0p", "--no-auth-warning", "ACL", "USERS").contains("dfmigrate-"), "no user of the migration's own is left");
                for (String user : List.of("alice", "bob", "carol")) {
                    assertEquals(source.cli("ACL", "GETUSER", user), target.cli("-a", "t0p", "--no-auth-warning", "ACL", "GETUSER", user), user);
                }
                // the function libraries come with migrateConfig true (or the name "functions"), not with a list without it
                String fcall = target.cli("-a", "t0p", "--no-auth-warning", "FCALL", "hello", "0");
                assertEquals(config.equals("true"), fcall.equals("hi"), fcall);
                for (String setting : List.of("maxmemory-policy", "timeout")) {
                    assertEquals(source.cli("CONFIG", "GET", setting), target.cli("-a", "t0p", "--no-auth-warning", "CONFIG", "GET", setting), setting);
                }

                send(producer, StatusEvent.cutoverDone(new RunKey(id, 1), "r", new StatusEvent.Cutover(null, 50L, true, "key counts equal")));
                awaitState(id, "COMPLETED");
                List<String> details = given().get("/api/migrations/" + id + "/audit").then().body("action", hasItem("users-migrated"))
                        .extract().path("findAll { it.action == 'users-migrated' }.detail");
                assertTrue(details.get(0).contains("alice, bob, carol") && details.get(0).contains("default (the source's default user"),
                        details.toString());
                assertFalse(details.get(0).contains("pw") || details.get(0).contains("#"), "no password or hash in the audit: " + details);
                List<String> settings = given().get("/api/migrations/" + id + "/audit").then().body("action", hasItem(outcome))
                        .extract().path("findAll { it.action == '" + outcome + "' }.detail");
                assertTrue(settings.get(0).contains("maxmemory-policy=allkeys-lru") && settings.get(0).contains("timeout=300"), settings.toString());
                assertEquals(outcome.equals("config-incomplete"), settings.get(0).contains("the source has no no-such-setting"), settings.toString());
            }
        }
    }

    /**
     * A target that takes no password hash in {@code ACL SETUSER} (Dragonfly; here a Redis 7.0 target with
     * {@code targetProfile=dragonfly}, which the cutover treats the same way): a user whose password was given
     * ({@code PUT …/users/passwords}, checked field by field, sealed, never shown again) logs in with it after the
     * cutover; one without is reported with where to give it; the ACL file carries every user's hash for {@code --aclfile}.
     */
    @Test
    void intoATargetWithoutHashesUsersComeWithThePasswordsGivenAndTheAclFileCarriesThemAll() throws Exception {
        try (RedisServer source = RedisServer.start(); RedisServer target = RedisServer.start("--requirepass", "t0p")) {
            source.cli("ACL", "SETUSER", "alice", "on", ">alicepw", "~app:*", "+@all", "-@dangerous");
            source.cli("ACL", "SETUSER", "bob", "on", ">bobpw", "~*", "+@read");
            String id = given().contentType(ContentType.JSON).body(body("users-no-hashes", source.uri(), "redis://:t0p@127.0.0.1:" + target.port(),
                    "{\"migrateUsers\":true,\"targetProfile\":\"dragonfly\"}")).post("/api/migrations").then().statusCode(201).extract().path("id");
            String passwords = "/api/migrations/" + id + "/users/passwords";
            given().contentType(ContentType.JSON).body("[\"alice\"]").put(passwords).then().statusCode(400).contentType("application/problem+json");
            given().contentType(ContentType.JSON).body("{\"alice\":7,\"b ob\":\"x\"}").put(passwords).then().statusCode(400)
                    .body("errors.field", equalTo(List.of("alice", "b ob")));
            given().put(passwords).then().statusCode(400);
            given().contentType(ContentType.JSON).body("{\"alice\":\"alicepw\"}").put(passwords).then().statusCode(200)
                    .body("users", equalTo(List.of("alice")));
            String shown = given().get(passwords).then().statusCode(200).body("users", equalTo(List.of("alice"))).extract().asString()
                    + given().get("/api/migrations/" + id).then().extract().asString()
                    + given().get("/api/migrations/" + id + "/audit").then().body("action", hasItem("user-passwords")).extract().asString();
            assertFalse(shown.contains("alicepw"), "a password given is never shown again");

            String file = given().get("/api/migrations/" + id + "/users/acl-file").then().statusCode(200).contentType(containsString("text/plain"))
                    .header("Content-Disposition", containsString("-users.acl")).extract().asString();
            assertEquals(List.of("alice", "bob"), file.lines().map(l -> l.split(" ")[1]).toList(), file);
            assertTrue(file.lines().allMatch(l -> l.matches("user \\S+ on #[0-9a-f]{64} .*")), file);
            given().get("/api/migrations/" + id + "/audit").then().body("action", hasItem("acl-file"));

            try (KafkaConsumer<String, String> phases = consumer(); KafkaProducer<String, String> producer = producer()) {
                phases.subscribe(List.of(Topics.PHASES));
                TestSupport.replicating(id, producer, "r", null);
                pausedForCutover(id, phases, producer);

                assertEquals("OK", target.cli("--user", "alice", "--pass", "alicepw", "--no-auth-warning", "SET", "app:1", "1"));
                assertTrue(target.cli("--user", "alice", "--pass", "alicepw", "--no-auth-warning", "FLUSHALL").contains("NOPERM"));
                assertTrue(target.cli("--user", "bob", "--pass", "bobpw", "--no-auth-warning", "PING").contains("WRONGPASS"), "bob had no password given");
                List<String> details = given().get("/api/migrations/" + id + "/audit").then().body("action", hasItem("users-incomplete"))
                        .extract().path("findAll { it.action == 'users-incomplete' }.detail");
                assertTrue(details.get(0).contains("created on the target with the source's rules and passwords: alice")
                        && details.get(0).contains("bob (the target (Dragonfly) takes no password hash")
                        && details.get(0).contains("PUT /api/migrations/{id}/users/passwords"), details.toString());
                assertFalse(details.get(0).contains("pw"), details.toString());

                send(producer, StatusEvent.cutoverDone(new RunKey(id, 1), "r", new StatusEvent.Cutover(null, 50L, true, "key counts equal")));
                awaitState(id, "COMPLETED");
                given().contentType(ContentType.JSON).body("{\"bob\":\"bobpw\"}").put(passwords).then().statusCode(409);
            }
        }
    }

    /**
     * Asks for the cutover, plays the replicator that paused the source's writes, and waits for the complete that the
     * keeper sends after the guard's lift and the handover.
     */
    private static void pausedForCutover(String id, KafkaConsumer<String, String> phases, KafkaProducer<String, String> producer)
            throws Exception {
        given().contentType(ContentType.JSON).body("{\"cutover\":true}").post("/api/migrations/" + id + "/complete").then().statusCode(202);
        awaitRecord(phases, id, EventTypes.PHASE_CUTOVER);
        send(producer, StatusEvent.cutoverPaused(new RunKey(id, 1), "r", new StatusEvent.Cutover(0L, null, null, "paused")));
        awaitRecord(phases, id, EventTypes.PHASE_COMPLETE);
    }

    /** A Redis Cluster's masters each hold their own users: one that differs between them is named at the cutover. */
    @Test
    void aClusterSourcesUsersThatDifferBetweenItsMastersAreNamed() throws Exception {
        try (RedisCluster cluster = RedisCluster.start(2, 0); RedisServer target = RedisServer.start("--requirepass", "t0p")) {
            for (RedisServer master : cluster.masters()) {
                master.cli("ACL", "SETUSER", "alice", "on", ">alicepw", "~*", "+@all");
                master.cli("ACL", "SETUSER", "bob", "on", ">bobpw", "~b" + master.port() + ":*", "+@all");
            }
            String id = given().contentType(ContentType.JSON).body(body("users-cluster", cluster.masters().get(0).uri() + "?cluster=yes",
                    "redis://:t0p@127.0.0.1:" + target.port(), "{\"migrateUsers\":true}")).post("/api/migrations").then().statusCode(201)
                    .extract().path("id");
            try (KafkaConsumer<String, String> phases = consumer(); KafkaProducer<String, String> producer = producer()) {
                phases.subscribe(List.of(Topics.PHASES));
                TestSupport.replicating(id, producer, "r", null);
                pausedForCutover(id, phases, producer);
                assertEquals("PONG", target.cli("--user", "alice", "--pass", "alicepw", "--no-auth-warning", "PING"));
                List<String> details = given().get("/api/migrations/" + id + "/audit").then().body("action", hasItem("users-incomplete"))
                        .extract().path("findAll { it.action == 'users-incomplete' }.detail");
                assertTrue(details.get(0).contains("user(s) bob differ between the cluster's masters"), details.toString());
                assertFalse(details.get(0).contains("alice differ"), details.toString());
                send(producer, StatusEvent.cutoverDone(new RunKey(id, 1), "r", new StatusEvent.Cutover(null, 50L, true, "key counts equal")));
                awaitState(id, "COMPLETED");
            }
        }
    }

    @Test
    void aTargetUserWithoutAclRightsFailsTheStartWithARemedyAndChangesNothing() throws Exception {
        try (RedisServer source = RedisServer.start(); RedisServer target = RedisServer.start()) {
            target.cli("ACL", "SETUSER", "limited", "on", ">lim", "~*", "+@all", "-@admin");
            String aclBefore = target.cli("ACL", "LIST");
            String id = given().contentType(ContentType.JSON)
                    .body(body("no-acl", source.uri(), "redis://limited:lim@127.0.0.1:" + target.port(), null))
                    .post("/api/migrations").then().statusCode(201).extract().path("id");
            try (KafkaProducer<String, String> producer = producer()) {
                given().post("/api/migrations/" + id + "/validate").then().statusCode(202);
                send(producer, StatusEvent.validation(new RunKey(id, 1), "v", List.of()));
                awaitState(id, "VALIDATED");
                given().post("/api/migrations/" + id + "/start").then().statusCode(202).body("state", equalTo("FAILED"))
                        .body("error", containsString("options.guardTarget=false"))
                        .body("error", containsString("NOPERM"))
                        .body("error", org.hamcrest.Matchers.not(containsString("lim@")));
                assertEquals(aclBefore, target.cli("ACL", "LIST"));
                await(() -> "LIFTED".equals(given().get("/api/migrations/" + id).then().extract().path("targetGuard.status")), "guard cleared");
                List<String> actions = given().get("/api/migrations/" + id + "/audit").then().extract().path("action");
                assertFalse(actions.contains("capture-ready"));
            }
        }
    }

    @Test
    void theSourceGetsItsNotifySettingBackEvenWhenNoReplicatorRestoredIt() throws Exception {
        try (RedisServer source = RedisServer.start(); RedisServer target = RedisServer.start()) {
            source.cli("CONFIG", "SET", "notify-keyspace-events", "Ex");
            String id = given().contentType(ContentType.JSON).body(body("notify", source.uri(), target.uri(), "{\"guardTarget\":false}"))
                    .post("/api/migrations").then().statusCode(201).extract().path("id");
            try (KafkaProducer<String, String> producer = producer()) {
                given().post("/api/migrations/" + id + "/validate").then().statusCode(202);
                send(producer, StatusEvent.validation(new RunKey(id, 1), "v", List.of()));
                awaitState(id, "VALIDATED");
                given().post("/api/migrations/" + id + "/start").then().statusCode(202).body("targetGuard", org.hamcrest.Matchers.nullValue());
                // a replicator set the source's setting, reported the old value, then died without restoring it
                source.cli("CONFIG", "SET", "notify-keyspace-events", "ExKA");
                send(producer, StatusEvent.captureReady(new RunKey(id, 1), "r", "xE", null));
                await(() -> given().get("/api/migrations/" + id + "/audit").then().extract().<List<String>>path("action")
                        .contains("capture-ready"), "capture ready");
                send(producer, StatusEvent.failed(new RunKey(id, 1), "r", "capture", "the replicator capturing this migration shut down"));
                awaitState(id, "FAILED");
                await(() -> source.cli("CONFIG", "GET", "notify-keyspace-events").endsWith("xE"), "notify-keyspace-events restored");
                await(() -> given().get("/api/migrations/" + id + "/audit").then().extract().<List<String>>path("action")
                        .contains("source-restored"), "audited");
            }
        }
    }

    @Test
    void oneLiveMigrationPerTargetServerAndOneCapturePerSourceServerWhateverTheirNames() throws Exception {
        try (RedisServer source = RedisServer.start(); RedisServer otherSource = RedisServer.start(); RedisServer target = RedisServer.start();
             RedisServer otherTarget = RedisServer.start(); KafkaProducer<String, String> producer = producer()) {
            String options = "{\"guardTarget\":false}";
            String a = given().contentType(ContentType.JSON).body(body("shared-a", source.uri(), target.uri(), options))
                    .post("/api/migrations").then().statusCode(201).extract().path("id");
            // the same target server by another name, and the same source server with another target
            String b = given().contentType(ContentType.JSON).body(body("shared-b", otherSource.uri(), "redis://localhost:" + target.port(), options))
                    .post("/api/migrations").then().statusCode(201).extract().path("id");
            String c = given().contentType(ContentType.JSON).body(body("shared-c", source.uri(), otherTarget.uri(), options))
                    .post("/api/migrations").then().statusCode(201).extract().path("id");
            for (String id : List.of(a, b, c)) {
                given().post("/api/migrations/" + id + "/validate").then().statusCode(202);
                send(producer, StatusEvent.validation(new RunKey(id, 1), "v", List.of()));
                awaitState(id, "VALIDATED");
            }
            given().post("/api/migrations/" + a + "/start").then().statusCode(202);
            given().post("/api/migrations/" + b + "/start").then().statusCode(409).contentType("application/problem+json")
                    .body("detail", containsString("same server as the target of live migration 'shared-a'"));
            given().post("/api/migrations/" + c + "/start").then().statusCode(409)
                    .body("detail", containsString("same server as the source of live migration 'shared-a'"));
            given().post("/api/migrations/" + a + "/stop").then().statusCode(202);
            given().post("/api/migrations/" + b + "/start").then().statusCode(202);
            given().post("/api/migrations/" + b + "/stop").then().statusCode(202);
        }
    }

    @Test
    void oneCapturePerRedisClusterWhicheverNodeItsUriNames() throws Exception {
        try (RedisCluster cluster = RedisCluster.start(3, 1); RedisServer target = RedisServer.start(); RedisServer otherTarget = RedisServer.start();
             KafkaProducer<String, String> producer = producer()) {
            String options = "{\"guardTarget\":false}";
            String a = given().contentType(ContentType.JSON).body(body("cluster-a", cluster.masters().get(0).uri() + "?cluster=yes", target.uri(), options))
                    .post("/api/migrations").then().statusCode(201).body("source.topology", equalTo("cluster")).extract().path("id");
            String b = given().contentType(ContentType.JSON).body(body("cluster-b", cluster.replicas().get(1).uri() + "?cluster=yes", otherTarget.uri(),
                    options)).post("/api/migrations").then().statusCode(201).extract().path("id");
            for (String id : List.of(a, b)) {
                given().post("/api/migrations/" + id + "/validate").then().statusCode(202);
                send(producer, StatusEvent.validation(new RunKey(id, 1), "v", List.of()));
                awaitState(id, "VALIDATED");
            }
            given().post("/api/migrations/" + a + "/start").then().statusCode(202);
            given().post("/api/migrations/" + b + "/start").then().statusCode(409)
                    .body("detail", containsString("same server as the source of live migration 'cluster-a'"));
            given().post("/api/migrations/" + a + "/stop").then().statusCode(202);
        }
    }

    @Test
    void aTargetThatGotKeysSinceItsValidationIsNotCopiedOverWithoutOverwrite() throws Exception {
        try (RedisServer source = RedisServer.start(); RedisServer target = RedisServer.start(); KafkaProducer<String, String> producer = producer()) {
            String id = given().contentType(ContentType.JSON).body(body("filled-since", source.uri(), target.uri(), "{\"guardTarget\":false}"))
                    .post("/api/migrations").then().statusCode(201).extract().path("id");
            given().post("/api/migrations/" + id + "/validate").then().statusCode(202);
            send(producer, StatusEvent.validation(new RunKey(id, 1), "v", List.of()));
            awaitState(id, "VALIDATED");
            target.cli("SET", "written-meanwhile", "1");
            given().post("/api/migrations/" + id + "/start").then().statusCode(409).contentType("application/problem+json")
                    .body("detail", containsString("holds 1 key(s) now")).body("state", equalTo("VALIDATED"));
            target.cli("FLUSHALL");
            given().post("/api/migrations/" + id + "/start").then().statusCode(202);
            given().post("/api/migrations/" + id + "/stop").then().statusCode(202);
        }
    }

    @Test
    void theSourcesNotifySettingIsGivenBackEvenWhenTheReplicatorDiesRightAfterChangingIt() throws Exception {
        try (RedisServer source = RedisServer.start(); RedisServer target = RedisServer.start()) {
            source.cli("CONFIG", "SET", "notify-keyspace-events", "Ex");
            String id = given().contentType(ContentType.JSON)
                    .body(body("notify", source.uri(), target.uri(), "{\"guardTarget\":false,\"configureSourceNotifications\":true}"))
                    .post("/api/migrations").then().statusCode(201).extract().path("id");
            try (KafkaProducer<String, String> producer = producer()) {
                validateAndStart(id, producer);
                // what the replicator does: the old value on record first, then the change; then it dies before "ready"
                send(producer, StatusEvent.captureConfiguring(new RunKey(id, 1), "replicator-dying", "Ex"));
                await(() -> given().get("/api/migrations/" + id + "/audit").then().extract().asString().contains("capture-configuring"),
                        "the old value recorded");
                source.cli("CONFIG", "SET", "notify-keyspace-events", "KEA");

                given().post("/api/migrations/" + id + "/stop").then().statusCode(202);
                await(() -> source.cli("CONFIG", "GET", "notify-keyspace-events").endsWith("xE"), "notify-keyspace-events given back");
                await(() -> given().get("/api/migrations/" + id + "/audit").then().extract().asString().contains("source-restored"),
                        "the restore in the audit trail");
            }
        }
    }

    @Test
    void temporaryKeysAnEndedRunLeftOnTheTargetAreSwept() throws Exception {
        try (RedisServer source = RedisServer.start(); RedisServer target = RedisServer.start()) {
            String id = given().contentType(ContentType.JSON).body(body("sweep", source.uri(), target.uri(), "{\"guardTarget\":false}"))
                    .post("/api/migrations").then().statusCode(201).extract().path("id");
            try (KafkaProducer<String, String> producer = producer()) {
                validateAndStart(id, producer);
                // what a copier that died while building two big keys leaves behind (with their safety TTL)
                target.cli("RPUSH", "dfm:tmp:" + id + ":1:half-list", "a", "b");
                target.cli("-n", "3", "HSET", "dfm:tmp:" + id + ":1:half-hash", "f", "v");
                target.cli("SET", "dfm:tmp:another-migration:1:x", "kept");
                target.cli("SET", "app:key", "kept");
                given().post("/api/migrations/" + id + "/stop").then().statusCode(202);

                await(() -> given().get("/api/migrations/" + id + "/audit").then().extract().asString().contains("tmp-swept"),
                        "the sweep in the audit trail");
                assertEquals("0", target.cli("EXISTS", "dfm:tmp:" + id + ":1:half-list"));
                assertEquals("0", target.cli("-n", "3", "EXISTS", "dfm:tmp:" + id + ":1:half-hash"));
                assertEquals("kept", target.cli("GET", "dfm:tmp:another-migration:1:x"), "another migration's keys stay");
                assertEquals("kept", target.cli("GET", "app:key"));
                given().get("/api/migrations/" + id + "/audit").then().body("detail", org.hamcrest.Matchers.hasItem(
                        org.hamcrest.Matchers.containsString("2 temporary key(s) of big keys left by run 1")));
            }
        }
    }
}

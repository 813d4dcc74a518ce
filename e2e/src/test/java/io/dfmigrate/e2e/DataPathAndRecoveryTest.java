package io.dfmigrate.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.dfmigrate.common.endpoint.RedisEndpoint;
import io.dfmigrate.common.redis.BlockingRedis;
import io.dfmigrate.localstack.LocalStack;
import io.dfmigrate.localstack.Ports;
import io.dfmigrate.localstack.RedisServer;
import io.dfmigrate.localstack.ServiceProcess;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The data path and its recovery end to end, as users run it: Kafka, PostgreSQL and the four services as separate
 * processes from their built artifacts (the launcher run.sh uses), two redis-servers, driven only over REST. Every key,
 * TTL and live write arrives (DEBUG DIGEST), and a killed orchestrator, copier or replicator costs nothing.
 */
class DataPathAndRecoveryTest {
    static LocalStack stack;
    static Api api;

    /** Among the shared settings: the DBSIZE drift watch every 3 s instead of 30 s, a silent capture taken over after 8 s. */
    @RegisterExtension
    static final E2eStack STACK = E2eStack.shared();

    @BeforeAll
    static void startStack() {
        stack = STACK.stack();
        api = STACK.api();
    }

    static String create(String name, String source, String target, String options) {
        return api.create(name, source, target, options);
    }

    @Test
    void migratesEveryDatabaseWithTtlsThroughKafkaAndTheDigestsMatch() {
        try (RedisServer source = RedisServer.start("--requirepass", "src-pass"); RedisServer target = RedisServer.start()) {
            String auth = "src-pass";
            source.cli("-a", auth, "--no-auth-warning", "DEBUG", "POPULATE", "3000", "str", "64");
            source.cli("-a", auth, "--no-auth-warning", "SET", "empty", "");
            source.cli("-a", auth, "--no-auth-warning", "SET", "ttl-key", "v", "EX", "3600");
            source.cli("-a", auth, "--no-auth-warning", "-n", "1", "HSET", "h", "a", "1", "b", "2");
            source.cli("-a", auth, "--no-auth-warning", "-n", "1", "RPUSH", "l", "x", "y", "z");
            source.cli("-a", auth, "--no-auth-warning", "-n", "1", "SADD", "s", "m1", "m2");
            source.cli("-a", auth, "--no-auth-warning", "-n", "2", "ZADD", "z", "1", "a", "2", "b");
            source.cli("-a", auth, "--no-auth-warning", "-n", "2", "XADD", "st", "*", "f", "v");
            source.cli("-a", auth, "--no-auth-warning", "-n", "2", "PEXPIRE", "z", "7200000");
            source.cli("-a", auth, "--no-auth-warning", "CONFIG", "SET", "notify-keyspace-events", "KEA");

            String id = create("skeleton", "redis://:src-pass@127.0.0.1:" + source.port(), target.uri(), null);
            JsonNode created = api.get("/api/migrations/" + id).json();
            assertEquals("redis://:****@127.0.0.1:" + source.port(), created.at("/source/uri").asText());
            assertFalse(api.get("/api/migrations").body().contains("src-pass"), "password never echoed");

            assertEquals(202, api.post("/api/migrations/" + id + "/validate", null).status());
            JsonNode validated = api.await(id, m -> !m.path("state").asText().equals("VALIDATING"), Duration.ofSeconds(30));
            assertEquals("VALIDATED", validated.get("state").asText(), validated.toString());

            Api.Reply started = api.post("/api/migrations/" + id + "/start", null);
            assertEquals(202, started.status(), started.body());
            JsonNode copied = api.await(id, m -> m.path("state").asText().matches("REPLICATING|FAILED"), Duration.ofSeconds(90));
            assertEquals("REPLICATING", copied.get("state").asText(), copied.toString());
            assertEquals(3007, copied.at("/progress/keysTotal").asLong());
            assertEquals(3007, copied.at("/progress/keysCopied").asLong());
            assertEquals(0, copied.at("/progress/keysFailed").asLong());
            assertEquals(100.0, copied.at("/progress/percent").asDouble());
            assertTrue(copied.at("/progress/bytesCopied").asLong() > 3000 * 10, copied.toString()); // DUMP payloads are LZF-compressed

            assertEquals(source.cli("-a", auth, "--no-auth-warning", "DEBUG", "DIGEST"), target.cli("DEBUG", "DIGEST"));
            assertEquals(3007, api.assertVerifiedEqual(id).path("keysChecked").asLong());
            for (int db = 0; db < 3; db++) {
                assertEquals(source.cli("-a", auth, "--no-auth-warning", "-n", Integer.toString(db), "DBSIZE"),
                        target.cli("-n", Integer.toString(db), "DBSIZE"), "db " + db);
            }
            assertTrue(Long.parseLong(target.cli("TTL", "ttl-key")) > 3500);
            assertTrue(Long.parseLong(target.cli("-n", "2", "PTTL", "z")) > 7_000_000);

            assertEquals(202, api.post("/api/migrations/" + id + "/complete", "{\"cutover\":false}").status());
            api.awaitState(id, "COMPLETED", Duration.ofSeconds(10));
            List<String> transitions = new ArrayList<>();
            for (JsonNode a : api.get("/api/migrations/" + id + "/audit").json()) {
                if (!a.path("toState").isNull() && a.has("toState")) {
                    transitions.add(a.get("toState").asText());
                }
            }
            assertEquals(List.of("CREATED", "VALIDATING", "VALIDATED", "COPYING", "REPLICATING", "COMPLETED"), transitions);
        }
    }

    /**
     * The verification as a user runs it (issue: prove it on any target): while replicating under live writes it finds
     * nothing; five changes made on the target behind the migration's back are reported exactly, with their reasons;
     * once they are repaired a second verification finds nothing again.
     */
    @Test
    void verificationFindsExactlyTheKeysChangedOnTheTargetAndNothingUnderLiveWrites() throws Exception {
        Vertx vertx = Vertx.vertx();
        try (RedisServer source = RedisServer.start(); RedisServer target = RedisServer.start()) {
            source.cli("DEBUG", "POPULATE", "5000", "key", "32");
            source.cli("SET", "v", "original");
            source.cli("HSET", "h", "a", "1", "b", "2");
            source.cli("SET", "ttl-key", "t", "EX", "3600");
            source.cli("XADD", "st", "1-1", "f", "v");
            source.cli("XGROUP", "CREATE", "st", "g", "0");
            source.cli("CONFIG", "SET", "notify-keyspace-events", "KEA");
            // guardTarget=false: this test writes to the target itself, as a careless application would
            String id = create("verified", source.uri(), target.uri(), "{\"guardTarget\":false}");
            assertEquals(202, api.post("/api/migrations/" + id + "/validate", null).status());
            assertEquals("VALIDATED", api.await(id, m -> !m.path("state").asText().equals("VALIDATING"), Duration.ofSeconds(30))
                    .get("state").asText());
            assertEquals(202, api.post("/api/migrations/" + id + "/start", null).status());
            assertEquals("REPLICATING", api.await(id, m -> m.path("state").asText().matches("REPLICATING|FAILED"), Duration.ofSeconds(90))
                    .get("state").asText());

            AtomicBoolean writing = new AtomicBoolean(true);
            AtomicLong writes = new AtomicLong();
            Thread writer = Thread.ofVirtual().start(() -> {
                Random rnd = new Random(7);
                try (var db0 = BlockingRedis.connect(vertx, RedisEndpoint.parse(source.uri()), 0, Duration.ofSeconds(10))) {
                    for (int i = 0; writing.get(); i++) {
                        db0.pipeline(List.of(cmd(Command.SET, "key:" + rnd.nextInt(5000), "w" + i),
                                cmd(Command.SET, "live:" + i, "x", "EX", "600"), cmd(Command.DEL, "key:" + rnd.nextInt(5000))));
                        writes.addAndGet(3);
                        Thread.sleep(5);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            try {
                JsonNode live = api.verify(id, null, Duration.ofSeconds(120));
                assertEquals(0, live.path("keysDiffering").asLong(), "no false differences under live writes: " + live);
                assertTrue(live.path("keysChecked").asLong() >= 4000, live.toString());
                assertEquals(100.0, live.path("percent").asDouble(), live.toString());
            } finally {
                writing.set(false);
                writer.join();
            }
            assertTrue(writes.get() > 300, "writes: " + writes.get());

            target.cli("SET", "v", "changed");                                                           // value
            target.cli("DEL", "h");                                                                      // missing on target
            target.cli("SET", "extra", "x");                                                             // extra on target
            target.cli("PEXPIRE", "ttl-key", Long.toString(Long.parseLong(source.cli("PTTL", "ttl-key")) + 10_000)); // TTL + 10 s
            target.cli("XADD", "st", "2-1", "f", "w");                                                   // one stream entry more
            JsonNode found = api.verify(id, "{\"mode\":\"full\"}", Duration.ofSeconds(120));
            assertEquals(5, found.path("keysDiffering").asLong(), found.toString());
            Map<String, String> reasons = new java.util.TreeMap<>();
            found.get("differences").forEach(d -> reasons.put(d.get("key").asText(), d.get("reason").asText()));
            assertEquals(Map.of("v", "value", "h", "missing-on-target", "extra", "extra-on-target", "ttl-key", "ttl", "st", "value"), reasons);
            for (JsonNode d : found.get("differences")) {
                if (d.get("key").asText().equals("ttl-key")) {
                    long apart = d.at("/target/ttlMillis").asLong() - d.at("/source/ttlMillis").asLong();
                    assertTrue(apart > 9_000 && apart < 11_000, d.toString());
                }
                if (d.get("key").asText().equals("st")) {
                    assertEquals(1, d.at("/source/length").asLong());
                    assertEquals(2, d.at("/target/length").asLong());
                }
            }
            JsonNode page = api.get("/api/migrations/" + id + "/verification/diff?limit=2").json();
            assertEquals(2, page.get("items").size());
            JsonNode rest = api.get("/api/migrations/" + id + "/verification/diff?limit=10&after=" + page.get("next").asLong()).json();
            assertEquals(3, rest.get("items").size());
            assertTrue(rest.get("next").isNull(), rest.toString());
            List<String> audit = new ArrayList<>();
            api.get("/api/migrations/" + id + "/audit").json().forEach(a -> audit.add(a.get("action").asText() + ": " + a.path("detail").asText()));
            assertTrue(audit.stream().anyMatch(a -> a.startsWith("verify-done: verification 2:") && a.contains("5 differ")), audit.toString());

            // repaired by touching the keys on the source (the replication re-syncs them); the stream's extra entry deleted on
            // the target leaves its counters apart (entries-added, max-deleted-id: the verification compares them), so the
            // stream is touched on the source too and arrives whole
            source.cli("SET", "v", "original");
            source.cli("HSET", "h", "a", "1");
            source.cli("SET", "extra", "x");
            source.cli("DEL", "extra");
            source.cli("EXPIRE", "ttl-key", "3600");
            target.cli("XDEL", "st", "2-1");
            source.cli("XADD", "st", "3-1", "f", "x");
            api.await(id, m -> "0".equals(target.cli("EXISTS", "extra")) && "2".equals(target.cli("HLEN", "h"))
                    && target.cli("XRANGE", "st", "3-1", "3-1").contains("3-1"), Duration.ofSeconds(30));
            JsonNode again = api.assertVerifiedEqual(id);
            assertEquals(3, again.path("number").asInt());
            api.post("/api/migrations/" + id + "/complete", "{\"cutover\":false}");
        } finally {
            vertx.close();
        }
    }

    @Test
    void aLongCopyReportsLiveProgressEverySecond() {
        try (RedisServer source = RedisServer.start(); RedisServer target = RedisServer.start()) {
            source.cli("DEBUG", "POPULATE", "60000", "k", "32");
            source.cli("CONFIG", "SET", "notify-keyspace-events", "KEA");
            // 3 source operations per key at 30,000 per second: about 6 s of copying
            String id = create("progress", source.uri(), target.uri(), "{\"maxSourceOpsPerSecond\":30000}");
            assertEquals(202, api.post("/api/migrations/" + id + "/validate", null).status());
            api.awaitState(id, "VALIDATED", Duration.ofSeconds(30));
            assertEquals(202, api.post("/api/migrations/" + id + "/start", null).status());
            TreeSet<Long> seen = new TreeSet<>();
            double fastest = 0;
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            JsonNode m;
            do {
                m = api.get("/api/migrations/" + id).json();
                JsonNode live = m.at("/progress/live");
                if ("COPYING".equals(m.path("state").asText()) && live.isObject()) {
                    seen.add(live.path("keys").asLong());
                    fastest = Math.max(fastest, live.path("keysPerSecond").asDouble());
                    assertEquals(1, live.path("workers").asInt(), live.toString());
                }
                E2e.sleep(200);
            } while (!m.path("state").asText().matches("REPLICATING|FAILED") && System.nanoTime() < deadline);
            assertEquals("REPLICATING", m.path("state").asText(), m.toString());
            seen.remove(0L);
            assertTrue(seen.size() >= 3, "live keys reported every second while copying: " + seen);
            assertTrue(fastest > 0, "a live rate is reported: " + fastest);
            assertTrue(m.at("/progress/live").isNull() || m.at("/progress/live").isMissingNode(), "live totals only while copying");
            assertEquals(60000, m.at("/progress/keysCopied").asLong(), m.toString());
            assertEquals(source.cli("DEBUG", "DIGEST"), target.cli("DEBUG", "DIGEST"));
        }
    }

    @Test
    void anOrchestratorKilledMidCopyResumesFromTheDatabaseAndTopicsWithExactCounts() {
        try (RedisServer source = RedisServer.start(); RedisServer target = RedisServer.start()) {
            source.cli("DEBUG", "POPULATE", "60000", "k", "32");
            source.cli("CONFIG", "SET", "notify-keyspace-events", "KEA");
            String id = create("recovery", source.uri(), target.uri(), null);
            assertEquals(202, api.post("/api/migrations/" + id + "/validate", null).status());
            api.awaitState(id, "VALIDATED", Duration.ofSeconds(30));
            assertEquals(202, api.post("/api/migrations/" + id + "/start", null).status());
            stack.service("orchestrator").kill();
            E2e.sleep(1500);
            stack.startService("orchestrator", "orchestrator", stack.service("orchestrator").httpPort());
            JsonNode m = api.await(id, x -> x.path("state").asText().matches("REPLICATING|FAILED"), Duration.ofSeconds(90));
            assertEquals("REPLICATING", m.get("state").asText(), m.toString());
            assertEquals(60000, m.at("/progress/keysCopied").asLong(), m.toString());
            assertEquals(60000, m.at("/progress/keysTotal").asLong(), m.toString());
            assertEquals(m.at("/progress/batchesTotal").asLong(), m.at("/progress/batchesDone").asLong(), m.toString());
            assertEquals(source.cli("DEBUG", "DIGEST"), target.cli("DEBUG", "DIGEST"));
        }
    }

    @Test
    void writesDuringCopyAndReplicationAllReachTheTarget() throws Exception {
        Vertx vertx = Vertx.vertx();
        try (RedisServer source = RedisServer.start(); RedisServer target = RedisServer.start()) {
            source.cli("DEBUG", "POPULATE", "40000", "key", "64");
            source.cli("-n", "1", "DEBUG", "POPULATE", "5000", "one", "32");
            target.cli("ACL", "SETUSER", "app", "on", ">app-pw", "~*", "+@all");
            String aclBefore = target.cli("ACL", "LIST");
            String id = create("zero-loss", source.uri(), target.uri(), "{\"configureSourceNotifications\":true}");
            assertEquals("", source.cli("CONFIG", "GET", "notify-keyspace-events").lines().skip(1).findFirst().orElse(""));
            assertEquals(202, api.post("/api/migrations/" + id + "/validate", null).status());
            JsonNode v = api.await(id, m -> !m.path("state").asText().equals("VALIDATING"), Duration.ofSeconds(30));
            assertEquals("VALIDATED", v.get("state").asText(), v.toString());

            AtomicBoolean writing = new AtomicBoolean(true);
            AtomicLong writes = new AtomicLong();
            Thread writer = Thread.ofVirtual().start(() -> write(vertx, source, writing, writes));
            try {
                assertEquals(202, api.post("/api/migrations/" + id + "/start", null).status());
                JsonNode replicating = api.await(id, m -> m.path("state").asText().matches("REPLICATING|FAILED"), Duration.ofSeconds(90));
                assertEquals("REPLICATING", replicating.get("state").asText(), replicating.toString());
                String flags = source.cli("CONFIG", "GET", "notify-keyspace-events").lines().skip(1).findFirst().orElse("");
                assertTrue(flags.contains("K") && flags.contains("A"), "capture enabled notifications: " + flags);
                // the target write guard: applications cannot write to the target while the migration runs
                assertEquals("ACTIVE", replicating.at("/targetGuard/status").asText(), replicating.toString());
                assertTrue(target.cli("SET", "intruder", "1").contains("NOPERM"));
                assertTrue(target.cli("--user", "app", "--pass", "app-pw", "--no-auth-warning", "DEL", "key:1").contains("NOPERM"));
                E2e.sleep(3000); // keep writing while replicating
            } finally {
                writing.set(false);
                writer.join();
            }
            assertTrue(writes.get() > 1000, "writer made " + writes.get() + " writes");
            // drained: nothing pending, and stays so
            JsonNode drained = api.await(id, m -> m.at("/replication/pendingChanges").asLong(-1) == 0
                    && m.at("/replication/appliedChanges").asLong() > 0, Duration.ofSeconds(60));
            E2e.sleep(2500);
            drained = api.await(id, m -> m.at("/replication/pendingChanges").asLong(-1) == 0, Duration.ofSeconds(30));
            for (int db = 0; db < 3; db++) {
                assertEquals(source.cli("-n", Integer.toString(db), "DBSIZE"), target.cli("-n", Integer.toString(db), "DBSIZE"), "db " + db);
            }
            assertEquals(source.cli("DEBUG", "DIGEST"), target.cli("DEBUG", "DIGEST"), drained.toString());
            api.assertVerifiedEqual(id); // while the target is guarded: the verifiers read as the migration's own user
            assertTrue(drained.at("/replication/lagMillis").asLong() < 10_000, drained.toString());

            // cutover: writes paused on the source, drained, verified, pause lifted
            Api.Reply cut = api.post("/api/migrations/" + id + "/complete", "{\"cutover\":true}");
            assertEquals(202, cut.status(), cut.body());
            JsonNode done = api.await(id, m -> "COMPLETED".equals(m.path("state").asText())
                    && m.at("/cutover/state").asText().matches("DONE|MISMATCH"), Duration.ofSeconds(40));
            assertEquals("DONE", done.at("/cutover/state").asText(), done.toString());
            assertTrue(done.at("/cutover/pauseMillis").asLong() > 0, done.toString());
            assertTrue(done.at("/cutover/detail").asText().contains("key counts equal"), done.toString());
            assertEquals("OK", source.cli("SET", "after-cutover", "writes resumed"));
            assertEquals("LIFTED", done.at("/targetGuard/status").asText(), done.toString());
            assertEquals(aclBefore, target.cli("ACL", "LIST"), "the target's users are as they were");
            assertEquals("OK", target.cli("--user", "app", "--pass", "app-pw", "--no-auth-warning", "SET", "after-cutover", "on the target"));
            api.await(id, m -> source.cli("CONFIG", "GET", "notify-keyspace-events").lines().skip(1).findFirst().orElse("").isEmpty(),
                    Duration.ofSeconds(10));
            List<String> actions = new ArrayList<>();
            api.get("/api/migrations/" + id + "/audit").json().forEach(a -> actions.add(a.get("action").asText()));
            assertTrue(actions.containsAll(List.of("guard-applied", "capture-ready", "copy-done", "cutover-requested", "cutover-paused",
                    "complete", "guard-lifted", "cutover-done")), actions.toString());
        } finally {
            vertx.close();
        }
    }

    @Test
    void aSnapshotCopyUnderLiveWritesLosesNothingAndTheCutoverVerifies() throws Exception {
        Vertx vertx = Vertx.vertx();
        try (RedisServer source = RedisServer.start(); RedisServer target = RedisServer.start()) {
            source.cli("DEBUG", "POPULATE", "40000", "key", "64");
            source.cli("-n", "1", "DEBUG", "POPULATE", "5000", "one", "32");
            source.cli("-n", "2", "EVAL", "for i=1,3000 do redis.call('HSET','hash:'..i,'a',i,'b','x') redis.call('RPUSH','list:'..i,i,i+1) "
                    + "redis.call('ZADD','zset:'..i,i,'m') redis.call('XADD','stream:'..(i%50),'*','f',i) "
                    + "if i%3==0 then redis.call('PEXPIRE','hash:'..i,86400000+i) end end", "0");
            // copyMode auto: this source (Redis 7.0, its default user may PSYNC) gets the snapshot copy, and the check and the
            // migration say so
            String id = create("snapshot", source.uri(), target.uri(), "{\"configureSourceNotifications\":true,\"copyMode\":\"auto\"}");
            assertEquals(202, api.post("/api/migrations/" + id + "/validate", null).status());
            JsonNode v = api.await(id, m -> !m.path("state").asText().equals("VALIDATING"), Duration.ofSeconds(30));
            assertEquals("VALIDATED", v.get("state").asText(), v.toString());
            assertTrue(v.toString().contains("reads the source's RDB snapshot"), v.toString());
            assertTrue(v.toString().contains("copyMode auto: the copy will read the source's RDB snapshot"), v.toString());

            AtomicBoolean writing = new AtomicBoolean(true);
            AtomicLong writes = new AtomicLong();
            Thread writer = Thread.ofVirtual().start(() -> write(vertx, source, writing, writes));
            JsonNode replicating;
            try {
                assertEquals(202, api.post("/api/migrations/" + id + "/start", "{\"acknowledgeWarnings\":true}").status());
                replicating = api.await(id, m -> m.path("state").asText().matches("REPLICATING|FAILED"), Duration.ofSeconds(90));
                assertEquals("REPLICATING", replicating.get("state").asText(), replicating.toString());
                E2e.sleep(3000); // keep writing while replicating
            } finally {
                writing.set(false);
                writer.join();
            }
            assertTrue(writes.get() > 1000, "writer made " + writes.get() + " writes");
            assertEquals("auto", replicating.at("/options/copyMode").asText(), replicating.toString());
            assertEquals("snapshot", replicating.at("/progress/copyMode").asText(), replicating.toString());
            assertTrue(replicating.at("/progress/copyModeReason").asText().startsWith("copyMode auto:"), replicating.toString());
            assertTrue(replicating.at("/progress/batchesDone").asLong() >= 3, "one batch per database at least: " + replicating);
            assertTrue(replicating.at("/progress/keysCopied").asLong() >= 54_050, replicating.toString());
            api.await(id, m -> m.at("/replication/pendingChanges").asLong(-1) == 0 && m.at("/replication/appliedChanges").asLong() > 0,
                    Duration.ofSeconds(60));
            Api.Reply cut = api.post("/api/migrations/" + id + "/complete", "{\"cutover\":true}");
            assertEquals(202, cut.status(), cut.body());
            JsonNode done = api.await(id, m -> m.path("state").asText().matches("COMPLETED|FAILED")
                    && m.at("/cutover/state").asText().matches("DONE|MISMATCH"), Duration.ofSeconds(60));
            assertEquals("DONE", done.at("/cutover/state").asText(), done.toString());
            assertEquals(source.cli("DEBUG", "DIGEST"), target.cli("DEBUG", "DIGEST"));
            long off = Math.abs(Long.parseLong(source.cli("-n", "2", "PEXPIRETIME", "hash:3"))
                    - Long.parseLong(target.cli("-n", "2", "PEXPIRETIME", "hash:3")));
            assertTrue(off <= 10, "TTL off by " + off + " ms (the snapshot's absolute expiry, through two clock offsets)");
            assertTrue(source.cli("INFO", "replication").contains("connected_slaves:0"), "the snapshot's replica link is closed");
        } finally {
            vertx.close();
        }
    }

    @Test
    void withOverwriteTheTargetsOwnKeysSurviveAndTheCutoverStillVerifies() throws Exception {
        Vertx vertx = Vertx.vertx();
        try (RedisServer source = RedisServer.start(); RedisServer target = RedisServer.start()) {
            source.cli("DEBUG", "POPULATE", "20000", "key", "64");
            for (int i = 0; i < 50; i++) {
                target.cli("SET", "own:" + i, "the target's " + i);
            }
            target.cli("SET", "key:7", "the target's value, replaced by the source's");
            target.cli("-n", "3", "SET", "config", "a database the source does not have");
            target.cli("SET", "own:ttl", "x", "EX", "100000");
            String id = create("own-keys", source.uri(), target.uri(), "{\"overwrite\":true,\"configureSourceNotifications\":true}");
            assertEquals(202, api.post("/api/migrations/" + id + "/validate", null).status());
            JsonNode v = api.await(id, m -> !m.path("state").asText().equals("VALIDATING"), Duration.ofSeconds(30));
            assertEquals("VALIDATED", v.get("state").asText(), v.toString());

            AtomicBoolean writing = new AtomicBoolean(true);
            AtomicLong writes = new AtomicLong();
            Thread writer = Thread.ofVirtual().start(() -> write(vertx, source, writing, writes));
            try {
                Api.Reply started = api.post("/api/migrations/" + id + "/start", "{\"acknowledgeWarnings\":true}");
                assertEquals(202, started.status(), started.body());
                JsonNode replicating = api.await(id, m -> m.path("state").asText().matches("REPLICATING|FAILED"), Duration.ofSeconds(90));
                assertEquals("REPLICATING", replicating.get("state").asText(), replicating.toString());
                assertEquals(53, replicating.path("targetOwnKeys").asLong(), replicating.toString());
                E2e.sleep(3000);
            } finally {
                writing.set(false);
                writer.join();
            }
            api.await(id, m -> m.at("/replication/pendingChanges").asLong(-1) == 0 && m.at("/replication/appliedChanges").asLong() > 0,
                    Duration.ofSeconds(60));
            Api.Reply cut = api.post("/api/migrations/" + id + "/complete", "{\"cutover\":true}");
            assertEquals(202, cut.status(), cut.body());
            JsonNode done = api.await(id, m -> m.path("state").asText().matches("COMPLETED|FAILED")
                    && m.at("/cutover/state").asText().matches("DONE|MISMATCH"), Duration.ofSeconds(60));
            // without the own keys left out, the counts differ by 51 keys without a TTL (own:0..49 and db3's config)
            assertEquals("DONE", done.at("/cutover/state").asText(), done.toString());
            assertTrue(done.at("/cutover/detail").asText().contains("51 key(s) the target held before the migration not counted"),
                    done.toString());
            assertEquals("the target's 7", target.cli("GET", "own:7"), "the target's own keys survive");
            assertEquals("a database the source does not have", target.cli("-n", "3", "GET", "config"));
            // without them, the target is the source
            for (int i = 0; i < 50; i++) {
                target.cli("DEL", "own:" + i);
            }
            target.cli("DEL", "own:ttl");
            target.cli("-n", "3", "DEL", "config");
            assertEquals(source.cli("DEBUG", "DIGEST"), target.cli("DEBUG", "DIGEST"));
        } finally {
            vertx.close();
        }
    }

    /** SHA-1 over the sorted names and string values of a database's keys matching {@code pattern} (strings only). */
    static String patternDigest(RedisServer server, int db, String pattern) {
        return server.cli("-n", Integer.toString(db), "EVAL", "local ks = redis.call('KEYS', ARGV[1]) table.sort(ks) local out = {} "
                + "for _, k in ipairs(ks) do out[#out + 1] = k .. '=' .. tostring(redis.call('GET', k)) end "
                + "return #ks .. ':' .. redis.sha1hex(table.concat(out, '\\n'))", "0", pattern);
    }

    /**
     * A scoped migration ({@code dbs:[0]}, {@code keyPattern:"app:*"}, {@code overwrite}) onto a target that holds keys of
     * its own in db 0 and db 3, under live writes inside and outside the scope and through a reconciliation: the target's
     * keys are never touched, every {@code app:*} change of db 0 arrives, and the cutover verifies (the key counts of whole
     * databases cannot match under a key pattern: the keys are compared).
     */
    @Test
    void aScopedMigrationOntoASharedTargetKeepsToItsKeysThroughReplicationReconciliationAndCutover() throws Exception {
        try (RedisServer source = RedisServer.start(); RedisServer target = RedisServer.start()) {
            source.cli("EVAL", "for i = 1, 2000 do redis.call('SET', 'app:' .. i, 'v' .. i) redis.call('SET', 'other:' .. i, 'o' .. i) end", "0");
            source.cli("-n", "3", "EVAL", "for i = 1, 100 do redis.call('SET', 'app:' .. i, 'db3-' .. i) end", "0");
            target.cli("SET", "other:1", "the target's own other:1");
            target.cli("SET", "theirs", "the target's own key");
            target.cli("-n", "3", "SET", "app:1", "the target's own app:1 in db 3");
            String id = create("scoped-shared-target", source.uri(), target.uri(),
                    "{\"overwrite\":true,\"dbs\":[0],\"keyPattern\":\"app:*\",\"configureSourceNotifications\":true}");
            assertEquals(202, api.post("/api/migrations/" + id + "/validate", null).status());
            JsonNode v = api.await(id, m -> !m.path("state").asText().equals("VALIDATING"), Duration.ofSeconds(30));
            assertEquals("VALIDATED", v.get("state").asText(), v.toString());
            assertEquals(202, api.post("/api/migrations/" + id + "/start", "{\"acknowledgeWarnings\":true}").status());
            JsonNode r = api.await(id, m -> m.path("state").asText().matches("REPLICATING|FAILED"), Duration.ofSeconds(90));
            assertEquals("REPLICATING", r.get("state").asText(), r.toString());
            assertEquals(2000, r.at("/progress/keysCopied").asLong(), "only db 0's app:* keys: " + r);

            // writes and deletes inside and outside the scope
            source.cli("EVAL", "for i = 1, 300 do redis.call('SET', 'app:' .. i, 'changed' .. i) redis.call('SET', 'other:' .. i, 'x') end "
                    + "for i = 301, 350 do redis.call('DEL', 'app:' .. i) redis.call('DEL', 'other:' .. i) end "
                    + "redis.call('SET', 'app:new', 'new') redis.call('DEL', 'other:1') redis.call('SET', 'theirs', 'source') "
                    + "redis.call('DEL', 'theirs')", "0");
            source.cli("-n", "3", "EVAL", "redis.call('DEL', 'app:1') redis.call('SET', 'app:2', 'w') return 1", "0");
            // a FLUSHDB of a database outside the scope produces no per-key notification: a reconciliation of the scope follows
            source.cli("-n", "7", "FLUSHDB");
            JsonNode reconciled = api.await(id, m -> m.at("/replication/reconciliations").asLong() >= 1
                    && !m.at("/replication/reconciling").asBoolean(), Duration.ofSeconds(90));
            assertEquals("REPLICATING", reconciled.get("state").asText(), reconciled.toString());
            source.cli("SET", "app:after-reconcile", "late");
            source.cli("SET", "other:after-reconcile", "late");
            api.await(id, m -> "late".equals(target.cli("GET", "app:after-reconcile"))
                    && m.at("/replication/pendingChanges").asLong(-1) == 0, Duration.ofSeconds(60));
            assertEquals(patternDigest(source, 0, "app:*"), patternDigest(target, 0, "app:*"));

            Api.Reply cut = api.post("/api/migrations/" + id + "/complete", "{\"cutover\":true}");
            assertEquals(202, cut.status(), cut.body());
            JsonNode done = api.await(id, m -> m.path("state").asText().matches("COMPLETED|FAILED")
                    && m.at("/cutover/state").asText().matches("DONE|MISMATCH"), Duration.ofSeconds(60));
            assertEquals("DONE", done.at("/cutover/state").asText(), done.toString());
            assertEquals(patternDigest(source, 0, "app:*"), patternDigest(target, 0, "app:*"));
            assertEquals("the target's own other:1", target.cli("GET", "other:1"), "a DEL outside the pattern leaves the target's key");
            assertEquals("the target's own key", target.cli("GET", "theirs"), "a write and DEL outside the pattern too");
            assertEquals("the target's own app:1 in db 3", target.cli("-n", "3", "GET", "app:1"), "db 3 is outside the scope");
            assertEquals("1", target.cli("-n", "3", "DBSIZE"), "nothing of the source's db 3 arrived");
            assertEquals("", target.cli("GET", "other:after-reconcile"));
            assertEquals("", target.cli("GET", "other:2"), "no other:* key of the source arrived");
        }
    }

    @Test
    void aReplicatorKilledOrStoppedWhileCapturingIsTakenOverByAnotherAndNothingIsLost() throws Exception {
        stack.startService("replicator", "replicator-2", Ports.free());
        Vertx vertx = Vertx.vertx();
        try (RedisServer source = RedisServer.start(); RedisServer target = RedisServer.start()) {
            source.cli("DEBUG", "POPULATE", "40000", "key", "64");
            String id = create("capture-takeover", source.uri(), target.uri(), "{\"configureSourceNotifications\":true}");
            api.post("/api/migrations/" + id + "/validate", null);
            api.awaitState(id, "VALIDATED", Duration.ofSeconds(30));
            AtomicBoolean writing = new AtomicBoolean(true);
            AtomicLong writes = new AtomicLong();
            Thread writer = Thread.ofVirtual().start(() -> write(vertx, source, writing, writes));
            try {
                api.post("/api/migrations/" + id + "/start", null);
                JsonNode replicating = api.await(id, m -> m.path("state").asText().matches("REPLICATING|FAILED"), Duration.ofSeconds(90));
                assertEquals("REPLICATING", replicating.get("state").asText(), replicating.toString());
                String first = replicating.at("/replication/captureWorker").asText();
                assertTrue(first.startsWith("replicator/"), replicating.toString());
                String killed = first.substring("replicator/".length());
                stack.service(killed).kill(); // SIGKILL: no goodbye, the capture just goes silent
                long writesAtKill = writes.get();
                JsonNode taken = awaitTakeovers(id, 1);
                assertNotEquals(first, taken.at("/replication/captureWorker").asText(), taken.toString());
                assertTrue(writes.get() > writesAtKill, "writes went on while the capture was gone");

                // a rolling restart: the killed instance comes back, the capturing one stops gracefully and hands over
                stack.startService("replicator", killed, stack.service(killed).httpPort());
                String second = taken.at("/replication/captureWorker").asText();
                stack.service(second.substring("replicator/".length())).stop();
                JsonNode handed = awaitTakeovers(id, 2);
                assertEquals(first, handed.at("/replication/captureWorker").asText(), handed.toString());
                E2e.sleep(2000); // writes go on with the third capture
            } finally {
                writing.set(false);
                writer.join();
            }
            api.await(id, m -> m.at("/replication/pendingChanges").asLong(-1) == 0, Duration.ofSeconds(60));
            E2e.sleep(2500);
            api.post("/api/migrations/" + id + "/complete", "{\"cutover\":true}");
            JsonNode done = api.await(id, m -> m.at("/cutover/state").asText().matches("DONE|MISMATCH")
                    || m.path("state").asText().equals("FAILED"), Duration.ofSeconds(60));
            assertEquals("DONE", done.at("/cutover/state").asText(), done.toString());
            for (int db = 0; db < 3; db++) {
                assertEquals(source.cli("-n", Integer.toString(db), "DBSIZE"), target.cli("-n", Integer.toString(db), "DBSIZE"), "db " + db);
            }
            assertEquals(source.cli("DEBUG", "DIGEST"), target.cli("DEBUG", "DIGEST"), done.toString());
            api.assertVerifiedEqual(id); // after the cutover (COMPLETED)
            // the value the first capture found is given back, although the replicator that set KA was killed
            api.await(id, m -> source.cli("CONFIG", "GET", "notify-keyspace-events").lines().skip(1).findFirst().orElse("").isEmpty(),
                    Duration.ofSeconds(20));
            List<String> actions = new ArrayList<>();
            api.get("/api/migrations/" + id + "/audit").json().forEach(a -> actions.add(a.get("action").asText()));
            assertTrue(actions.containsAll(List.of("capture-released", "capture-taken-over", "reconcile", "reconciled", "cutover-done")),
                    actions.toString());
        } finally {
            vertx.close();
            if (!stack.service("replicator").isAlive()) {
                stack.startService("replicator", "replicator", stack.service("replicator").httpPort());
            }
        }
    }

    /** Waits until the migration's capture was taken over {@code n} times and the reconciliation after it is done. */
    static JsonNode awaitTakeovers(String id, int n) {
        JsonNode m = api.await(id, x -> x.at("/replication/captureTakeovers").asInt() >= n && !x.at("/replication/reconciling").asBoolean()
                && x.at("/replication/reconciliations").asInt() >= n || x.path("state").asText().equals("FAILED"), Duration.ofSeconds(120));
        assertEquals("REPLICATING", m.get("state").asText(), m.toString());
        return m;
    }

    @Test
    void aCopierKilledMidCopyIsReplacedByAnotherInstanceWithExactCounts() {
        secondCopier();
        try (RedisServer source = RedisServer.start(); RedisServer target = RedisServer.start()) {
            source.cli("DEBUG", "POPULATE", "150000", "k", "16");
            source.cli("CONFIG", "SET", "notify-keyspace-events", "KEA");
            String id = create("copier-killed", source.uri(), target.uri(), null);
            api.post("/api/migrations/" + id + "/validate", null);
            api.awaitState(id, "VALIDATED", Duration.ofSeconds(30));
            api.post("/api/migrations/" + id + "/start", null);
            api.await(id, m -> m.at("/progress/batchesDone").asLong() >= 3, Duration.ofSeconds(60));
            stack.service("copier").kill();
            copiedExactlyOnce(id, source, target, 150000, Duration.ofSeconds(120));
        } finally {
            oneCopier();
        }
    }

    /**
     * The copier reading the source's snapshot is killed mid-transfer: the copy command is redelivered to the other
     * instance, which reads a new snapshot; the batches the dead one acknowledged count once.
     */
    @Test
    void aCopierKilledMidSnapshotIsReplacedAndTheSnapshotIsReadAgain() throws Exception {
        secondCopier();
        String reader = null;
        try (RedisServer source = RedisServer.start(); RedisServer target = RedisServer.start()) {
            source.cli("DEBUG", "POPULATE", "500000", "k", "16");
            source.cli("CONFIG", "SET", "notify-keyspace-events", "KEA");
            String id = create("copier-killed-snapshot", source.uri(), target.uri(), "{\"copyMode\":\"snapshot\"}");
            api.post("/api/migrations/" + id + "/validate", null);
            api.awaitState(id, "VALIDATED", Duration.ofSeconds(30));
            api.post("/api/migrations/" + id + "/start", null);
            String started = "migration " + id + " run 1: reading the source's snapshot";
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (reader == null && System.nanoTime() < deadline) {
                for (String name : List.of("copier", "copier-2")) {
                    if (Files.readString(stack.service(name).log()).contains(started)) {
                        reader = name;
                    }
                }
                Thread.sleep(50);
            }
            assertNotNull(reader, "no copier logged: " + started);
            api.await(id, x -> x.at("/progress/batchesDone").asLong() >= 2, Duration.ofSeconds(60)); // the snapshot is streaming
            stack.service(reader).kill(); // mid-transfer: the source sees its replica link drop
            copiedExactlyOnce(id, source, target, 500000, Duration.ofSeconds(180));
            assertFalse(Files.readString(stack.service(reader).log()).contains("migration " + id + " run 1: copied from the source's snapshot"),
                    "the killed copier finished the snapshot before the kill; the test proves nothing");
            assertTrue(info(source, "stats", "sync_full") >= 2, "the snapshot was read again: " + source.cli("INFO", "stats"));
        } finally {
            oneCopier();
        }
    }

    /** After a copier was killed mid-copy: REPLICATING with every key and batch counted once, target equal, then stopped. */
    static void copiedExactlyOnce(String id, RedisServer source, RedisServer target, long keys, Duration limit) {
        JsonNode m = api.await(id, x -> x.path("state").asText().matches("REPLICATING|FAILED"), limit);
        assertEquals("REPLICATING", m.get("state").asText(), m.toString());
        assertEquals(keys, m.at("/progress/keysCopied").asLong(), m.toString());
        assertEquals(m.at("/progress/batchesTotal").asLong(), m.at("/progress/batchesDone").asLong(), m.toString());
        assertEquals(source.cli("DEBUG", "DIGEST"), target.cli("DEBUG", "DIGEST"));
        api.assertVerifiedEqual(id);
        api.post("/api/migrations/" + id + "/complete", "{\"cutover\":false}");
    }

    /** A second copier instance, for the tests that kill one; {@link #oneCopier} puts the stack back as it was. */
    static void secondCopier() {
        var second = stack.service("copier-2");
        if (second == null || !second.isAlive()) {
            stack.startService("copier", "copier-2", Ports.free());
        }
    }

    /** One copier again, "copier", as the other tests expect (progress reports count the instances that copy a run). */
    static void oneCopier() {
        var second = stack.service("copier-2");
        if (second != null && second.isAlive()) {
            second.stop();
        }
        if (!stack.service("copier").isAlive()) {
            stack.startService("copier", "copier", stack.service("copier").httpPort());
        }
    }

    static long info(RedisServer server, String section, String field) {
        return server.cli("INFO", section).lines().filter(l -> l.startsWith(field + ":"))
                .mapToLong(l -> Long.parseLong(l.substring(field.length() + 1).strip())).findFirst().orElse(-1);
    }

    /**
     * A run that outlives the retention of dfm.phases: its replicate command is gone from there, yet a replicator
     * instance started afterwards (a new pod, a scale-up) joins the run's appliers, from the compacted dfm.runs. (A
     * capture takeover would send the run's commands again; here the capturing instance stays, so nothing is resent.)
     */
    @Test
    void aReplicatorStartedAfterThePhasesTopicLostTheRunsCommandsStillJoinsItsAppliers() throws Exception {
        var second = stack.service("replicator-2"); // left by another test: this run is captured by "replicator" alone
        if (second != null && second.isAlive()) {
            second.stop();
        }
        try (RedisServer source = RedisServer.start(); RedisServer target = RedisServer.start();
             var admin = stack.kafka().admin()) {
            String id = replicating("outlives-retention", source, target, 2000);
            String group = io.dfmigrate.common.Topics.applierGroup(id, 1);
            api.await(id, m -> appliers(admin, group) == 1, Duration.ofSeconds(60));
            // what retention does to dfm.phases in a long run: every command given so far is deleted
            var partitions = admin.describeTopics(List.of(io.dfmigrate.common.Topics.PHASES)).allTopicNames().get()
                    .get(io.dfmigrate.common.Topics.PHASES).partitions().stream()
                    .map(p -> new org.apache.kafka.common.TopicPartition(io.dfmigrate.common.Topics.PHASES, p.partition())).toList();
            Map<org.apache.kafka.common.TopicPartition, org.apache.kafka.clients.admin.OffsetSpec> latest = new java.util.HashMap<>();
            partitions.forEach(tp -> latest.put(tp, org.apache.kafka.clients.admin.OffsetSpec.latest()));
            Map<org.apache.kafka.common.TopicPartition, org.apache.kafka.clients.admin.RecordsToDelete> all = new java.util.HashMap<>();
            admin.listOffsets(latest).all().get()
                    .forEach((tp, o) -> all.put(tp, org.apache.kafka.clients.admin.RecordsToDelete.beforeOffset(o.offset())));
            admin.deleteRecords(all).all().get();

            stack.startService("replicator", "replicator-3", Ports.free());
            try {
                JsonNode joined = api.await(id, m -> appliers(admin, group) == 2, Duration.ofSeconds(90));
                assertEquals(2, appliers(admin, group), "the new instance applies this run's changes too: " + joined);
                // the new instance takes its share of the changes: every partition of dfm.changes is applied by one of two
                source.cli("EVAL", "for i = 0, 199 do redis.call('SET', 'after-scale-up:' .. i, tostring(i)) end return 1", "0");
                api.await(id, m -> source.cli("DEBUG", "DIGEST").equals(target.cli("DEBUG", "DIGEST")), Duration.ofSeconds(60));
                assertEquals("REPLICATING", api.get("/api/migrations/" + id).json().get("state").asText());
            } finally {
                stack.service("replicator-3").stop();
            }
            api.post("/api/migrations/" + id + "/complete", "{\"cutover\":false}");
            api.awaitState(id, "COMPLETED", Duration.ofSeconds(30));
        }
    }

    /** A migration of {@code keys} strings, validated, started and REPLICATING (notifications enabled on the source). */
    static String replicating(String name, RedisServer source, RedisServer target, int keys) {
        source.cli("DEBUG", "POPULATE", Integer.toString(keys), "k", "16");
        source.cli("CONFIG", "SET", "notify-keyspace-events", "KEA");
        String id = create(name, source.uri(), target.uri(), null);
        api.post("/api/migrations/" + id + "/validate", null);
        api.awaitState(id, "VALIDATED", Duration.ofSeconds(30));
        Api.Reply started = api.post("/api/migrations/" + id + "/start", null);
        assertEquals(202, started.status(), started.body());
        api.awaitState(id, "REPLICATING", Duration.ofSeconds(60));
        return id;
    }

    /** Members of a run's applier group (one per replicator instance that applies the run). */
    static int appliers(org.apache.kafka.clients.admin.Admin admin, String group) {
        try {
            return admin.describeConsumerGroups(List.of(group)).all().get().get(group).members().size();
        } catch (Exception e) {
            return -1;
        }
    }

    @Test
    void whatNotificationsCannotShowIsReconciledAndALostSourceFailsLoudly() {
        try (RedisServer source = RedisServer.start(); RedisServer target = RedisServer.start()) {
            String flushed = replicating("flushed", source, target, 1000);
            source.cli("FLUSHALL");
            source.cli("SET", "after-flush", "1");
            source.cli("-n", "4", "SET", "elsewhere", "2");
            // keyspace notifications say nothing of the flushed keys: a reconciliation pass rescans source and target
            JsonNode reconciled = api.await(flushed, m -> m.at("/replication/reconciliations").asInt() >= 1
                    && !m.at("/replication/reconciling").asBoolean(), Duration.ofSeconds(30));
            assertEquals("REPLICATING", reconciled.get("state").asText(), reconciled.toString());
            api.await(flushed, m -> m.at("/replication/pendingChanges").asLong(-1) == 0, Duration.ofSeconds(30));
            E2e.sleep(2000);
            assertEquals(source.cli("DBSIZE"), target.cli("DBSIZE"));
            assertEquals(source.cli("DEBUG", "DIGEST"), target.cli("DEBUG", "DIGEST"));
            List<String> actions = new ArrayList<>();
            api.get("/api/migrations/" + flushed + "/audit").json().forEach(a -> actions.add(a.get("action").asText()));
            assertTrue(actions.containsAll(List.of("reconcile", "reconciled")), actions.toString());

            // the capture's subscription is killed (as a pub/sub output-buffer overflow would): resubscribe and reconcile
            assertEquals("1", source.cli("CLIENT", "KILL", "TYPE", "pubsub"));
            source.cli("SET", "after-kill", "1");
            JsonNode resumed = api.await(flushed, m -> m.at("/replication/reconciliations").asInt() >= 2
                    && !m.at("/replication/reconciling").asBoolean(), Duration.ofSeconds(30));
            assertEquals("REPLICATING", resumed.get("state").asText(), resumed.toString());
            api.await(flushed, m -> "1".equals(target.cli("EXISTS", "after-kill")), Duration.ofSeconds(20));

            // a delete no notification reports (notifications off for one transaction): only the DBSIZE drift watch sees it
            source.cli("SET", "k:7", "soon deleted unseen");
            api.await(flushed, m -> "1".equals(target.cli("EXISTS", "k:7")), Duration.ofSeconds(20));
            silentDelete(source, "k:7");
            assertEquals("0", source.cli("EXISTS", "k:7"));
            JsonNode drifted = api.await(flushed, m -> m.at("/replication/reconciliations").asInt() >= 3
                    && !m.at("/replication/reconciling").asBoolean(), Duration.ofSeconds(40));
            assertEquals("REPLICATING", drifted.get("state").asText(), drifted.toString());
            E2e.sleep(1000);
            assertEquals("0", target.cli("EXISTS", "k:7"));
            assertEquals(source.cli("DEBUG", "DIGEST"), target.cli("DEBUG", "DIGEST"));
            List<String> details = new ArrayList<>();
            api.get("/api/migrations/" + flushed + "/audit").json().forEach(a -> details.add(a.path("detail").asText()));
            assertTrue(details.stream().anyMatch(d -> d.contains("DBSIZE drift (db0: source 2, target 3 keys without TTL)")),
                    details.toString());

            // someone switches notifications off: the migration may not configure the source, so it fails and says why
            source.cli("CONFIG", "SET", "notify-keyspace-events", "");
            JsonNode off = api.awaitState(flushed, "FAILED", Duration.ofSeconds(15));
            assertTrue(off.get("error").asText().contains("notify-keyspace-events was changed to ''"), off.toString());
        }
        try (RedisServer source = RedisServer.start(); RedisServer target = RedisServer.start()) {
            String lost = replicating("source-lost", source, target, 1000);
            source.kill();
            // after the capture's attempts to subscribe again (DFM_REPLICATOR_CAPTURE_RESUBSCRIBE: 20 s on the shared stack)
            JsonNode failed = api.awaitState(lost, "FAILED", Duration.ofSeconds(90));
            assertTrue(failed.get("error").asText().contains("change capture from the source was lost"), failed.toString());
        }
    }

    /** Sets, overwrites, deletes, TTL changes, renames, collection edits and binary keys, over 3 databases. */
    static void write(Vertx vertx, RedisServer source, AtomicBoolean writing,
                      AtomicLong writes) {
        Random rnd = new Random(42);
        var ep = RedisEndpoint.parse(source.uri());
        try (var db0 = BlockingRedis.connect(vertx, ep, 0, Duration.ofSeconds(10));
             var db1 = BlockingRedis.connect(vertx, ep, 1, Duration.ofSeconds(10));
             var db2 = BlockingRedis.connect(vertx, ep, 2, Duration.ofSeconds(10))) {
            int i = 0;
            while (writing.get()) {
                List<Request> batch = new ArrayList<>();
                for (int n = 0; n < 20; n++, i++) {
                    String k = "key:" + rnd.nextInt(40000);
                    batch.add(switch (i % 8) {
                        case 0 -> cmd(Command.SET, "new:" + i, "v" + i);
                        case 1 -> cmd(Command.SET, k, "overwritten-" + i);
                        case 2 -> cmd(Command.DEL, k);
                        case 3 -> cmd(Command.EXPIRE, k, "3600");
                        case 4 -> cmd(Command.RENAME, k, "renamed:" + i);
                        case 5 -> cmd(Command.PERSIST, "new:" + (i - 40));
                        case 6 -> Request.cmd(Command.SET)
                                .arg(Buffer.buffer(new byte[] {0, (byte) 0xff, (byte) (i % 256)})).arg("bin" + i);
                        default -> cmd(Command.SET, "ttl:" + i, "t", "EX", "7200");
                    });
                }
                db0.pipeline(batch);
                db1.send(cmd(Command.HSET, "h:" + rnd.nextInt(50), "f" + i, "v" + i));
                db1.send(cmd(Command.DEL, "one:" + rnd.nextInt(5000)));
                db2.send(cmd(Command.LPUSH, "list:" + rnd.nextInt(10), "e" + i));
                writes.addAndGet(batch.size() + 3);
                Thread.sleep(5);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Deletes a key in one transaction that switches keyspace notifications off around it, so no capture can see it. */
    static void silentDelete(RedisServer server, String key) {
        Vertx vertx = Vertx.vertx();
        try (var r = BlockingRedis.connect(vertx, RedisEndpoint.parse(server.uri()), 0,
                Duration.ofSeconds(10))) {
            var reply = r.send(cmd(Command.CONFIG, "GET", "notify-keyspace-events"));
            String flags = (reply.containsKey("notify-keyspace-events") ? reply.get("notify-keyspace-events") : reply.get(1)).toString();
            r.pipeline(List.of(cmd(Command.MULTI),
                    cmd(Command.CONFIG, "SET", "notify-keyspace-events", ""),
                    cmd(Command.DEL, key),
                    cmd(Command.CONFIG, "SET", "notify-keyspace-events", flags),
                    cmd(Command.EXEC)));
        } finally {
            vertx.close();
        }
    }

    static Request cmd(Command c, String... args) {
        Request r = Request.cmd(c);
        for (String a : args) {
            r.arg(a);
        }
        return r;
    }


    @Test
    void unreachableEndpointIsReportedByValidationWithinTenSeconds() {
        try (RedisServer target = RedisServer.start()) {
            int nothing = Ports.free();
            String id = create("unreachable", "redis://127.0.0.1:" + nothing, target.uri(), null);
            long t0 = System.nanoTime();
            assertEquals(202, api.post("/api/migrations/" + id + "/validate", null).status());
            JsonNode failed = api.awaitState(id, "VALIDATION_FAILED", Duration.ofSeconds(10));
            assertTrue((System.nanoTime() - t0) / 1_000_000 < 10_000);
            JsonNode check = null;
            for (JsonNode c : failed.at("/validation/checks")) {
                if (c.get("id").asText().equals("connectivity.source")) {
                    check = c;
                }
            }
            assertTrue(check != null && check.get("severity").asText().equals("ERROR"), failed.toString());
            assertTrue(check.get("message").asText().contains("127.0.0.1:" + nothing), check.toString());
            Api.Reply refused = api.post("/api/migrations/" + id + "/start", null);
            assertEquals(409, refused.status());
            assertTrue(refused.contentType().startsWith("application/problem+json"), refused.contentType());
        }
    }

    @Test
    void badInputGetsProblemJsonAndNoTokenGets401FromTheRunningService() {
        Api.Reply r = api.post("/api/migrations", "{\"name\":\"x\",\"source\":{\"uri\":\"redis:/oops\"},\"target\":{\"uri\":\"redis://h:1\"}}");
        assertEquals(400, r.status(), r.body());
        assertTrue(r.contentType().startsWith("application/problem+json"));
        assertEquals("source.uri", r.json().at("/errors/0/field").asText());
        assertEquals(404, api.get("/api/migrations/00000000-0000-0000-0000-000000000000").status());
        assertEquals(200, api.get("/q/health/ready").status());
        assertTrue(api.get("/q/openapi").body().contains("/api/migrations"));
        assertTrue(api.get("/q/metrics").body().contains("jvm_"));
        // authentication is on by default: without the token only health answers
        Api anonymous = new Api(stack.orchestratorUrl(), null);
        assertEquals(401, anonymous.get("/api/migrations").status());
        assertEquals(401, anonymous.get("/q/metrics").status());
        assertEquals(200, anonymous.get("/q/health/ready").status());
    }

    @Test
    void theWorkersServeHealthAndMetricsOnTheirManagementInterfaceOnly() {
        for (String worker : List.of("validator", "copier", "replicator")) {
            ServiceProcess s = stack.service(worker);
            assertNotEquals(s.httpPort(), s.managementPort(), worker);
            Api management = new Api(s.managementUrl(), null);
            assertEquals(200, management.get("/q/health/ready").status(), worker);
            assertTrue(management.get("/q/metrics").body().contains("jvm_"), worker);
            // the main HTTP server of a worker serves nothing: what the NetworkPolicies leave closed has nothing behind it
            Api main = new Api(s.baseUrl(), null);
            assertEquals(404, main.get("/q/metrics").status(), worker);
            assertEquals(404, main.get("/q/health/ready").status(), worker);
        }
    }
}

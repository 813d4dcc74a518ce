package io.dfmigrate.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.dfmigrate.common.endpoint.RedisEndpoint;
import io.dfmigrate.common.redis.BlockingRedis;
import io.dfmigrate.localstack.LocalStack;
import io.dfmigrate.localstack.RedisServer;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What only time shows: a copy that lasts longer than Kafka's and SmallRye's timeouts (over 90 s, rate-limited) under
 * live writes of every type, with a second migration started during it that must replicate while the first still
 * copies; and a stalled applier that the API reports instead of staying silent.
 */
class ProductionScaleTest {
    static LocalStack stack;
    static Api api;
    static Vertx vertx;

    /** Among the shared settings: a stall shown after 10 s, Redis calls bounded by 5 s. */
    @RegisterExtension
    static final E2eStack STACK = E2eStack.shared();

    @BeforeAll
    static void startStack() {
        stack = STACK.stack();
        api = STACK.api();
        vertx = Vertx.vertx();
    }

    /** A test that failed half way leaves no live migration behind to slow the next one down. */
    @AfterEach
    void stopLiveMigrations() {
        E2e.stopLiveMigrations(api);
    }

    @AfterAll
    static void closeVertx() {
        if (vertx != null) {
            vertx.close();
        }
    }

    /** Strings, hashes, lists, sets, sorted sets, streams with a group, TTLs, in 2 databases. */
    static void load(RedisServer source, int strings) {
        source.cli("DEBUG", "POPULATE", Integer.toString(strings), "key", "48");
        source.cli("EVAL", "for i=1,2000 do redis.call('HSET','h:'..i,'a',i,'b','x') redis.call('RPUSH','l:'..i,i,i+1) "
                + "redis.call('SADD','s:'..i,i,'m') redis.call('ZADD','z:'..i,i,'m'..i) if i%2==0 then redis.call('EXPIRE','h:'..i,86400) end end", "0");
        source.cli("-n", "1", "EVAL", "for i=1,50 do redis.call('XADD','st:'..i,'*','f',i) end redis.call('XGROUP','CREATE','st:1','g','0')", "0");
        source.cli("-n", "1", "DEBUG", "POPULATE", "3000", "one", "16");
        source.cli("CONFIG", "SET", "notify-keyspace-events", "KEA");
    }

    /** Writes of every type until stopped: sets (binary too), overwrites, deletes, TTLs, renames, collections, streams. */
    static Thread writer(RedisServer source, int keys, AtomicBoolean writing, AtomicLong writes, long seed) {
        return Thread.ofVirtual().start(() -> {
            RedisEndpoint ep = RedisEndpoint.parse(source.uri());
            Random rnd = new Random(seed);
            try (BlockingRedis db0 = BlockingRedis.connect(vertx, ep, 0, Duration.ofSeconds(30));
                 BlockingRedis db1 = BlockingRedis.connect(vertx, ep, 1, Duration.ofSeconds(30))) {
                for (int i = 0; writing.get(); i++) {
                    String k = "key:" + rnd.nextInt(keys);
                    List<Request> batch = List.of(
                            Request.cmd(Command.SET).arg("w:" + i).arg("v" + i),
                            Request.cmd(Command.SET).arg(k).arg("changed-" + i),
                            Request.cmd(Command.DEL).arg("key:" + rnd.nextInt(keys)),
                            Request.cmd(Command.EXPIRE).arg(k).arg(7200),
                            Request.cmd(Command.RENAME).arg("key:" + rnd.nextInt(keys)).arg("moved:" + i),
                            Request.cmd(Command.SET).arg(Buffer.buffer(new byte[] {(byte) 0xfe, 0, (byte) (i % 251)})).arg(Buffer.buffer(new byte[] {0, 2})),
                            Request.cmd(Command.HSET).arg("h:" + (1 + rnd.nextInt(2000))).arg("f" + i).arg("v"),
                            Request.cmd(Command.LPUSH).arg("l:" + (1 + rnd.nextInt(2000))).arg("x" + i),
                            Request.cmd(Command.SREM).arg("s:" + (1 + rnd.nextInt(2000))).arg("m"),
                            Request.cmd(Command.ZINCRBY).arg("z:" + (1 + rnd.nextInt(2000))).arg("1.5").arg("m" + i % 7),
                            Request.cmd(Command.SET).arg("short:" + i).arg("expires").arg("PX").arg(150 + rnd.nextInt(300)));
                    db0.pipeline(batch);
                    db1.send(Request.cmd(Command.XADD).arg("st:" + (1 + rnd.nextInt(50))).arg("*").arg("w").arg(Integer.toString(i)));
                    writes.addAndGet(batch.size() + 1);
                    Thread.sleep(10);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
    }

    static String validated(String name, RedisServer source, RedisServer target, String options) {
        String id = api.create(name, source.uri(), target.uri(), options);
        assertEquals(202, api.post("/api/migrations/" + id + "/validate", null).status());
        JsonNode v = api.await(id, m -> !m.path("state").asText().equals("VALIDATING"), Duration.ofSeconds(60));
        assertEquals("VALIDATED", v.path("state").asText(), v.toString());
        return id;
    }

    static JsonNode drained(String id) {
        api.await(id, m -> m.at("/replication/pendingChanges").asLong(-1) == 0 && m.at("/replication/appliedChanges").asLong() > 0,
                Duration.ofSeconds(120));
        E2e.sleep(2500); // the last counters arrive within the report interval
        return api.await(id, m -> m.at("/replication/pendingChanges").asLong(-1) == 0, Duration.ofSeconds(60));
    }

    static void cutOverAndCompare(String id, RedisServer source, RedisServer target) {
        drained(id);
        Api.Reply cut = api.post("/api/migrations/" + id + "/complete", "{\"cutover\":true}");
        assertEquals(202, cut.status(), cut.body());
        JsonNode done = api.await(id, m -> m.path("state").asText().matches("COMPLETED|FAILED")
                && (!"COMPLETED".equals(m.path("state").asText()) || m.at("/cutover/state").asText().matches("DONE|MISMATCH")),
                Duration.ofSeconds(90));
        assertEquals("DONE", done.at("/cutover/state").asText(), done.toString());
        source.cli("--scan"); // reclaims expired keys on both sides before counting
        target.cli("--scan");
        for (int db = 0; db < 2; db++) {
            assertEquals(source.cli("-n", Integer.toString(db), "DBSIZE"), target.cli("-n", Integer.toString(db), "DBSIZE"), "db " + db);
        }
        assertEquals(source.cli("DEBUG", "DIGEST"), target.cli("DEBUG", "DIGEST"), done.toString());
    }

    @Test
    void aCopyLongerThanNinetySecondsUnderLiveWritesWithASecondMigrationStartedDuringItLosesNothing() throws Exception {
        try (RedisServer sourceA = RedisServer.start(); RedisServer targetA = RedisServer.start();
             RedisServer sourceB = RedisServer.start(); RedisServer targetB = RedisServer.start()) {
            load(sourceA, 200_000);
            load(sourceB, 20_000);
            // ~1,800 keys/s: a copy of about 110 s, well past the 60 s after which held changes used to stop replication
            String a = validated("long-copy", sourceA, targetA, "{\"maxSourceOpsPerSecond\":6000}");
            String b = validated("second", sourceB, targetB, null);
            AtomicBoolean writing = new AtomicBoolean(true);
            AtomicLong writesA = new AtomicLong();
            AtomicLong writesB = new AtomicLong();
            Thread wa = writer(sourceA, 200_000, writing, writesA, 1);
            Thread wb = writer(sourceB, 20_000, writing, writesB, 2);
            try {
                assertEquals(202, api.post("/api/migrations/" + a + "/start", null).status());
                api.await(a, m -> m.at("/progress/keysCopied").asLong() > 10_000, Duration.ofSeconds(60));
                // the second migration starts during the first one's copy, and must replicate while that copy goes on
                assertEquals(202, api.post("/api/migrations/" + b + "/start", null).status());
                JsonNode bRepl = api.await(b, m -> m.path("state").asText().matches("REPLICATING|FAILED"), Duration.ofSeconds(90));
                assertEquals("REPLICATING", bRepl.path("state").asText(), bRepl.toString());
                long appliedBefore = bRepl.at("/replication/appliedChanges").asLong();
                JsonNode bMoving = api.await(b, m -> m.at("/replication/appliedChanges").asLong() > appliedBefore + 1000, Duration.ofSeconds(60));
                JsonNode aStill = api.get("/api/migrations/" + a).json();
                assertEquals("COPYING", aStill.path("state").asText(), "the first copy is still going on: " + aStill);
                assertTrue(bMoving.at("/replication/lagMillis").asLong() < 30_000, "B applies while A copies: " + bMoving);

                JsonNode aRepl = api.await(a, m -> m.path("state").asText().matches("REPLICATING|FAILED"), Duration.ofSeconds(300));
                assertEquals("REPLICATING", aRepl.path("state").asText(), aRepl.toString());
                long copySeconds = Duration.between(Instant.parse(aRepl.at("/timestamps/copyStartedAt").asText()),
                        Instant.parse(aRepl.at("/timestamps/copyFinishedAt").asText())).toSeconds();
                assertTrue(copySeconds >= 90, "the copy lasted " + copySeconds + " s");
                // the changes held in Kafka during the copy are applied: the backlog drains while the writers go on
                long capturedA = aRepl.at("/replication/pendingChanges").asLong();
                JsonNode caughtUp = api.await(a, m -> m.at("/replication/appliedChanges").asLong() >= capturedA
                        && m.at("/replication/lagMillis").asLong(Long.MAX_VALUE) < 10_000, Duration.ofSeconds(120));
                assertNull(caughtUp.at("/replication/stalled").textValue(), caughtUp.toString());
                // catch-up progress: the appliers' rate and the ETA of what is pending
                JsonNode rate = api.await(a, m -> m.at("/replication/appliedPerSecond").asDouble() > 0
                        && m.at("/replication/etaSeconds").isNumber(), Duration.ofSeconds(60));
                assertTrue(rate.at("/replication/appliedPerSecond").asDouble() > 10, rate.toString());
                E2e.sleep(3000); // replication goes on under writes after the catch-up
            } finally {
                writing.set(false);
                wa.join();
                wb.join();
            }
            // enough live writes to matter; how many a loaded 2-core machine makes in those minutes varies (44k to over 50k)
            assertTrue(writesA.get() > 20_000 && writesB.get() > 20_000, writesA + " / " + writesB + " writes");
            cutOverAndCompare(a, sourceA, targetA);
            cutOverAndCompare(b, sourceB, targetB);
            api.assertVerifiedEqual(b);
            // A copies under a rate limit, which its verification keeps too: a sample of it
            JsonNode sampled = api.verify(a, "{\"mode\":\"sample\",\"sample\":5000}", Duration.ofSeconds(180));
            assertEquals(0, sampled.path("keysDiffering").asLong(), sampled.toString());
            assertTrue(sampled.path("keysChecked").asLong() > 2000, "about 5,000 keys sampled: " + sampled);
            List<String> actions = new ArrayList<>();
            api.get("/api/migrations/" + a + "/audit").json().forEach(x -> actions.add(x.get("action").asText()));
            assertTrue(actions.containsAll(List.of("capture-ready", "copy-done", "cutover-done")), actions.toString());
            assertTrue(!actions.contains("replication-stalled") && !actions.contains("failure"), actions.toString());
        }
    }

    @Test
    void aStalledApplierIsReportedInTheApiAndClearsWhenItMovesAgain() throws Exception {
        try (RedisServer source = RedisServer.start(); RedisServer target = RedisServer.start()) {
            load(source, 5_000);
            String id = validated("stall", source, target, "{\"guardTarget\":false}");
            assertEquals(202, api.post("/api/migrations/" + id + "/start", null).status());
            JsonNode repl = api.await(id, m -> m.path("state").asText().matches("REPLICATING|FAILED"), Duration.ofSeconds(90));
            assertEquals("REPLICATING", repl.path("state").asText(), repl.toString());
            AtomicBoolean writing = new AtomicBoolean(true);
            AtomicLong writes = new AtomicLong();
            Thread w = null;
            try {
                // the target stops accepting writes: the appliers block and retry, changes pile up
                target.cli("CLIENT", "PAUSE", "120000", "WRITE");
                w = writer(source, 5_000, writing, writes, 3);
                JsonNode stalled = api.await(id, m -> !m.at("/replication/stalled").isNull() && !m.at("/replication/stalled").isMissingNode(),
                        Duration.ofSeconds(90));
                String reason = stalled.at("/replication/stalled").asText();
                assertTrue(reason.contains("no change applied") && reason.contains("pending"), reason);
                assertEquals("REPLICATING", stalled.path("state").asText());
                List<String> actions = new ArrayList<>();
                api.get("/api/migrations/" + id + "/audit").json().forEach(x -> actions.add(x.get("action").asText()));
                assertTrue(actions.contains("replication-stalled"), actions.toString());
                String gauge = api.get("/q/metrics").body().lines().filter(l -> l.startsWith("dfm_migrations_stalled ")).findFirst().orElse("");
                assertTrue(!gauge.isEmpty() && Double.parseDouble(gauge.split(" ")[1]) >= 1, "stalled gauge: " + gauge);
            } finally {
                target.cli("CLIENT", "UNPAUSE");
                writing.set(false);
                if (w != null) {
                    w.join();
                }
            }
            JsonNode resumed = api.await(id, m -> m.at("/replication/stalled").isNull(), Duration.ofSeconds(90));
            assertEquals("REPLICATING", resumed.path("state").asText(), resumed.toString());
            List<String> actions = new ArrayList<>();
            api.get("/api/migrations/" + id + "/audit").json().forEach(x -> actions.add(x.get("action").asText()));
            assertTrue(actions.contains("replication-resumed"), actions.toString());
            cutOverAndCompare(id, source, target);
        }
    }

    @Test
    void aCaptureTheSourceDropsDuringTheCopyIsReconciledAfterTheCopyInsteadOfFailing() throws Exception {
        try (RedisServer source = RedisServer.start(); RedisServer target = RedisServer.start()) {
            load(source, 60_000);
            // a tiny pub/sub output limit: a burst of notifications makes the source close the capture's connection
            source.cli("CONFIG", "SET", "client-output-buffer-limit", "pubsub 256kb 128kb 1");
            // about 15 s of copy (rate-limited), so the burst comes during it; the reconciliation after it is as fast
            String id = validated("dropped-capture", source, target, "{\"maxSourceOpsPerSecond\":15000}");
            assertEquals(202, api.post("/api/migrations/" + id + "/start", "{\"acknowledgeWarnings\":true}").status());
            api.await(id, m -> m.at("/progress/keysCopied").asLong() > 5_000, Duration.ofSeconds(60));
            // one script, 50,000 writes: about 5 MB of notifications at once, far over the limit
            source.cli("EVAL", "for i=1,50000 do redis.call('SET','burst:'..i,i) end for i=1,20000 do redis.call('DEL','key:'..i) end", "0");
            JsonNode copying = api.get("/api/migrations/" + id).json();
            assertEquals("COPYING", copying.path("state").asText(), "the burst came during the copy: " + copying);
            JsonNode repl = api.await(id, m -> m.path("state").asText().matches("REPLICATING|FAILED")
                    && !m.at("/replication/reconciling").asBoolean() && m.at("/replication/reconciliations").asInt() >= 1
                    || "FAILED".equals(m.path("state").asText()), Duration.ofSeconds(180));
            assertEquals("REPLICATING", repl.path("state").asText(), repl.toString());
            List<String> actions = new ArrayList<>();
            api.get("/api/migrations/" + id + "/audit").json().forEach(x -> actions.add(x.get("action").asText() + ": " + x.path("detail").asText()));
            assertTrue(actions.stream().anyMatch(a -> a.startsWith("capture-gap: ") && a.contains("closed by the source")), actions.toString());
            assertTrue(actions.stream().anyMatch(a -> a.startsWith("reconciled: ")), actions.toString());
            source.cli("CONFIG", "SET", "client-output-buffer-limit", "pubsub 32mb 8mb 60");
            // and the capture goes on after it: later writes are replicated
            source.cli("EVAL", "for i = 0, 99 do redis.call('SET', 'after:' .. i, 'v' .. i) end return 1", "0");
            api.await(id, m -> m.at("/replication/appliedChanges").asLong() >= 100, Duration.ofSeconds(60));
            assertEquals("v99", target.cli("GET", "after:99").strip());
            cutOverAndCompare(id, source, target);
        }
    }
}

package io.dfmigrate.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.dfmigrate.common.endpoint.RedisEndpoint;
import io.dfmigrate.common.redis.BlockingRedis;
import io.dfmigrate.common.redis.ClusterNodes;
import io.dfmigrate.localstack.LocalStack;
import io.dfmigrate.localstack.Ports;
import io.dfmigrate.localstack.RedisCluster;
import io.dfmigrate.localstack.RedisServer;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Whole-system acceptance as users run it: the stack from its built artifacts, a source and a target redis-server,
 * live writes, and only the REST API. Big keys are copied structurally here (threshold lowered to 1 MB).
 */
class AcceptanceTest {
    static LocalStack stack;
    static Api api;
    static Vertx vertx;

    /** Big keys copied by type from 1 MB, among the shared settings. */
    @RegisterExtension
    static final E2eStack STACK = E2eStack.shared();

    @BeforeAll
    static void startStack() {
        stack = STACK.stack();
        api = STACK.api();
        vertx = Vertx.vertx();
    }

    @AfterAll
    static void closeVertx() {
        if (vertx != null) {
            vertx.close();
        }
    }

    static String create(String name, String source, String target, String options) {
        return api.create(name, source, target, options);
    }

    static JsonNode validate(String id) {
        assertEquals(202, api.post("/api/migrations/" + id + "/validate", null).status());
        return api.await(id, m -> !m.path("state").asText().equals("VALIDATING"), Duration.ofSeconds(30));
    }

    /** Every type, binary and empty values, TTLs, 3 databases, stream consumer groups and one big hash. */
    static void load(RedisServer source) {
        source.cli("DEBUG", "POPULATE", "20000", "str", "64");
        source.cli("SET", "empty", "");
        source.cli("EVAL", "for i=1,3000 do redis.call('HSET','h:'..i,'a',i,'b','x') redis.call('RPUSH','l:'..i,i,i+1) "
                + "redis.call('SADD','s:'..i,i,'m') redis.call('ZADD','z:'..i,i,'m'..i) if i%2==0 then redis.call('EXPIRE','h:'..i,86400) end end "
                + "for i=1,200000 do redis.call('HSET','big-hash','field-'..i,'value-'..i) end", "0");
        source.cli("-n", "1", "EVAL", "for i=1,100 do redis.call('XADD','st:'..i,'*','f',i) redis.call('XADD','st:'..i,'*','g',i) end "
                + "redis.call('XGROUP','CREATE','st:1','readers','0') redis.call('XGROUP','CREATE','st:2','readers','$')", "0");
        source.cli("-n", "2", "DEBUG", "POPULATE", "5000", "two", "16");
        source.cli("-n", "2", "EVAL", "for i=1,5000,7 do redis.call('PEXPIRE','two:'..i,3600000) end", "0");
        source.cli("CONFIG", "SET", "notify-keyspace-events", "KEA");
    }

    /** Sets (binary too), overwrites, deletes, TTL changes, renames and collection edits in 3 databases, until stopped. */
    static Thread writer(RedisServer source, AtomicBoolean writing, AtomicLong writes) {
        return Thread.ofVirtual().start(() -> {
            RedisEndpoint ep = RedisEndpoint.parse(source.uri());
            Random rnd = new Random(7);
            try (BlockingRedis db0 = BlockingRedis.connect(vertx, ep, 0, Duration.ofSeconds(30));
                 BlockingRedis db1 = BlockingRedis.connect(vertx, ep, 1, Duration.ofSeconds(30));
                 BlockingRedis db2 = BlockingRedis.connect(vertx, ep, 2, Duration.ofSeconds(30))) {
                for (int i = 0; writing.get(); i++) {
                    String k = "str:" + rnd.nextInt(20000);
                    List<Request> batch = List.of(
                            Request.cmd(Command.SET).arg("w:" + i).arg("v" + i),
                            Request.cmd(Command.SET).arg(k).arg("changed-" + i),
                            Request.cmd(Command.DEL).arg("str:" + rnd.nextInt(20000)),
                            Request.cmd(Command.EXPIRE).arg(k).arg(7200),
                            Request.cmd(Command.RENAME).arg("str:" + rnd.nextInt(20000)).arg("moved:" + i),
                            Request.cmd(Command.SET).arg(Buffer.buffer(new byte[] {(byte) 0xff, 0, (byte) (i % 251)})).arg(Buffer.buffer(new byte[] {0, 1})),
                            Request.cmd(Command.HSET).arg("big-hash").arg("field-" + rnd.nextInt(200000)).arg("new-" + i),
                            Request.cmd(Command.LPUSH).arg("l:" + (1 + rnd.nextInt(3000))).arg("x" + i),
                            Request.cmd(Command.SET).arg("short:" + i).arg("expires").arg("PX").arg(150 + rnd.nextInt(300)));
                    db0.pipeline(batch);
                    db1.send(Request.cmd(Command.XADD).arg("st:" + (1 + rnd.nextInt(100))).arg("*").arg("w").arg(Integer.toString(i)));
                    db2.send(Request.cmd(Command.SET).arg("two:" + rnd.nextInt(5000)).arg("w" + i).arg("PX").arg(3_600_000));
                    writes.addAndGet(batch.size() + 2);
                    Thread.sleep(5);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
    }

    static void assertSame(RedisServer source, RedisServer target) {
        // keys whose TTL ran out are reclaimed lazily; a full SCAN reclaims them on both sides before counting
        source.cli("--scan");
        target.cli("--scan");
        for (int db = 0; db < 3; db++) {
            assertEquals(source.cli("-n", Integer.toString(db), "DBSIZE"), target.cli("-n", Integer.toString(db), "DBSIZE"), "db " + db);
        }
        assertEquals(source.cli("DEBUG", "DIGEST"), target.cli("DEBUG", "DIGEST"));
    }

    static JsonNode drained(String id) {
        api.await(id, m -> m.at("/replication/pendingChanges").asLong(-1) == 0 && m.at("/replication/appliedChanges").asLong() > 0,
                Duration.ofSeconds(60));
        E2e.sleep(2500); // the last counters arrive within the report interval
        return api.await(id, m -> m.at("/replication/pendingChanges").asLong(-1) == 0, Duration.ofSeconds(30));
    }

    @Test
    void everyTypeUnderLiveWritesIsMigratedAndCutOverWithNothingLost() throws Exception {
        try (RedisServer source = RedisServer.start(); RedisServer target = RedisServer.start()) {
            load(source);
            String id = create("acceptance", source.uri(), target.uri(), null);
            assertEquals("VALIDATED", validate(id).get("state").asText());
            AtomicBoolean writing = new AtomicBoolean(true);
            AtomicLong writes = new AtomicLong();
            Thread w = writer(source, writing, writes);
            try {
                assertEquals(202, api.post("/api/migrations/" + id + "/start", null).status());
                JsonNode r = api.await(id, m -> m.path("state").asText().matches("REPLICATING|FAILED"), Duration.ofSeconds(120));
                assertEquals("REPLICATING", r.get("state").asText(), r.toString());
                assertTrue(r.at("/progress/keysStructural").asLong() >= 1, "the big hash went through the structural copy: " + r);
                // verified while the writer goes on: changes on their way are re-checked, not reported
                JsonNode live = api.verify(id, null, Duration.ofSeconds(120));
                assertEquals(0, live.path("keysDiffering").asLong(), "no false differences under live writes: " + live);
            } finally {
                writing.set(false);
                w.join();
            }
            assertTrue(writes.get() > 2000, "writes: " + writes.get());
            drained(id);
            assertEquals(202, api.post("/api/migrations/" + id + "/complete", "{\"cutover\":true}").status());
            JsonNode done = api.await(id, m -> m.path("state").asText().equals("COMPLETED") && m.at("/cutover/state").asText().matches("DONE|MISMATCH"),
                    Duration.ofSeconds(60));
            assertEquals("DONE", done.at("/cutover/state").asText(), done.toString());
            assertSame(source, target);
            api.assertVerifiedEqual(id);
            assertEquals("0", source.cli("EVAL", "return #redis.call('KEYS','short:*')", "0"), "the short TTLs ran out");
            assertTrue(target.cli("-n", "1", "XINFO", "GROUPS", "st:1").contains("readers"), "consumer group migrated");
            List<String> transitions = new ArrayList<>();
            for (JsonNode a : api.get("/api/migrations/" + id + "/audit").json()) {
                if (a.hasNonNull("toState")) {
                    transitions.add(a.get("toState").asText());
                }
            }
            assertEquals(List.of("CREATED", "VALIDATING", "VALIDATED", "COPYING", "REPLICATING", "COMPLETED"), transitions);
        }
    }

    /**
     * The infrastructure fails under a replicating migration with live writes: the Kafka broker is killed and comes back
     * 20 s later, then PostgreSQL is killed and comes back after {@code dfm.e2e.pg-outage-seconds} (75 s: longer than the
     * orchestrator's heartbeat timeout of 60 s, the longest watch a migration could be failed by; a managed
     * database's failover). The workers go on meanwhile and their reports wait in Kafka; the orchestrator rides it out:
     * the migration stays REPLICATING (never FAILED by a watch that mistook its own outage for silent workers), drains, and
     * the cutover ends equal.
     */
    @Test
    void killedKafkaAndThenPostgresqlDuringReplicationUnderWritesLoseNothing() throws Exception {
        long pgOutage = Long.getLong("dfm.e2e.pg-outage-seconds", 75);
        try (RedisServer source = RedisServer.start(); RedisServer target = RedisServer.start()) {
            source.cli("DEBUG", "POPULATE", "20000", "str", "32");
            source.cli("CONFIG", "SET", "notify-keyspace-events", "KEA");
            String id = create("infrastructure-outages", source.uri(), target.uri(), null);
            assertEquals("VALIDATED", validate(id).get("state").asText());
            api.post("/api/migrations/" + id + "/start", null);
            api.awaitState(id, "REPLICATING", Duration.ofSeconds(60));
            AtomicBoolean writing = new AtomicBoolean(true);
            AtomicLong writes = new AtomicLong();
            Thread w = writer(source, writing, writes);
            try {
                E2e.sleep(1000);
                stack.kafka().kill();
                E2e.sleep(20_000); // the outage itself
                stack.kafka().start();
                JsonNode afterKafka = drainedUnderWrites(id);
                assertEquals("REPLICATING", afterKafka.get("state").asText(), afterKafka.toString());
                long writesBefore = writes.get();
                stack.postgres().kill();
                E2e.sleep(pgOutage * 1000); // the outage itself
                stack.postgres().start();
                JsonNode afterPostgres = drainedUnderWrites(id);
                assertEquals("REPLICATING", afterPostgres.get("state").asText(), afterPostgres.toString());
                assertTrue(writes.get() - writesBefore > 1000, "writes went on during the outage: " + (writes.get() - writesBefore));
            } finally {
                writing.set(false);
                w.join();
            }
            JsonNode m = drained(id);
            assertEquals("REPLICATING", m.get("state").asText(), m.toString());
            Api.Reply cut = api.post("/api/migrations/" + id + "/complete", "{\"cutover\":true}");
            assertEquals(202, cut.status(), cut.body());
            JsonNode done = api.await(id, x -> x.path("state").asText().equals("COMPLETED") && x.at("/cutover/state").asText().matches("DONE|MISMATCH"),
                    Duration.ofSeconds(90));
            assertEquals("DONE", done.at("/cutover/state").asText(), done.toString());
            assertSame(source, target);
            List<String> transitions = new ArrayList<>();
            for (JsonNode a : api.get("/api/migrations/" + id + "/audit").json()) {
                if (a.hasNonNull("toState")) {
                    transitions.add(a.get("toState").asText());
                }
            }
            assertEquals(List.of("CREATED", "VALIDATING", "VALIDATED", "COPYING", "REPLICATING", "COMPLETED"), transitions);
        }
    }

    /** While the writer goes on: the API answers again, and the migration has caught up with what was captured. */
    static JsonNode drainedUnderWrites(String id) {
        return api.await(id, m -> m.path("state").asText().equals("FAILED")
                || m.at("/replication/appliedChanges").asLong() > 0 && m.at("/replication/lagMillis").asLong(Long.MAX_VALUE) < 5000
                && m.at("/replication/pendingChanges").asLong(Long.MAX_VALUE) < 50_000, Duration.ofSeconds(180));
    }

    /**
     * A Sentinel-managed source (a master, its replica, three Sentinels with a quorum of 2) given as
     * {@code topology sentinel}: the master is killed during replication with writes made on it, the Sentinels promote
     * the replica, the applications write there. The migration follows: the capture subscribes to the new master and a
     * reconciliation brings the target to it; the migration is never FAILED, and after the cutover the target equals the
     * new master.
     */
    @Test
    void aSentinelManagedSourceIsFollowedThroughAFailover() {
        try (RedisServer master = RedisServer.start(); RedisServer target = RedisServer.start();
             RedisServer replica = RedisServer.start("--replicaof", "127.0.0.1", Integer.toString(master.port()));
             RedisServer sentinel = RedisServer.startSentinel("orders", master, 2);
             RedisServer sentinel2 = RedisServer.startSentinel("orders", master, 2);
             RedisServer sentinel3 = RedisServer.startSentinel("orders", master, 2)) {
            for (RedisServer s : List.of(master, replica)) {
                s.cli("CONFIG", "SET", "notify-keyspace-events", "KEA"); // on every server that may become the master
            }
            // replicated writes (DEBUG POPULATE is not replicated), some with a TTL
            master.cli("EVAL", "for i=1,5000 do redis.call('SET','k:'..i,string.rep('v',32)) if i%5==0 then "
                    + "redis.call('PEXPIRE','k:'..i,3600000) end end", "0");
            E2e.await(() -> sentinel.cli("SENTINEL", "replicas", "orders").contains(Integer.toString(replica.port()))
                    && sentinel.cli("SENTINEL", "sentinels", "orders").contains(Integer.toString(sentinel3.port()))
                    && sentinel.cli("SENTINEL", "sentinels", "orders").contains(Integer.toString(sentinel2.port()))
                    && replica.cli("DBSIZE").equals("5000"), Duration.ofSeconds(60),
                    "the Sentinels know each other and the replica, which has every key");
            Api.Reply created = api.post("/api/migrations", "{\"name\":\"sentinel-failover\",\"source\":{\"uri\":\"" + sentinel.uri()
                    + "\",\"topology\":\"sentinel\",\"masterName\":\"orders\"},\"target\":{\"uri\":\"" + target.uri() + "\"}}");
            assertEquals(201, created.status(), created.body());
            String id = created.json().get("id").asText();
            JsonNode validated = validate(id);
            assertEquals("VALIDATED", validated.get("state").asText(), validated.toString());
            assertTrue(validated.at("/validation/checks").toString().contains("master 'orders' of Sentinel 127.0.0.1:" + sentinel.port()),
                    validated.toString());
            assertEquals(202, api.post("/api/migrations/" + id + "/start", "{\"acknowledgeWarnings\":true}").status());
            JsonNode r = api.await(id, m -> m.path("state").asText().matches("REPLICATING|FAILED"), Duration.ofSeconds(120));
            assertEquals("REPLICATING", r.get("state").asText(), r.toString());
            master.cli("EVAL", "for i = 0, 199 do redis.call('SET', 'before:' .. i, 'on the first master') end return 1", "0");
            api.await(id, m -> m.at("/replication/appliedChanges").asLong() >= 200, Duration.ofSeconds(60));

            master.kill();
            E2e.await(() -> replica.cli("ROLE").startsWith("master"), Duration.ofSeconds(90), "the Sentinel promoted the replica");
            replica.cli("EVAL", "for i = 0, 199 do redis.call('SET', 'after:' .. i, 'on the new master') end return 1", "0");
            replica.cli("DEL", "k:1", "k:2", "before:3");
            followedThenCutOver(id, () -> "0".equals(target.cli("EXISTS", "k:1")) && "1".equals(target.cli("EXISTS", "after:199")));
            assertEquals("5397", replica.cli("DBSIZE"), "5000 - 2 + 200 - 1 + 200");
            assertEquals(replica.cli("DBSIZE"), target.cli("DBSIZE"));
            assertEquals(replica.cli("DEBUG", "DIGEST"), target.cli("DEBUG", "DIGEST"), "the target equals the new master");
            String audit = api.get("/api/migrations/" + id + "/audit").json().toString();
            assertTrue(audit.contains("\"reconcile\""), "the failover's gap was reconciled: " + audit);
            assertTrue(!audit.contains("FAILED"), audit);
        }
    }

    /**
     * A Redis Cluster of 3 masters with a replica each, given as {@code topology cluster} by one node: every master's keys
     * are copied into the one target, writes on every master are captured, a master is SIGKILLed during replication
     * under live writes (its replica takes over, the writes go on there), then under the same writes a master is added and
     * 150 slots are moved to it (resharding); after the cutover the target holds every key of the current masters and
     * nothing else, each verified with its value and TTL. The API shows each master's copy, replication and cutover.
     */
    @Test
    void aRedisClusterIsConsolidatedIntoOneTargetThroughAFailoverAndAResharding() throws InterruptedException {
        try (RedisCluster cluster = RedisCluster.start(3, 1, "--notify-keyspace-events", "KEA"); RedisServer target = RedisServer.start()) {
            RedisEndpoint seed = RedisEndpoint.parse(cluster.masters().get(0).uri()).asCluster();
            ClusterWrites writes = new ClusterWrites(vertx, seed);
            writes.set("k:", 0, 6000, 3_600_000);
            Api.Reply created = api.post("/api/migrations", "{\"name\":\"cluster\",\"source\":{\"uri\":\"" + cluster.masters().get(0).uri()
                    + "\",\"topology\":\"cluster\"},\"target\":{\"uri\":\"" + target.uri() + "\"}}");
            assertEquals(201, created.status(), created.body());
            String id = created.json().get("id").asText();
            JsonNode validated = validate(id);
            assertEquals("VALIDATED", validated.get("state").asText(), validated.toString());
            assertTrue(validated.at("/validation/checks").toString().contains("Redis Cluster of 3 master(s) holding 6000 key(s)"),
                    validated.toString());
            assertEquals(202, api.post("/api/migrations/" + id + "/start", "{\"acknowledgeWarnings\":true}").status());
            JsonNode r = api.await(id, m -> m.path("state").asText().matches("REPLICATING|FAILED"), Duration.ofSeconds(120));
            assertEquals("REPLICATING", r.get("state").asText(), r.toString());
            assertEquals(6000, r.at("/progress/keysCopied").asLong(), r.toString());
            assertEquals("6000", target.cli("DBSIZE"));
            // the copy per master: each scanned its own keys, all copied
            assertEquals(3, r.path("shards").size(), r.toString());
            long perShard = 0;
            for (JsonNode shard : r.path("shards")) {
                assertTrue(shard.path("keysTotal").asLong() > 1000, shard.toString());
                assertEquals(shard.path("keysTotal").asLong(), shard.path("keysCopied").asLong(), shard.toString());
                assertEquals(100.0, shard.path("percent").asDouble(), shard.toString());
                perShard += shard.path("keysCopied").asLong();
            }
            assertEquals(6000, perShard, r.toString());

            writes.set("live:", 0, 600, 0); // on every master
            writes.del("k:", 0, 300);
            // captured from and applied for every master, each with its lag
            JsonNode live = api.await(id, m -> m.at("/replication/appliedChanges").asLong() >= 900 && java.util.stream.StreamSupport
                    .stream(m.path("shards").spliterator(), false).allMatch(x -> x.path("captured").asLong() > 0
                            && x.path("appliedChanges").asLong() > 0 && x.path("subscribed").asBoolean() && x.has("lagMillis")),
                    Duration.ofSeconds(60));
            assertEquals(3, live.path("shards").size(), live.toString());

            // live writes on every master across the failover, as a cluster client makes them (redirected once the cluster
            // names the new master); those the killed master took but never replicated are gone from the cluster too
            AtomicBoolean writing = new AtomicBoolean(true);
            AtomicLong written = new AtomicLong();
            Thread writer = Thread.ofVirtual().start(() -> {
                ClusterWrites w = null;
                for (int i = 0; writing.get(); i += 50) {
                    try {
                        w = w == null ? new ClusterWrites(vertx, seed) : w;
                        w.set("during:", i, i + 50, 0);
                        written.addAndGet(50);
                    } catch (RuntimeException | AssertionError e) {
                        w = null; // a master is gone: ask the cluster again
                        E2e.sleep(200);
                    }
                    E2e.sleep(20);
                }
            });
            RedisServer killed = cluster.masters().get(1);
            RedisServer[] promoted = new RedisServer[1];
            RedisServer[] added = new RedisServer[1];
            try {
                E2e.await(() -> written.get() > 500, Duration.ofSeconds(60), "writes go on");
                killed.kill();
                E2e.await(() -> cluster.masters().get(0).cli("CLUSTER", "INFO").contains("cluster_state:ok")
                        && cluster.replicas().stream().anyMatch(x -> x.cli("ROLE").startsWith("master")), Duration.ofSeconds(90),
                        "a replica took over the killed master's slots");
                long before = written.get();
                E2e.await(() -> written.get() > before + 500, Duration.ofSeconds(60), "writes go on after the failover");
                promoted[0] = cluster.replicas().stream().filter(x -> x.cli("ROLE").startsWith("master")).findFirst().orElseThrow();
                api.await(id, m -> subscribed(m, promoted[0]), Duration.ofSeconds(60));
                // resharding under the same writes: a master added, 150 slots moved to it key by key (MIGRATE); the capture
                // finds the master it does not follow, subscribes to it and reconciles
                added[0] = cluster.addMaster();
                cluster.moveSlots(cluster.masters().get(0), added[0], 0, 149);
                long moved = written.get();
                E2e.await(() -> written.get() > moved + 500, Duration.ofSeconds(60), "writes go on after the resharding");
                api.await(id, m -> subscribed(m, added[0]), Duration.ofSeconds(90));
            } finally {
                writing.set(false);
                writer.join();
            }
            ClusterWrites after = new ClusterWrites(vertx, seed);
            after.set("after:", 0, 600, 0);
            after.del("k:", 300, 600);
            followedThenCutOver(id, () -> "1".equals(target.cli("EXISTS", "after:599")) && "0".equals(target.cli("EXISTS", "k:599")));
            long onMasters = after.dbsize();
            assertTrue(onMasters > 6000 - 600 + 600 + 600, "the writes during the failover are on the cluster: " + onMasters);
            // the cutover per master: the four current ones paused, their keys adding up; the killed one keeps its copy row
            JsonNode done = api.get("/api/migrations/" + id).json();
            List<JsonNode> paused = java.util.stream.StreamSupport.stream(done.path("shards").spliterator(), false)
                    .filter(x -> x.path("paused").asBoolean()).toList();
            assertEquals(4, paused.size(), done.toString());
            assertEquals(onMasters, paused.stream().mapToLong(x -> x.path("cutoverKeys").asLong()).sum(), done.toString());
            assertTrue(done.path("shards").size() == 5 && done.toString().contains("\"server\":\"127.0.0.1:" + killed.port() + "\""), done.toString());
            String audit = api.get("/api/migrations/" + id + "/audit").body();
            assertTrue(audit.contains("the cluster's masters changed"), "the resharding was found and reconciled: " + audit);
            // each gap was reconciled for the masters it concerned, not the whole keyspace: the killed master's slots on its
            // promoted replica, then the added master's
            assertTrue(audit.contains("rescanning master(s) 127.0.0.1:" + promoted[0].port() + " and their"), audit);
            assertTrue(java.util.regex.Pattern.compile("rescanning master\\(s\\) [0-9.:, ]*127\\.0\\.0\\.1:" + added[0].port()).matcher(audit).find(),
                    audit);
            assertEquals(Long.toString(onMasters), target.cli("DBSIZE"), "the target holds the current masters' keys and nothing else");
            api.assertVerifiedEqual(id); // key by key: value, type and TTL, each read from its slot's master
            // the TTL as the source has it now (on a busy machine the test takes minutes: no fixed bound on the remaining time)
            long sourceTtl = Long.parseLong(cluster.ownerOf("k:4000").cli("PTTL", "k:4000"));
            long targetTtl = Long.parseLong(target.cli("PTTL", "k:4000"));
            assertTrue(sourceTtl > 0 && Math.abs(sourceTtl - targetTtl) < 5_000, "TTLs came along: source " + sourceTtl + " ms, target " + targetTtl + " ms");
        }
    }

    /** Whether the migration's view shows {@code master} as a shard the capture subscribes to. */
    static boolean subscribed(JsonNode migration, RedisServer master) {
        for (JsonNode shard : migration.path("shards")) {
            if (shard.path("server").asText().equals("127.0.0.1:" + master.port()) && shard.path("subscribed").asBoolean()) {
                return true;
            }
        }
        return false;
    }

    /**
     * After a source's failover: the migration reconciled (never FAILED) until {@code reached} holds on the target, then
     * drains and cuts over with the cutover's check DONE.
     */
    static void followedThenCutOver(String id, java.util.function.BooleanSupplier reached) {
        JsonNode followed = api.await(id, m -> m.path("state").asText().equals("FAILED")
                || m.at("/replication/reconciliations").asLong() >= 1 && !m.at("/replication/reconciling").asBoolean()
                && reached.getAsBoolean(), Duration.ofSeconds(180));
        assertEquals("REPLICATING", followed.get("state").asText(), followed.toString());
        drained(id);
        assertEquals(202, api.post("/api/migrations/" + id + "/complete", "{\"cutover\":true}").status());
        JsonNode done = api.await(id, m -> m.path("state").asText().equals("COMPLETED") && m.at("/cutover/state").asText().matches("DONE|MISMATCH"),
                Duration.ofSeconds(90));
        assertEquals("DONE", done.at("/cutover/state").asText(), done.toString());
    }

    /** Writes to a Redis Cluster as a cluster client would: each key on its slot's master, pipelined per master. */
    static final class ClusterWrites {
        private final Vertx vertx;
        private final ClusterNodes nodes;

        ClusterWrites(Vertx vertx, RedisEndpoint cluster) {
            this.vertx = vertx;
            this.nodes = ClusterNodes.discover(vertx, cluster, Duration.ofSeconds(10));
        }

        void set(String prefix, int from, int to, long ttlMillis) {
            send(from, to, prefix, i -> ttlMillis > 0 ? Request.cmd(Command.SET).arg(prefix + i).arg("v" + i).arg("PX").arg(ttlMillis)
                    : Request.cmd(Command.SET).arg(prefix + i).arg("v" + i));
        }

        void del(String prefix, int from, int to) {
            send(from, to, prefix, i -> Request.cmd(Command.DEL).arg(prefix + i));
        }

        private void send(int from, int to, String prefix, java.util.function.IntFunction<Request> command) {
            Map<RedisEndpoint, List<Request>> byMaster = new java.util.HashMap<>();
            for (int i = from; i < to; i++) {
                byte[] key = (prefix + i).getBytes(java.nio.charset.StandardCharsets.UTF_8);
                byMaster.computeIfAbsent(nodes.ownerOf(ClusterNodes.slot(key)).endpoint(), e -> new ArrayList<>()).add(command.apply(i));
            }
            byMaster.forEach((master, requests) -> {
                try (BlockingRedis r = BlockingRedis.connect(vertx, master, 0, Duration.ofSeconds(10))) {
                    r.pipeline(requests).forEach(x -> assertTrue(x.ok(), x.toString()));
                }
            });
        }

        long dbsize() {
            long n = 0;
            for (ClusterNodes.Master m : nodes.masters()) {
                try (BlockingRedis r = BlockingRedis.connect(vertx, m.endpoint(), 0, Duration.ofSeconds(10))) {
                    n += r.send(Request.cmd(Command.DBSIZE)).toLong();
                }
            }
            return n;
        }
    }

    @Test
    void aSourceLostDuringReplicationFailsAndStartOverSucceeds() {
        RedisServer target = RedisServer.start();
        RedisServer source = RedisServer.start();
        try {
            source.cli("DEBUG", "POPULATE", "3000", "k", "16");
            source.cli("CONFIG", "SET", "notify-keyspace-events", "KEA");
            String id = create("start-over", source.uri(), target.uri(), "{\"overwrite\":true}");
            validate(id);
            api.post("/api/migrations/" + id + "/start", "{\"acknowledgeWarnings\":true}");
            api.awaitState(id, "REPLICATING", Duration.ofSeconds(60));
            int port = source.port();
            source.kill();
            // the capture tries to subscribe again for DFM_REPLICATOR_CAPTURE_RESUBSCRIBE (20 s on the shared stack)
            JsonNode failed = api.awaitState(id, "FAILED", Duration.ofSeconds(90));
            assertTrue(failed.get("error").asText().contains("127.0.0.1:" + port) || failed.get("error").asText().contains("lost"),
                    failed.toString());
            source = RedisServer.startOnPort(port);
            source.cli("DEBUG", "POPULATE", "4000", "k", "16");
            source.cli("CONFIG", "SET", "notify-keyspace-events", "KEA");
            assertEquals(202, api.post("/api/migrations/" + id + "/restart", null).status());
            JsonNode v = api.await(id, m -> !m.path("state").asText().equals("VALIDATING"), Duration.ofSeconds(30));
            assertEquals("VALIDATED", v.get("state").asText(), v.toString());
            api.post("/api/migrations/" + id + "/start", "{\"acknowledgeWarnings\":true}");
            JsonNode r = api.await(id, m -> m.path("state").asText().matches("REPLICATING|FAILED"), Duration.ofSeconds(60));
            assertEquals("REPLICATING", r.get("state").asText(), r.toString());
            assertEquals(2, r.get("run").asInt());
            assertEquals(source.cli("DEBUG", "DIGEST"), target.cli("DEBUG", "DIGEST"));
            api.post("/api/migrations/" + id + "/complete", "{\"cutover\":false}");
        } finally {
            source.close();
            target.close();
        }
    }

    @Test
    void badEndpointsAreExplainedByTheValidationReport() {
        try (RedisServer source = RedisServer.start("--requirepass", "right"); RedisServer full = RedisServer.start();
             RedisServer small = RedisServer.start("--databases", "2")) {
            source.cli("-a", "right", "--no-auth-warning", "-n", "3", "SET", "k", "v");
            full.cli("SET", "already", "here");
            JsonNode wrongPassword = validate(create("wrong-password", "redis://:wrong@127.0.0.1:" + source.port(), full.uri(), null));
            assertCheck(wrongPassword, "connectivity.source", "ERROR", "password");
            JsonNode unreachable = validate(create("unreachable", "redis://127.0.0.1:" + Ports.free(), full.uri(), null));
            assertCheck(unreachable, "connectivity.source", "ERROR", "nothing listens");
            String good = "redis://:right@127.0.0.1:" + source.port();
            assertCheck(validate(create("non-empty", good, full.uri(), null)), "target.not-empty", "ERROR", "overwrite");
            assertCheck(validate(create("few-dbs", good, small.uri(), null)), "databases", "ERROR", "databases");
        }
    }

    static void assertCheck(JsonNode migration, String id, String severity, String remediationContains) {
        assertEquals("VALIDATION_FAILED", migration.get("state").asText(), migration.toString());
        for (JsonNode c : migration.at("/validation/checks")) {
            if (c.get("id").asText().equals(id)) {
                assertEquals(severity, c.get("severity").asText(), c.toString());
                assertTrue(c.get("remediation").asText().contains(remediationContains), c.toString());
                return;
            }
        }
        throw new AssertionError("no check " + id + " in " + migration);
    }
}

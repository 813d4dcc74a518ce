package io.dfmigrate.e2e;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.dfmigrate.localstack.LocalStack;
import io.dfmigrate.localstack.RedisServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import io.dfmigrate.common.endpoint.RedisEndpoint;
import io.dfmigrate.common.redis.BlockingRedis;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The copy benchmark (docs/benchmarks.md): {@code deploy/local/benchmark.sh}. Skipped in the test command. For each
 * dataset it measures, in the same run, a native full sync (REPLICAOF, diskless, no delay) and the copy through the
 * real services, and prints keys/s, MB/s, the copier's peak heap and the ratio. It measures and prints; it asserts
 * only that the copy is complete.
 */
class CopyBenchmark {
    static LocalStack stack;
    static Api api;

    @BeforeAll
    static void start() {
        assumeTrue(Boolean.getBoolean("dfm.benchmark"), "benchmarks run with -Ddfm.benchmark=true (deploy/local/benchmark.sh)");
        stack = E2e.startStack(E2e.benchmarkEnv());
        api = new Api(stack);
        // -Ddfm.benchmark.copiers=N: N copier instances share the batches (the consumer group dfm-copier-workers)
        for (int i = 2; i <= Integer.getInteger("dfm.benchmark.copiers", 1); i++) {
            stack.startService("copier", "copier-" + i, io.dfmigrate.localstack.Ports.free());
        }
    }

    @AfterAll
    static void stop() {
        if (stack != null) {
            stack.close();
        }
    }

    @Test
    void strings1M() {
        // twice: the first migration after the services started runs with cold JIT, the second one with warm
        run("1M strings of 100 B", s -> s.cli("DEBUG", "POPULATE", "1000000", "key", "100"));
        run("1M strings of 100 B, again on the same stack", s -> s.cli("DEBUG", "POPULATE", "1000000", "key", "100"));
    }

    @Test
    void mixedTypesWithTtlsIn3Dbs() {
        run("mixed types with TTLs, 3 dbs", s -> {
            for (int db = 0; db < 3; db++) {
                String n = Integer.toString(db);
                s.cli("-n", n, "DEBUG", "POPULATE", "100000", "str", "64");
                s.cli("-n", n, "EVAL", "for i=1,20000 do redis.call('HSET','h:'..i,'a',i,'b',i*2,'c','x') "
                        + "redis.call('RPUSH','l:'..i,i,i+1,i+2) redis.call('SADD','s:'..i,i,i+1) redis.call('ZADD','z:'..i,i,'m'..i) "
                        + "redis.call('XADD','x:'..(i%1000),'*','f',i) if i%3==0 then redis.call('EXPIRE','h:'..i,86400) end end", "0");
            }
        });
    }

    /**
     * The refused-payload path (issue: copy at full speed on every source version): the same 100,000 keys of the
     * acceptance mix from a 7.0 source into a 7.0 target (DUMP/RESTORE as it is; first and last) and into a 6.2 target (every payload
     * refused as it is; re-stamped where 6.2 knows the type, else converted to an older encoding), in one run.
     */
    @Test
    void crossVersion70To62() {
        Consumer<RedisServer> mix = s -> {
            s.cli("DEBUG", "POPULATE", "60000", "str", "64");
            s.cli("EVAL", "for i=1,8000 do redis.call('HSET','h:'..i,'a',i,'b',i*2,'c','x') "
                    + "redis.call('RPUSH','l:'..i,i,i+1,i+2) redis.call('SADD','s:'..i,i,i+1) redis.call('SADD','t:'..i,'x'..i,'y') "
                    + "redis.call('ZADD','z:'..i,i,'m'..i) if i%3==0 then redis.call('EXPIRE','h:'..i,86400) redis.call('EXPIRE','str:'..i,86400) end end "
                    + "for i=1,200 do redis.call('XADD','x:'..i,'*','f',i) end", "0");
        };
        // the first migration on a fresh stack runs with a cold JIT: 7.0 -> 7.0 again last, to compare warm with warm
        run("acceptance mix 100k keys, 7.0 -> 7.0 (cold)", mix, RedisServer::start);
        run("acceptance mix 100k keys, 7.0 -> 6.2 (payloads refused)", mix, () -> RedisServer.startBinary(RedisServer.redis62Binary(), false));
        run("acceptance mix 100k keys, 7.0 -> 7.0 (warm)", mix, RedisServer::start);
    }

    @Test
    void threeKeysOf2MElements() {
        run("3 keys of 2M elements (hash, zset, set)", s -> s.cli("EVAL", "for i=1,2000000,1000 do local a={} local z={} local m={} "
                + "for j=i,i+999 do a[#a+1]='f'..j a[#a+1]='v'..j z[#z+1]=j z[#z+1]='m'..j m[#m+1]='e'..j end "
                + "redis.call('HSET','big-hash',unpack(a)) redis.call('ZADD','big-zset',unpack(z)) redis.call('SADD','big-set',unpack(m)) end", "0"));
    }

    /**
     * The e2e-sized run with a steady write load: the acceptance dataset, a writer at about 2,000 writes/s through copy
     * and replication, lag sampled from the API every 200 ms while replicating, heap of every service sampled throughout.
     */
    @Test
    void e2eSizedWithSteadyWrites() throws Exception {
        Vertx vertx = Vertx.vertx();
        try (RedisServer source = RedisServer.start(); RedisServer target = RedisServer.start(); RedisServer replica = RedisServer.start()) {
            source.cli("DEBUG", "POPULATE", "200000", "str", "64");
            source.cli("EVAL", "for i=1,20000 do redis.call('HSET','h:'..i,'a',i,'b','x') redis.call('RPUSH','l:'..i,i,i+1) "
                    + "redis.call('SADD','s:'..i,i,'m') redis.call('ZADD','z:'..i,i,'m'..i) if i%2==0 then redis.call('EXPIRE','h:'..i,86400) end end "
                    + "for i=1,200000 do redis.call('HSET','big-hash','field-'..i,'value-'..i) end", "0");
            source.cli("-n", "1", "EVAL", "for i=1,1000 do redis.call('XADD','st:'..i,'*','f',i) end redis.call('XGROUP','CREATE','st:1','g','0')", "0");
            source.cli("-n", "2", "DEBUG", "POPULATE", "50000", "two", "16");
            source.cli("CONFIG", "SET", "notify-keyspace-events", "KEA");
            long keys = E2e.keyCount(source);
            double nativeSeconds = E2e.nativeFullSyncSeconds(source, replica); // native replication, same data, same run

            String id = api.post("/api/migrations", "{\"name\":\"bench-e2e\",\"source\":{\"uri\":\"" + source.uri()
                    + "\"},\"target\":{\"uri\":\"" + target.uri() + "\"}}").json().get("id").asText();
            api.post("/api/migrations/" + id + "/validate", null);
            api.await(id, m -> !m.path("state").asText().equals("VALIDATING"), Duration.ofSeconds(60));
            Map<String, AtomicLong> peaks = new TreeMap<>();
            for (String svc : LocalStack.SERVICES) {
                peaks.put(svc, new AtomicLong());
            }
            AtomicBoolean running = new AtomicBoolean(true);
            Thread sampler = Thread.ofVirtual().start(() -> {
                while (running.get()) {
                    peaks.forEach((svc, peak) -> peak.accumulateAndGet(heapUsed(stack.service(svc).managementUrl(), stack.apiToken()), Math::max));
                    E2e.sleep(250);
                }
            });
            AtomicLong writes = new AtomicLong();
            Thread writer = Thread.ofVirtual().start(() -> {
                var ep = RedisEndpoint.parse(source.uri());
                try (var db0 = BlockingRedis.connect(vertx, ep, 0, Duration.ofSeconds(30))) {
                    Random rnd = new Random(1);
                    long next = System.nanoTime();
                    for (int i = 0; running.get(); i++) {
                        List<Request> batch = new ArrayList<>();
                        for (int j = 0; j < 20; j++) {
                            batch.add(Request.cmd(Command.SET)
                                    .arg("str:" + rnd.nextInt(200000)).arg("w" + i));
                        }
                        db0.pipeline(batch);
                        writes.addAndGet(20);
                        next += 10_000_000L; // 20 writes every 10 ms: 2,000 writes/s
                        long wait = next - System.nanoTime();
                        if (wait > 0) {
                            Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                        }
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            api.post("/api/migrations/" + id + "/start", "{\"acknowledgeWarnings\":true}");
            JsonNode m = api.await(id, x -> x.path("state").asText().matches("REPLICATING|FAILED"), Duration.ofMinutes(20));
            // the changes held during the copy are applied first: the backlog; then the steady state is sampled
            long b0 = System.nanoTime();
            JsonNode caughtUp = api.await(id, x -> x.at("/replication/pendingChanges").asLong(-1) < 100, Duration.ofMinutes(5));
            double backlogSeconds = (System.nanoTime() - b0) / 1e9;
            long backlog = caughtUp.at("/replication/appliedChanges").asLong();
            E2e.sleep(2000);
            List<Long> lags = new ArrayList<>();
            long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (System.nanoTime() < end) {
                JsonNode now = api.get("/api/migrations/" + id).json();
                if (now.at("/replication/lagMillis").isNumber()) {
                    lags.add(now.at("/replication/lagMillis").asLong());
                }
                E2e.sleep(200);
            }
            running.set(false);
            writer.join();
            sampler.join();
            Collections.sort(lags);
            double copySeconds = Duration.between(Instant.parse(m.at("/timestamps/copyStartedAt").asText()),
                    Instant.parse(m.at("/timestamps/copyFinishedAt").asText())).toMillis() / 1000.0;
            api.await(id, x -> x.at("/replication/pendingChanges").asLong(-1) == 0, Duration.ofSeconds(60));
            E2e.sleep(2500);
            api.post("/api/migrations/" + id + "/complete", "{\"cutover\":true}");
            JsonNode done = api.await(id, x -> x.at("/cutover/state").asText().matches("DONE|MISMATCH"), Duration.ofSeconds(60));
            StringBuilder heap = new StringBuilder();
            peaks.forEach((svc, p) -> heap.append(svc).append(' ').append(p.get() >> 20).append(" MB, "));
            System.out.println(String.format(Locale.ROOT, "BENCHMARK-E2E | %d keys (strings, hashes, lists, sets, zsets, streams, 3 dbs, "
                            + "a 200k-field hash) | copy %.2f s | native %.2f s | ratio %.1fx | %d writes at ~2000/s | backlog of %d changes applied %.1f s "
                            + "after the copy | steady lag p50 %d ms, p99 %d ms (%d samples) | heap peak %s| cutover %s, pause %d ms | digest %s",
                    keys, copySeconds, nativeSeconds, copySeconds / nativeSeconds, writes.get(), backlog, backlogSeconds, pct(lags, 50),
                    pct(lags, 99), lags.size(),
                    heap, done.at("/cutover/state").asText(), done.at("/cutover/pauseMillis").asLong(),
                    source.cli("DEBUG", "DIGEST").equals(target.cli("DEBUG", "DIGEST")) ? "equal" : "DIFFERENT"));
        } finally {
            vertx.close();
        }
    }

    static long pct(List<Long> sorted, int p) {
        return sorted.isEmpty() ? -1 : sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p / 100.0 * sorted.size()) - 1));
    }

    /**
     * A Redis Cluster of 3 masters (no replicas) with 1M strings of 100 bytes, consolidated into one target
     * ({@code topology cluster}). Native: each master's full sync to a replica of its own, one after the other (the
     * slowest of them is what parallel replicas would take); both are printed.
     */
    @Test
    void cluster1M() {
        try (io.dfmigrate.localstack.RedisCluster cluster = io.dfmigrate.localstack.RedisCluster.start(3, 0, "--notify-keyspace-events", "KEA");
             RedisServer target = RedisServer.start()) {
            Vertx vertx = Vertx.vertx();
            RedisEndpoint seed = RedisEndpoint.parse(cluster.masters().get(0).uri()).asCluster();
            io.dfmigrate.common.redis.ClusterNodes nodes = io.dfmigrate.common.redis.ClusterNodes.discover(vertx, seed, Duration.ofSeconds(10));
            String value = "v".repeat(100);
            for (int from = 0; from < 1_000_000; from += 20_000) {
                int start = from;
                sendByMaster(vertx, nodes, 20_000, i -> "key:" + (start + i), (i, key) -> Request.cmd(Command.SET).arg(key).arg(value));
            }
            double nativeSum = 0;
            double nativeMax = 0;
            long keys = 0;
            for (RedisServer master : cluster.masters()) {
                keys += Long.parseLong(master.cli("DBSIZE"));
                try (RedisServer replica = RedisServer.start()) {
                    double t = E2e.nativeFullSyncSeconds(master, replica);
                    nativeSum += t;
                    nativeMax = Math.max(nativeMax, t);
                }
            }
            String id = startClusterMigration("bench-cluster", cluster, target);
            JsonNode m = api.await(id, x -> x.path("state").asText().matches("REPLICATING|FAILED"), Duration.ofMinutes(20));
            double copySeconds = copySeconds(m);
            JsonNode verified = api.verify(id, null, Duration.ofMinutes(20));
            System.out.println(String.format(Locale.ROOT, "BENCHMARK | cluster of 3 masters, 1M strings of 100 B | %d keys | copy %.2f s | %.0f keys/s "
                            + "| native: slowest master %.2f s, the 3 one after the other %.2f s | ratio %.1fx (slowest), %.1fx (sum) | state %s "
                            + "| target %s keys | verification: %d checked, %d differ",
                    keys, copySeconds, keys / copySeconds, nativeMax, nativeSum, copySeconds / nativeMax, copySeconds / nativeSum,
                    m.get("state").asText(), target.cli("DBSIZE"), verified.path("keysChecked").asLong(), verified.path("keysDiffering").asLong()));
            api.post("/api/migrations/" + id + "/complete", "{\"cutover\":false}");
            vertx.close();
        }
    }

    /**
     * The cluster under live writes: 3 masters with {@code dfm.benchmark.clusterKeys} (2M) strings, a writer on every
     * master (SET, DEL, PEXPIRE, about 2,500 writes/s) from before the start through the copy and
     * {@code dfm.benchmark.clusterReplicate} (PT1M) of replication, then the cutover and a full verification.
     */
    @Test
    void clusterUnderWrites() throws Exception {
        int total = Integer.getInteger("dfm.benchmark.clusterKeys", 2_000_000);
        Duration replicate = Duration.parse(System.getProperty("dfm.benchmark.clusterReplicate", "PT1M"));
        try (io.dfmigrate.localstack.RedisCluster cluster = io.dfmigrate.localstack.RedisCluster.start(3, 0, "--notify-keyspace-events", "KEA");
             RedisServer target = RedisServer.start()) {
            Vertx vertx = Vertx.vertx();
            RedisEndpoint seed = RedisEndpoint.parse(cluster.masters().get(0).uri()).asCluster();
            io.dfmigrate.common.redis.ClusterNodes nodes = io.dfmigrate.common.redis.ClusterNodes.discover(vertx, seed, Duration.ofSeconds(10));
            String value = "v".repeat(100);
            for (int from = 0; from < total; from += 20_000) {
                int start = from;
                sendByMaster(vertx, nodes, 20_000, i -> "key:" + (start + i), (i, key) -> i % 5 == 0
                        ? Request.cmd(Command.SET).arg(key).arg(value).arg("PX").arg(3_600_000 + i) : Request.cmd(Command.SET).arg(key).arg(value));
            }
            AtomicBoolean writing = new AtomicBoolean(true);
            AtomicLong writes = new AtomicLong();
            Thread writer = Thread.ofVirtual().start(() -> {
                Random rnd = new Random(3);
                for (long n = 0; writing.get(); n += 50) {
                    long base = n;
                    sendByMaster(vertx, nodes, 50, i -> "key:" + rnd.nextInt(total + 100_000), (i, key) -> switch ((int) ((base + i) % 5)) {
                        case 0 -> Request.cmd(Command.DEL).arg(key);
                        case 1 -> Request.cmd(Command.PEXPIRE).arg(key).arg(600_000);
                        default -> Request.cmd(Command.SET).arg(key).arg("w" + (base + i));
                    });
                    writes.addAndGet(50);
                    E2e.sleep(20);
                }
            });
            try {
                String id = startClusterMigration("cluster-soak", cluster, target);
                JsonNode m = api.await(id, x -> x.path("state").asText().matches("REPLICATING|FAILED"), Duration.ofMinutes(30));
                double copySeconds = copySeconds(m);
                long writesAtCopyEnd = writes.get();
                List<Long> lags = new ArrayList<>();
                long until = System.nanoTime() + replicate.toNanos();
                while (System.nanoTime() < until) {
                    lags.add(api.get("/api/migrations/" + id).json().at("/replication/lagMillis").asLong(-1));
                    E2e.sleep(1000);
                }
                writing.set(false);
                writer.join();
                api.await(id, x -> x.at("/replication/pendingChanges").asLong(-1) == 0, Duration.ofMinutes(10));
                E2e.sleep(2500);
                api.post("/api/migrations/" + id + "/complete", "{\"cutover\":true}");
                JsonNode done = api.await(id, x -> x.at("/cutover/state").asText().matches("DONE|MISMATCH") || "FAILED".equals(x.path("state").asText()),
                        Duration.ofMinutes(5));
                JsonNode verified = api.verify(id, null, Duration.ofMinutes(30));
                long onMasters = 0;
                for (RedisServer master : cluster.masters()) {
                    master.cli("--scan"); // expired keys reclaimed before counting, on both sides
                    onMasters += Long.parseLong(master.cli("DBSIZE"));
                }
                target.cli("--scan");
                List<Long> sorted = lags.stream().filter(l -> l >= 0).sorted().toList();
                System.out.println(String.format(Locale.ROOT, "BENCHMARK | cluster of 3 masters under writes | %d keys | copy %.1f s (%.0f keys/s) "
                                + "| %d writes during the copy, %d in all | lag p50 %d ms, p99 %d ms | cutover %s, pause %d ms, %s | keys: masters %d, "
                                + "target %s | verification: %d checked, %d differ",
                        total, copySeconds, total / copySeconds, writesAtCopyEnd, writes.get(), pct(sorted, 50), pct(sorted, 99),
                        done.at("/cutover/state").asText(), done.at("/cutover/pauseMillis").asLong(), done.path("state").asText(), onMasters,
                        target.cli("DBSIZE"), verified.path("keysChecked").asLong(), verified.path("keysDiffering").asLong()));
            } finally {
                writing.set(false);
                writer.join();
                vertx.close();
            }
        }
    }

    /** Creates, validates and starts a migration of the whole {@code cluster} into {@code target}; returns its id. */
    private static String startClusterMigration(String name, io.dfmigrate.localstack.RedisCluster cluster, RedisServer target) {
        Api.Reply created = api.post("/api/migrations", "{\"name\":\"" + name + "\",\"source\":{\"uri\":\"" + cluster.masters().get(0).uri()
                + "\",\"topology\":\"cluster\"},\"target\":{\"uri\":\"" + target.uri() + "\"}}");
        String id = created.json().get("id").asText();
        api.post("/api/migrations/" + id + "/validate", null);
        api.await(id, m -> !m.path("state").asText().equals("VALIDATING"), Duration.ofSeconds(60));
        api.post("/api/migrations/" + id + "/start", "{\"acknowledgeWarnings\":true}");
        return id;
    }

    /** The copy's duration in seconds, from the migration's timestamps. */
    private static double copySeconds(JsonNode m) {
        return Duration.between(Instant.parse(m.at("/timestamps/copyStartedAt").asText()),
                Instant.parse(m.at("/timestamps/copyFinishedAt").asText())).toMillis() / 1000.0;
    }

    /** {@code count} commands, the i-th on key {@code keys.apply(i)}, pipelined to the master of each key's slot. */
    private static void sendByMaster(Vertx vertx, io.dfmigrate.common.redis.ClusterNodes nodes, int count,
                                     java.util.function.IntFunction<String> keys, java.util.function.BiFunction<Integer, String, Request> command) {
        Map<RedisEndpoint, List<Request>> byMaster = new java.util.HashMap<>();
        for (int i = 0; i < count; i++) {
            String key = keys.apply(i);
            byMaster.computeIfAbsent(nodes.ownerOf(io.dfmigrate.common.redis.ClusterNodes.slot(key.getBytes(java.nio.charset.StandardCharsets.UTF_8)))
                    .endpoint(), e -> new ArrayList<>()).add(command.apply(i, key));
        }
        byMaster.forEach((master, requests) -> {
            try (BlockingRedis r = BlockingRedis.connect(vertx, master, 0, Duration.ofSeconds(30))) {
                r.pipeline(requests);
            }
        });
    }

    void run(String dataset, Consumer<RedisServer> load) {
        run(dataset, load, RedisServer::start);
    }

    /** {@code targets}: the target server (a 6.2 for the cross-version dataset); native replication always 7.0 → 7.0. */
    void run(String dataset, Consumer<RedisServer> load, java.util.function.Supplier<RedisServer> targets) {
        try (RedisServer source = RedisServer.start(); RedisServer target = targets.get(); RedisServer replica = RedisServer.start()) {
            load.accept(source);
            source.cli("CONFIG", "SET", "notify-keyspace-events", "KEA");
            long keys = E2e.keyCount(source);
            double nativeSeconds = E2e.nativeFullSyncSeconds(source, replica); // native replication, same data, same run

            // -Ddfm.benchmark.copyMode=snapshot: the initial copy from the source's RDB snapshot instead of SCAN + DUMP
            String mode = System.getProperty("dfm.benchmark.copyMode", "");
            Api.Reply created = api.post("/api/migrations", "{\"name\":\"bench\",\"source\":{\"uri\":\"" + source.uri()
                    + "\"},\"target\":{\"uri\":\"" + target.uri() + "\"}"
                    + (mode.isBlank() ? "" : ",\"options\":{\"copyMode\":\"" + mode + "\"}") + "}");
            String id = created.json().get("id").asText();
            api.post("/api/migrations/" + id + "/validate", null);
            api.await(id, m -> !m.path("state").asText().equals("VALIDATING"), Duration.ofSeconds(60));
            AtomicLong peakHeap = new AtomicLong();
            Thread sampler = Thread.ofVirtual().start(() -> {
                while (!Thread.currentThread().isInterrupted()) {
                    peakHeap.accumulateAndGet(heapUsed(stack.service("copier").managementUrl(), stack.apiToken()), Math::max);
                    E2e.sleep(500);
                }
            });
            api.post("/api/migrations/" + id + "/start", "{\"acknowledgeWarnings\":true}");
            JsonNode m = api.await(id, x -> x.path("state").asText().matches("REPLICATING|FAILED"), Duration.ofMinutes(20));
            sampler.interrupt();
            double copySeconds = Duration.between(Instant.parse(m.at("/timestamps/copyStartedAt").asText()),
                    Instant.parse(m.at("/timestamps/copyFinishedAt").asText())).toMillis() / 1000.0;
            long bytes = m.at("/progress/bytesCopied").asLong();
            String line = String.format(Locale.ROOT, "BENCHMARK | %s%s | %d keys | copy %.2f s | %.0f keys/s | %.1f MB/s | %d structural "
                            + "| copier peak heap %d MB | native %.2f s | ratio %.1fx | state %s | digest %s",
                    dataset, mode.isBlank() ? "" : " (copyMode " + mode + ")", keys, copySeconds, keys / copySeconds, bytes / 1048576.0 / copySeconds, m.at("/progress/keysStructural").asLong(),
                    peakHeap.get() >> 20, nativeSeconds, copySeconds / nativeSeconds, m.get("state").asText(),
                    source.cli("DEBUG", "DIGEST").equals(target.cli("DEBUG", "DIGEST")) ? "equal" : "DIFFERENT");
            System.out.println(line);
            api.post("/api/migrations/" + id + "/complete", "{\"cutover\":false}");
        }
    }

    /** The service's heap in use, from its metrics ({@code token}: the orchestrator's; the workers ignore it). */
    static long heapUsed(String base, String token) {
        try {
            String metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(base + "/q/metrics"))
                            .header("Authorization", "Bearer " + token).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            long sum = 0;
            for (String l : metrics.split("\n")) {
                if (l.startsWith("jvm_memory_used_bytes{") && l.contains("area=\"heap\"")) {
                    sum += (long) Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1));
                }
            }
            return sum;
        } catch (Exception e) {
            return 0;
        }
    }


}

package io.dfmigrate.e2e;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.dfmigrate.common.endpoint.RedisEndpoint;
import io.dfmigrate.common.redis.BlockingRedis;
import io.dfmigrate.localstack.LocalStack;
import io.dfmigrate.localstack.RedisServer;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The soak benchmark and the capture benchmark (docs/benchmarks.md): {@code deploy/local/soak.sh}. Skipped in the test
 * command. They measure and print ("SOAK | …", "BENCHMARK-CAPTURE | …"); they assert nothing about time.
 *
 * <p>Soak: {@code dfm.soak.keys} (10M) keys of mixed types, a writer at {@code dfm.soak.writes} (5,000) writes/s from
 * before the start to the cutover, the copy, {@code dfm.soak.replicate} (PT10M) of replication, the cutover, the
 * digests; native REPLICAOF of the same data in the same run; backlog and catch-up, steady lag, heap and RSS peaks of
 * every service, Kafka's disk, the cutover pause. Capture: redis-benchmark, unpipelined, as the writer during a copy.
 */
class SoakBenchmark {
    static LocalStack stack;
    static Api api;
    static Vertx vertx;

    @BeforeAll
    static void start() {
        assumeTrue(Boolean.getBoolean("dfm.soak"), "the soak benchmark runs with -Ddfm.soak=true (deploy/local/soak.sh)");
        stack = E2e.startStack(E2e.benchmarkEnv());
        api = new Api(stack);
        vertx = Vertx.vertx();
    }

    @AfterAll
    static void stop() {
        if (vertx != null) {
            vertx.close();
        }
        if (stack != null) {
            stack.close();
        }
    }

    /** Peaks of heap (from /q/metrics) and RSS (VmRSS) per service, sampled every 500 ms while running. */
    static final class Sampler implements AutoCloseable {
        final Map<String, AtomicLong> heap = new TreeMap<>();
        final Map<String, AtomicLong> rss = new TreeMap<>();
        final AtomicBoolean running = new AtomicBoolean(true);
        final Thread thread;

        Sampler() {
            LocalStack.SERVICES.forEach(s -> {
                heap.put(s, new AtomicLong());
                rss.put(s, new AtomicLong());
            });
            thread = Thread.ofVirtual().start(() -> {
                while (running.get()) {
                    for (String s : LocalStack.SERVICES) {
                        heap.get(s).accumulateAndGet(CopyBenchmark.heapUsed(stack.service(s).managementUrl(), stack.apiToken()), Math::max);
                        rss.get(s).accumulateAndGet(rssBytes(stack.service(s).pid()), Math::max);
                    }
                    E2e.sleep(500);
                }
            });
        }

        String summary() {
            StringBuilder b = new StringBuilder();
            heap.forEach((s, h) -> b.append(s).append(' ').append(h.get() >> 20).append('/').append(rss.get(s).get() >> 20).append(" MB, "));
            return b.toString();
        }

        @Override
        public void close() throws InterruptedException {
            running.set(false);
            thread.join();
        }
    }

    static long rssBytes(long pid) {
        try {
            for (String l : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (l.startsWith("VmRSS:")) {
                    return Long.parseLong(l.replaceAll("\\D", "")) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            // the process is gone
        }
        return 0;
    }

    static long dirBytes(Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile).mapToLong(f -> f.toFile().length()).sum();
        } catch (IOException e) {
            return -1;
        }
    }

    static long info(RedisServer server, String section, String field) {
        for (String l : server.cli("INFO", section).split("\r?\n")) {
            if (l.startsWith(field + ":")) {
                return Long.parseLong(l.substring(field.length() + 1).strip());
            }
        }
        return -1;
    }

    /** Writes of every type at {@code perSecond} (pipelines of 50 every 10 ms at 5,000/s), until stopped. */
    static Thread writer(RedisServer source, long keys, int perSecond, AtomicBoolean writing, AtomicLong writes) {
        return Thread.ofVirtual().start(() -> {
            RedisEndpoint ep = RedisEndpoint.parse(source.uri());
            Random rnd = new Random(11);
            int perTick = Math.max(1, perSecond / 100);
            try (BlockingRedis db0 = BlockingRedis.connect(vertx, ep, 0, Duration.ofSeconds(30))) {
                long next = System.nanoTime();
                for (int i = 0; writing.get(); i++) {
                    List<Request> batch = new ArrayList<>(perTick);
                    for (int j = 0; j < perTick; j++) {
                        long k = (long) (rnd.nextDouble() * keys);
                        batch.add(switch (j % 8) {
                            case 0, 1, 2 -> Request.cmd(Command.SET).arg("key:" + k).arg("w" + i);
                            case 3 -> Request.cmd(Command.HSET).arg("h:" + rnd.nextInt(100_000)).arg("f" + j).arg("w" + i);
                            case 4 -> Request.cmd(Command.LPUSH).arg("l:" + rnd.nextInt(100_000)).arg("w" + i);
                            case 5 -> Request.cmd(Command.ZADD).arg("z:" + rnd.nextInt(100_000)).arg(Integer.toString(i % 1000)).arg("m" + j);
                            case 6 -> Request.cmd(Command.DEL).arg("key:" + k);
                            default -> Request.cmd(Command.SET).arg("ttl:" + i + ":" + j).arg("t").arg("EX").arg("3600");
                        });
                    }
                    db0.pipeline(batch);
                    writes.addAndGet(perTick);
                    next += 10_000_000L;
                    long wait = next - System.nanoTime();
                    if (wait > 0) {
                        Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
    }

    static String validatedAndStarted(String name, RedisServer source, RedisServer target) {
        return validatedAndStarted(name, source, target, null);
    }

    static String validatedAndStarted(String name, RedisServer source, RedisServer target, String options) {
        String id = api.create(name, source.uri(), target.uri(), options);
        api.post("/api/migrations/" + id + "/validate", null);
        JsonNode v = api.await(id, m -> !m.path("state").asText().equals("VALIDATING"), Duration.ofMinutes(2));
        Api.Reply r = api.post("/api/migrations/" + id + "/start", "{\"acknowledgeWarnings\":true}");
        if (r.status() != 202) {
            throw new AssertionError("start answered " + r.status() + ": " + r.body() + " after " + v);
        }
        return id;
    }

    static double seconds(JsonNode m, String from, String to) {
        return Duration.between(Instant.parse(m.at("/timestamps/" + from).asText()), Instant.parse(m.at("/timestamps/" + to).asText()))
                .toMillis() / 1000.0;
    }

    static List<String> audit(String id) {
        List<String> out = new ArrayList<>();
        api.get("/api/migrations/" + id + "/audit").json().forEach(a -> out.add(a.get("action").asText() + ": " + a.path("detail").asText()));
        return out;
    }

    @Test
    void soak() throws Exception {
        long keys = Long.getLong("dfm.soak.keys", 10_000_000L);
        int rate = Integer.getInteger("dfm.soak.writes", 5000);
        Duration replicate = Duration.parse(System.getProperty("dfm.soak.replicate", "PT10M"));
        // dfm.soak.target=6.2: a redis-server 6.2 target, so every 7.0 payload is re-stamped or converted (the path of newer sources)
        boolean olderTarget = "6.2".equals(System.getProperty("dfm.soak.target", ""));
        // dfm.soak.copyMode=snapshot: the initial copy from the source's RDB snapshot (PSYNC) instead of SCAN + DUMP
        String copyMode = System.getProperty("dfm.soak.copyMode", "");
        try (RedisServer source = RedisServer.start();
                RedisServer target = olderTarget ? RedisServer.startBinary(RedisServer.redis62Binary(), false) : RedisServer.start()) {
            // mixed types: 88 % strings of 160 B, then hashes, lists, sets, sorted sets (a tenth with TTLs), streams in db 1
            long strings = keys * 88 / 100;
            long each = (keys - strings) / 4;
            source.cli("DEBUG", "POPULATE", Long.toString(strings), "key", "160");
            source.cli("EVAL", "for i=1," + each + " do redis.call('HSET','h:'..i,'a',i,'b','some value','c',i*2) "
                    + "redis.call('RPUSH','l:'..i,i,i+1,i+2) redis.call('SADD','s:'..i,i,'m','n') redis.call('ZADD','z:'..i,i,'m'..i,i+1,'n') "
                    + "if i%10==0 then redis.call('EXPIRE','h:'..i,86400) redis.call('EXPIRE','s:'..i,86400) end end", "0");
            source.cli("-n", "1", "EVAL", "for i=1,1000 do for j=1,20 do redis.call('XADD','st:'..i,'*','f',j) end end", "0");
            source.cli("CONFIG", "SET", "notify-keyspace-events", "KEA");
            long total = E2e.keyCount(source);
            long usedBytes = info(source, "memory", "used_memory");
            double nativeSeconds;
            try (RedisServer replica = RedisServer.start()) {
                nativeSeconds = E2e.nativeFullSyncSeconds(source, replica);
            }
            System.out.printf(Locale.ROOT, "SOAK | loaded %d keys, %.2f GB used on the source; native REPLICAOF %.1f s; target %s; copy mode %s%n", total,
                    usedBytes / 1e9, nativeSeconds, target.cli("INFO", "server").lines().filter(l -> l.startsWith("redis_version:")).findFirst().orElse("?"),
                    copyMode.isBlank() ? "scan" : copyMode);

            AtomicBoolean writing = new AtomicBoolean(true);
            AtomicLong writes = new AtomicLong();
            Thread w = writer(source, strings, rate, writing, writes);
            JsonNode done;
            String id;
            List<Long> lags = new ArrayList<>();
            double drainSeconds;
            long backlog;
            double copySeconds;
            long writesDuringCopy;
            try (Sampler sampler = new Sampler()) {
                E2e.sleep(2000); // the writer runs before the start
                id = validatedAndStarted("soak", source, target, copyMode.isBlank() ? null : "{\"copyMode\":\"" + copyMode + "\"}");
                JsonNode repl = api.await(id, m -> m.path("state").asText().matches("REPLICATING|FAILED"), Duration.ofHours(3));
                writesDuringCopy = writes.get();
                if (!"REPLICATING".equals(repl.path("state").asText())) {
                    throw new AssertionError("the copy did not end in REPLICATING: " + repl);
                }
                copySeconds = seconds(repl, "copyStartedAt", "copyFinishedAt");
                backlog = repl.at("/replication/pendingChanges").asLong();
                long t0 = System.nanoTime();
                api.await(id, m -> m.at("/replication/pendingChanges").asLong(-1) < Math.max(100, rate / 10), Duration.ofHours(1));
                drainSeconds = (System.nanoTime() - t0) / 1e9;
                System.out.printf(Locale.ROOT, "SOAK | copy %.1f s, %.0f keys/s, ratio %.1fx native; backlog %d changes drained in %.1f s "
                                + "(%.0f changes/s while ~%d writes/s went on)%n", copySeconds, total / copySeconds, copySeconds / nativeSeconds,
                        backlog, drainSeconds, backlog / Math.max(0.001, drainSeconds), rate);
                long end = System.nanoTime() + replicate.toNanos();
                while (System.nanoTime() < end) {
                    JsonNode now = api.get("/api/migrations/" + id).json();
                    if (!"REPLICATING".equals(now.path("state").asText())) {
                        throw new AssertionError("replication ended: " + now);
                    }
                    if (now.at("/replication/lagMillis").isNumber()) {
                        lags.add(now.at("/replication/lagMillis").asLong());
                    }
                    E2e.sleep(1000);
                }
                // a full verification while the writer goes on: how long it takes, and that live writes raise no false alarm
                long v0 = System.nanoTime();
                JsonNode verified = api.verify(id, null, Duration.ofMinutes(60));
                double verifySeconds = (System.nanoTime() - v0) / 1e9;
                System.out.printf(Locale.ROOT, "SOAK | verify (full, under live writes) %d keys checked in %.1f s (%.0f keys/s), %d differ %s%n",
                        verified.path("keysChecked").asLong(), verifySeconds, verified.path("keysChecked").asLong() / verifySeconds,
                        verified.path("keysDiffering").asLong(), verified.path("reasons"));
                writing.set(false);
                w.join();
                api.await(id, m -> m.at("/replication/pendingChanges").asLong(-1) == 0, Duration.ofMinutes(5));
                E2e.sleep(2500);
                api.post("/api/migrations/" + id + "/complete", "{\"cutover\":true}");
                done = api.await(id, m -> m.at("/cutover/state").asText().matches("DONE|MISMATCH") || "FAILED".equals(m.path("state").asText()),
                        Duration.ofMinutes(5));
                System.out.printf(Locale.ROOT, "SOAK | heap/RSS peaks: %s%n", sampler.summary());
            }
            Collections.sort(lags);
            long kafkaBytes = dirBytes(stack.config().stateDir().resolve("kafka"));
            source.cli("--scan");
            target.cli("--scan");
            boolean equal = source.cli("DEBUG", "DIGEST").equals(target.cli("DEBUG", "DIGEST"));
            double bytesPerSecond = usedBytes / copySeconds;
            System.out.printf(Locale.ROOT, "SOAK | %d keys (%.2f GB) | copy %.1f s, %.0f keys/s | native %.1f s | ratio %.1fx | writes %d "
                            + "(%d during the copy, ~%d/s) | backlog %d drained in %.1f s | steady lag p50 %d ms, p99 %d ms over %d s | "
                            + "Kafka disk %.0f MB | cutover %s, pause %d ms | digest %s | keys by type %d | 100 GB at this rate: copy %.1f h, native %.1f h%n",
                    total, usedBytes / 1e9, copySeconds, total / copySeconds, nativeSeconds, copySeconds / nativeSeconds, writes.get(),
                    writesDuringCopy, rate, backlog, drainSeconds, CopyBenchmark.pct(lags, 50), CopyBenchmark.pct(lags, 99),
                    replicate.toSeconds(), kafkaBytes / 1048576.0, done.at("/cutover/state").asText(), done.at("/cutover/pauseMillis").asLong(),
                    equal ? "equal" : "DIFFERENT", done.at("/progress/keysStructural").asLong(-1), 100e9 / bytesPerSecond / 3600, 100e9 / (usedBytes / nativeSeconds) / 3600);
            System.out.println("SOAK | audit: " + audit(id).stream().filter(a -> !a.startsWith("validate")).toList());
        }
    }

    /** Calls of the write commands redis-benchmark sends, so far (INFO commandstats). */
    static long benchmarkCalls(RedisServer source) {
        return source.cli("INFO", "commandstats").lines()
                .filter(l -> l.matches("cmdstat_(set|incr|lpush|rpush|lpop|rpop|sadd|hset|spop|zadd|zpopmin|mset):.*"))
                .mapToLong(l -> Long.parseLong(l.replaceAll("^[a-z_]+:calls=(\\d+),.*", "$1").strip())).sum();
    }

    /** redis-benchmark, unpipelined, as the writer during a 500k-key copy: the rate the capture carries without failing. */
    @Test
    void captureUnderRedisBenchmark() throws Exception {
        int clients = Integer.getInteger("dfm.soak.benchmark-clients", 2);
        int pipeline = Integer.getInteger("dfm.soak.benchmark-pipeline", 1);
        try (RedisServer source = RedisServer.start(); RedisServer target = RedisServer.start()) {
            source.cli("DEBUG", "POPULATE", "500000", "key", "100");
            source.cli("CONFIG", "SET", "notify-keyspace-events", "KEA");
            List<String> cmd = List.of("redis-benchmark", "-p", Integer.toString(source.port()), "-c", Integer.toString(clients),
                    "-P", Integer.toString(pipeline), "-l", "-q", "-r", "200000", "-t", "set,incr,lpush,rpush,lpop,rpop,sadd,hset,spop,zadd,zpopmin,mset");
            Process bench = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            String id;
            double writesPerSecond;
            double copySeconds;
            try (Sampler sampler = new Sampler()) {
                E2e.sleep(2000);
                id = validatedAndStarted("capture-bench", source, target);
                long c0 = benchmarkCalls(source);
                long t0 = System.nanoTime();
                JsonNode repl = api.await(id, m -> m.path("state").asText().matches("REPLICATING|FAILED"), Duration.ofMinutes(30));
                E2e.sleep(10_000); // and replication under the same load
                long c1 = benchmarkCalls(source);
                writesPerSecond = (c1 - c0) / ((System.nanoTime() - t0) / 1e9);
                bench.destroy();
                bench.waitFor();
                copySeconds = "REPLICATING".equals(repl.path("state").asText()) ? seconds(repl, "copyStartedAt", "copyFinishedAt") : -1;
                long d0 = System.nanoTime();
                JsonNode drained = api.await(id, m -> m.at("/replication/pendingChanges").asLong(-1) == 0
                        || "FAILED".equals(m.path("state").asText()), Duration.ofMinutes(20));
                double drainSeconds = (System.nanoTime() - d0) / 1e9;
                E2e.sleep(2500);
                api.post("/api/migrations/" + id + "/complete", "{\"cutover\":true}");
                JsonNode done = api.await(id, m -> m.at("/cutover/state").asText().matches("DONE|MISMATCH") || "FAILED".equals(m.path("state").asText()),
                        Duration.ofMinutes(5));
                long reconciles = audit(id).stream().filter(a -> a.startsWith("reconcile:") || a.startsWith("capture-gap")).count();
                boolean overloaded = audit(id).stream().anyMatch(a -> a.contains("capture overloaded"));
                System.out.printf(Locale.ROOT, "BENCHMARK-CAPTURE | redis-benchmark -c %d -P %d (12 write commands, 200k random keys) "
                                + "| %.0f write commands/s on the source (INFO commandstats) from start through a 500k-key copy of %.1f s and 10 s of replication | state %s | captured %d "
                                + "changes | reconciliations %d (capture overloaded: %s) | drained %.1f s after the load stopped | cutover %s | "
                                + "heap/RSS peaks %s| digest %s%n",
                        clients, pipeline, writesPerSecond, copySeconds, drained.path("state").asText(),
                        drained.at("/replication/appliedChanges").asLong() + drained.at("/replication/pendingChanges").asLong(), reconciles,
                        overloaded ? "yes" : "no", drainSeconds, done.at("/cutover/state").asText(), sampler.summary(),
                        source.cli("DEBUG", "DIGEST").equals(target.cli("DEBUG", "DIGEST")) ? "equal" : "DIFFERENT");
                System.out.println("BENCHMARK-CAPTURE | audit: " + audit(id).stream().filter(a -> !a.startsWith("validat")).toList());
            } finally {
                bench.destroyForcibly();
            }
        }
    }
}

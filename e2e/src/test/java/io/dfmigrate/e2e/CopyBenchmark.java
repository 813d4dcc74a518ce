package io.dfmigrate.e2e;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.dfmigrate.localstack.LocalStack;
import io.dfmigrate.localstack.RedisServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

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
        Path home = Path.of("..").toAbsolutePath().normalize();
        stack = new LocalStack(LocalStack.Config.forTests(home, LocalStack.testStateDir(Path.of("target")))).start();
        api = new Api(stack.orchestratorUrl());
    }

    @AfterAll
    static void stop() {
        if (stack != null) {
            stack.close();
        }
    }

    @Test
    void strings1M() {
        run("1M strings of 100 B", s -> s.cli("DEBUG", "POPULATE", "1000000", "key", "100"));
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

    @Test
    void threeKeysOf2MElements() {
        run("3 keys of 2M elements (hash, zset, set)", s -> s.cli("EVAL", "for i=1,2000000,1000 do local a={} local z={} local m={} "
                + "for j=i,i+999 do a[#a+1]='f'..j a[#a+1]='v'..j z[#z+1]=j z[#z+1]='m'..j m[#m+1]='e'..j end "
                + "redis.call('HSET','big-hash',unpack(a)) redis.call('ZADD','big-zset',unpack(z)) redis.call('SADD','big-set',unpack(m)) end", "0"));
    }

    void run(String dataset, Consumer<RedisServer> load) {
        try (RedisServer source = RedisServer.start(); RedisServer target = RedisServer.start(); RedisServer replica = RedisServer.start()) {
            load.accept(source);
            source.cli("CONFIG", "SET", "notify-keyspace-events", "KEA");
            long keys = 0;
            for (String line : source.cli("INFO", "keyspace").split("\n")) {
                if (line.startsWith("db")) {
                    keys += Long.parseLong(line.replaceAll(".*keys=(\\d+),.*", "$1").strip());
                }
            }
            // native replication of the same data, in the same run
            source.cli("CONFIG", "SET", "repl-diskless-sync-delay", "0");
            long n0 = System.nanoTime();
            replica.cli("REPLICAOF", "127.0.0.1", Integer.toString(source.port()));
            while (!(replica.cli("INFO", "replication").contains("master_link_status:up")
                    && replica.cli("INFO", "replication").contains("master_sync_in_progress:0"))) {
                sleep(5);
            }
            double nativeSeconds = (System.nanoTime() - n0) / 1e9;
            replica.cli("REPLICAOF", "NO", "ONE");

            Api.Reply created = api.post("/api/migrations", "{\"name\":\"bench\",\"source\":{\"uri\":\"" + source.uri()
                    + "\"},\"target\":{\"uri\":\"" + target.uri() + "\"}}");
            String id = created.json().get("id").asText();
            api.post("/api/migrations/" + id + "/validate", null);
            api.await(id, m -> !m.path("state").asText().equals("VALIDATING"), Duration.ofSeconds(60));
            AtomicLong peakHeap = new AtomicLong();
            Thread sampler = Thread.ofVirtual().start(() -> {
                while (!Thread.currentThread().isInterrupted()) {
                    peakHeap.accumulateAndGet(heapUsed(stack.service("copier").baseUrl()), Math::max);
                    sleep(200);
                }
            });
            api.post("/api/migrations/" + id + "/start", "{\"acknowledgeWarnings\":true}");
            JsonNode m = api.await(id, x -> x.path("state").asText().matches("REPLICATING|FAILED"), Duration.ofMinutes(20));
            sampler.interrupt();
            double copySeconds = Duration.between(Instant.parse(m.at("/timestamps/copyStartedAt").asText()),
                    Instant.parse(m.at("/timestamps/copyFinishedAt").asText())).toMillis() / 1000.0;
            long bytes = m.at("/progress/bytesCopied").asLong();
            String line = String.format(Locale.ROOT, "BENCHMARK | %s | %d keys | copy %.2f s | %.0f keys/s | %.1f MB/s | %d structural "
                            + "| copier peak heap %d MB | native %.2f s | ratio %.1fx | state %s | digest %s",
                    dataset, keys, copySeconds, keys / copySeconds, bytes / 1048576.0 / copySeconds, m.at("/progress/keysStructural").asLong(),
                    peakHeap.get() >> 20, nativeSeconds, copySeconds / nativeSeconds, m.get("state").asText(),
                    source.cli("DEBUG", "DIGEST").equals(target.cli("DEBUG", "DIGEST")) ? "equal" : "DIFFERENT");
            System.out.println(line);
            api.post("/api/migrations/" + id + "/complete", "{\"cutover\":false}");
        }
    }

    static long heapUsed(String base) {
        try {
            String metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(base + "/q/metrics")).build(),
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

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

}

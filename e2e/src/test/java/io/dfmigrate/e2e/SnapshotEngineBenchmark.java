package io.dfmigrate.e2e;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.dfmigrate.common.endpoint.RedisEndpoint;
import io.dfmigrate.common.redis.BlockingRedis;
import io.dfmigrate.common.redis.KeySync;
import io.dfmigrate.common.redis.SnapshotReader;
import io.dfmigrate.common.redis.SourceReader;
import io.dfmigrate.localstack.RedisServer;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The engine of {@code copyMode=snapshot} alone (docs/benchmarks.md): the 1M strings of {@code CopyBenchmark#strings1M}
 * read from the source's RDB snapshot by {@link SnapshotReader} and written by {@link KeySync#restore}, in this JVM,
 * without the services, Kafka and the orchestrator, against native REPLICAOF in the same run, three rounds (the first
 * with a cold JIT), with the CPU seconds of source, target and this JVM: what the copy costs apart from its
 * orchestration. Runs with {@code -Ddfm.benchmark=true}; prints "BENCHMARK-ENGINE | …", asserts only equal digests.
 */
class SnapshotEngineBenchmark {
    @Test
    void strings1MFromTheRdbSnapshot() throws Exception {
        assumeTrue(Boolean.getBoolean("dfm.benchmark"), "runs with -Ddfm.benchmark=true (deploy/local/benchmark.sh)");
        Vertx vertx = Vertx.vertx();
        try (RedisServer source = RedisServer.start(); RedisServer target = RedisServer.start(); RedisServer replica = RedisServer.start()) {
            source.cli("DEBUG", "POPULATE", "1000000", "key", "100");
            for (int round = 1; round <= 3; round++) { // the first round runs with a cold JIT
                double nativeSeconds = E2e.nativeFullSyncSeconds(source, replica);
                target.cli("FLUSHALL");
                double[] cpu0 = {cpu(source), cpu(target), cpuTicks() / 100.0};
                long t0 = System.nanoTime();
                long keys = copy(vertx, source, target);
                double seconds = (System.nanoTime() - t0) / 1e9;
                double[] cpu1 = {cpu(source), cpu(target), cpuTicks() / 100.0};
                boolean equal = source.cli("DEBUG", "DIGEST").equals(target.cli("DEBUG", "DIGEST"));
                System.out.printf(Locale.ROOT, "BENCHMARK-ENGINE | snapshot copy engine alone, round %d | %d keys | copy %.2f s | %.0f keys/s | native %.2f s | "
                                + "ratio %.1fx | CPU s: source %.1f (with its fork), target %.1f, copying JVM %.1f | digest %s%n", round, keys, seconds, keys / seconds,
                        nativeSeconds, seconds / nativeSeconds, cpu1[0] - cpu0[0], cpu1[1] - cpu0[1], cpu1[2] - cpu0[2], equal ? "equal" : "DIFFERENT");
                if (!equal) {
                    throw new AssertionError("the target's digest differs from the source's");
                }
            }
        } finally {
            vertx.close();
        }
    }

    /** Reads the source's snapshot with SnapshotReader and writes batches of 10,000 keys with KeySync.restore, one writer. */
    private static long copy(Vertx vertx, RedisServer source, RedisServer target) throws Exception {
        BlockingQueue<SourceReader.Batch> queue = new ArrayBlockingQueue<>(2);
        SourceReader.Batch end = new SourceReader.Batch(-1, List.of(), List.of(), List.of(), 0);
        AtomicLong written = new AtomicLong();
        Thread writer = Thread.ofVirtual().start(() -> {
            try (BlockingRedis from = BlockingRedis.connect(vertx, RedisEndpoint.parse(source.uri()), 0, Duration.ofSeconds(60));
                 BlockingRedis to = BlockingRedis.connect(vertx, RedisEndpoint.parse(target.uri()), 0, Duration.ofSeconds(60))) {
                for (var batch = queue.take(); batch != end; batch = queue.take()) {
                    var r = new KeySync(from, to).restore(batch.keys(), batch.expireAtMillis(),
                            batch.payloads().stream().map(Buffer::buffer).toList());
                    written.addAndGet(r.written());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        new SnapshotReader(RedisEndpoint.parse(source.uri()), Duration.ofSeconds(30), Long.MAX_VALUE).read(10_000, Long.MAX_VALUE, queue::put);
        queue.put(end);
        writer.join();
        return written.get();
    }

    /** CPU seconds of a redis-server and its forks so far (INFO cpu). */
    static double cpu(RedisServer server) {
        double sum = 0;
        for (String l : server.cli("INFO", "cpu").split("\\r?\\n")) {
            if (l.matches("used_cpu_(sys|user)(_children)?:.*")) {
                sum += Double.parseDouble(l.substring(l.indexOf(':') + 1).strip());
            }
        }
        return sum;
    }

    /** CPU ticks of this JVM so far. */
    static long cpuTicks() {
        try {
            String[] f = Files.readString(Path.of("/proc/self/stat")).replaceAll("^.*\\) ", "").split(" ");
            return Long.parseLong(f[11]) + Long.parseLong(f[12]);
        } catch (Exception e) {
            return 0;
        }
    }
}

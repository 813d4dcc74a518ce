package io.dfmigrate.e2e;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.dfmigrate.common.endpoint.RedisEndpoint;
import io.dfmigrate.common.redis.BlockingRedis;
import io.dfmigrate.common.redis.ReplicationLink;
import io.dfmigrate.common.redis.StreamApplier;
import io.dfmigrate.localstack.ManagedProcess;
import io.dfmigrate.localstack.RedisServer;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * Sync mode's stream engine alone (issue #34; docs/benchmarks.md): a pipelined {@code redis-benchmark} writes to the
 * source while one {@link ReplicationLink} reads its replication stream and one {@link StreamApplier} applies it to
 * the target, in this JVM, beside a native replica ({@code REPLICAOF}) of the same source. Prints the source's rate, the
 * lag in bytes of both when the load ends and how long each takes to drain it, the CPU seconds of this JVM and the
 * target; asserts only that the target's digest equals the source's. Runs with {@code -Ddfm.benchmark=true}.
 */
class StreamEngineBenchmark {
    @Test
    void pipelinedWritesFollowedByTheLinkAndTheApplierAgainstANativeReplica() throws Exception {
        assumeTrue(Boolean.getBoolean("dfm.benchmark"), "runs with -Ddfm.benchmark=true (deploy/local/benchmark.sh)");
        int requests = Integer.getInteger("dfm.benchmark.stream.requests", 3_000_000);
        Vertx vertx = Vertx.vertx();
        try (RedisServer source = RedisServer.start("--repl-backlog-size", "256mb", "--client-output-buffer-limit", "replica 1gb 512mb 60");
             RedisServer target = RedisServer.start(); RedisServer replica = RedisServer.start()) {
            replica.cli("REPLICAOF", "127.0.0.1", Integer.toString(source.port()));
            E2e.await(() -> replica.cli("INFO", "replication").contains("master_link_status:up"), Duration.ofSeconds(60), "the native replica is up");
            AtomicLong applied = new AtomicLong();
            AtomicLong appliedOffset = new AtomicLong();
            AtomicLong batches = new AtomicLong();
            AtomicBoolean stop = new AtomicBoolean();
            List<String> failures = java.util.Collections.synchronizedList(new ArrayList<>());
            double jvm0 = SnapshotEngineBenchmark.cpuTicks() / 100.0;
            double target0 = SnapshotEngineBenchmark.cpu(target);
            try (ReplicationLink link = ReplicationLink.open(RedisEndpoint.parse(source.uri()), null, 0, Duration.ofSeconds(60));
                 BlockingRedis to = BlockingRedis.connect(vertx, RedisEndpoint.parse(target.uri()), 0, Duration.ofSeconds(60))) {
                link.snapshot().readAllBytes(); // the source is empty: everything comes through the stream
                String replid = link.start().replid();
                StreamApplier applier = new StreamApplier(to, "bench");
                Thread reader = Thread.ofVirtual().start(() -> {
                    try {
                        while (true) {
                            List<ReplicationLink.Entry> batch = new ArrayList<>();
                            do {
                                batch.add(link.next());
                            } while (batch.size() < 5_000 && link.buffered());
                            StreamApplier.Applied r = applier.apply(replid, batch);
                            applied.addAndGet(r.commands());
                            batches.incrementAndGet();
                            failures.addAll(r.failures());
                            link.ack(r.offset());
                            appliedOffset.set(r.offset());
                        }
                    } catch (Exception e) {
                        if (!stop.get()) {
                            failures.add(e.toString());
                        }
                    }
                });
                long t0 = System.nanoTime();
                ManagedProcess.run("redis-benchmark", List.of("redis-benchmark", "-h", "127.0.0.1", "-p", Integer.toString(source.port()),
                        "-P", "16", "-c", "8", "-n", Integer.toString(requests / 3), "-r", "100000", "-t", "set,incr,lpush", "-q"), Duration.ofMinutes(20));
                long loadEnd = System.nanoTime();
                long offset = info(source, "master_repl_offset");
                long linkLag = offset - appliedOffset.get();
                long replicaLag = offset - info(replica, "slave_repl_offset");
                long nativeDrained = 0;
                long drainedAt = 0;
                long deadline = loadEnd + Duration.ofMinutes(10).toNanos();
                while ((nativeDrained == 0 || drainedAt == 0) && System.nanoTime() < deadline && failures.isEmpty()) {
                    if (nativeDrained == 0 && info(replica, "slave_repl_offset") >= offset) {
                        nativeDrained = System.nanoTime();
                    }
                    if (drainedAt == 0 && appliedOffset.get() >= offset) {
                        drainedAt = System.nanoTime();
                    }
                    Thread.sleep(5);
                }
                stop.set(true);
                link.close();
                reader.join(Duration.ofMinutes(1));
                double loadSeconds = (loadEnd - t0) / 1e9;
                double jvm = SnapshotEngineBenchmark.cpuTicks() / 100.0 - jvm0;
                double targetCpu = SnapshotEngineBenchmark.cpu(target) - target0;
                applier.clear(IntStream.range(0, 16).boxed().toList());
                boolean equal = source.cli("DEBUG", "DIGEST").equals(target.cli("DEBUG", "DIGEST"));
                System.out.printf(Locale.ROOT, "BENCHMARK-STREAM | %d requests (set, incr, lpush; pipelined 16, 8 clients) in %.1f s = %.0f commands/s "
                                + "| at load end: applied lag %d bytes, native replica lag %d bytes | drained after load end: link+apply %.2f s, native %.2f s "
                                + "| applied %d commands in %d batches | CPU s: this JVM %.1f, target %.1f | failures %d | digest %s%n",
                        requests, loadSeconds, requests / loadSeconds, linkLag, replicaLag,
                        drainedAt == 0 ? -1.0 : (drainedAt - loadEnd) / 1e9, nativeDrained == 0 ? -1.0 : (nativeDrained - loadEnd) / 1e9,
                        applied.get(), batches.get(), jvm, targetCpu, failures.size(), equal ? "equal" : "DIFFERENT");
                if (!failures.isEmpty()) {
                    throw new AssertionError("failures: " + failures.subList(0, Math.min(5, failures.size())));
                }
                if (!equal) {
                    throw new AssertionError("the target's digest differs from the source's");
                }
            }
        } finally {
            vertx.close();
        }
    }

    static long info(RedisServer s, String field) {
        return s.cli("INFO", "replication").lines().filter(l -> l.startsWith(field + ":"))
                .map(l -> Long.parseLong(l.substring(field.length() + 1).strip())).findFirst().orElse(-1L);
    }
}

package io.dfmigrate.copier.service;

import io.dfmigrate.common.endpoint.RedisEndpoint;
import io.dfmigrate.common.event.Json;
import io.dfmigrate.common.messaging.CloudEventMessages;
import io.dfmigrate.common.messaging.EventSignatures;
import io.dfmigrate.common.redis.BlockingRedis;
import io.dfmigrate.common.redis.KeyScanner;
import io.dfmigrate.common.redis.RateLimiter;
import io.dfmigrate.common.redis.RedisCommandException;
import io.dfmigrate.common.redis.SourceServers;
import io.dfmigrate.common.secret.EventSigner;
import io.dfmigrate.copier.config.CopierConfig;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import io.dfmigrate.common.event.StatusEvent;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import org.eclipse.microprofile.reactive.messaging.Channel;

/**
 * The scanner's side of {@code dfm.copy.batches}: SCANs databases of one server and publishes the key names in batches
 * (copy, reconciliation and verification batches alike), at most {@value #MAX_IN_FLIGHT_BATCHES} unacknowledged by the
 * broker at a time.
 */
@ApplicationScoped
public class KeyBatches {
    private static final org.jboss.logging.Logger LOG = org.jboss.logging.Logger.getLogger(KeyBatches.class);
    private static final int MAX_IN_FLIGHT_BATCHES = 256;

    private final Vertx vertx;
    private final CopierConfig config;
    private final MutinyEmitter<String> out;
    private final EventSignatures signatures;

    /** Builds the batch {@code batchId} of names of {@code db} found on {@code shard} (a cluster master's host:port, else null). */
    @FunctionalInterface
    public interface Maker {
        Object batch(String batchId, int db, List<byte[]> names, String shard);
    }

    /** What a scan published: batches and key names, and per master of a Redis Cluster (null for other sources). */
    public record Published(long batches, long keys, List<StatusEvent.ShardScan> shards) {
    }

    public KeyBatches(Vertx vertx, CopierConfig config, @Channel("batches-out") MutinyEmitter<String> out, EventSignatures signatures) {
        this.vertx = vertx;
        this.config = config;
        this.out = out;
        this.signatures = signatures;
    }

    /**
     * SCANs {@code dbs} of {@code from} for {@code pattern}, publishing batches with ids {@code <prefix><db>:<seq>} of type
     * {@code type}; {@code keep} picks names (all, or a sample). The masters of a Redis Cluster are scanned in parallel, one
     * thread each. Returns what was published, or null if {@code ended} said so between databases.
     */
    public Published publish(String migrationId, String type, String prefix, RedisEndpoint from, List<Integer> dbs, String pattern,
                             RateLimiter limit, Predicate<byte[]> keep, BooleanSupplier ended, Maker maker) {
        return publish(migrationId, type, prefix, from, a -> true, dbs, pattern, limit, keep, ended, maker);
    }

    /** The same for the servers of {@code from} whose address (host:port) {@code servers} accepts. */
    public Published publish(String migrationId, String type, String prefix, RedisEndpoint from, Predicate<String> servers,
                             List<Integer> dbs, String pattern, RateLimiter limit, Predicate<byte[]> keep, BooleanSupplier ended,
                             Maker maker) {
        Map<Integer, AtomicLong> seqs = new ConcurrentHashMap<>(); // batch numbers per database, shared by the masters
        Map<String, long[]> scanned = new ConcurrentHashMap<>(); // master -> {batches, keys} of its completed scan
        long startedAt = System.nanoTime();
        while (true) {
            // a Redis Cluster: every master's keys (each batch's keys are read from their slot's master)
            List<RedisEndpoint> todo = SourceServers.of(vertx, from, config.timeout()).stream()
                    .filter(s -> servers.test(s.address()) && !scanned.containsKey(s.address())).toList();
            String shardOf = from.cluster() ? "" : null;
            List<Throwable> errors = new ArrayList<>();
            java.util.concurrent.atomic.AtomicBoolean abandoned = new java.util.concurrent.atomic.AtomicBoolean();
            try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
                List<Future<?>> scans = new ArrayList<>();
                for (RedisEndpoint server : todo) {
                    String shard = shardOf == null ? null : server.address();
                    scans.add(threads.submit(() -> {
                        long[] counts = publishServer(migrationId, type, prefix, server, dbs, pattern, limit, keep, ended,
                                (id, db, names) -> maker.batch(id, db, names, shard), seqs);
                        if (counts == null) {
                            abandoned.set(true);
                        } else {
                            scanned.put(server.address(), counts);
                        }
                        return null;
                    }));
                }
                for (Future<?> scan : scans) {
                    try {
                        scan.get();
                    } catch (ExecutionException e) {
                        errors.add(e.getCause());
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new RedisCommandException("interrupted", e);
                    }
                }
            }
            if (abandoned.get()) {
                return null;
            }
            if (errors.isEmpty()) {
                long batches = seqs.values().stream().mapToLong(AtomicLong::get).sum(); // every batch published, also by failed scans
                long keys = scanned.values().stream().mapToLong(c -> c[1]).sum();
                List<StatusEvent.ShardScan> shards = shardOf == null ? null : scanned.entrySet().stream()
                        .map(e -> new StatusEvent.ShardScan(e.getKey(), e.getValue()[0], e.getValue()[1]))
                        .sorted(java.util.Comparator.comparing(StatusEvent.ShardScan::server)).toList();
                return new Published(batches, keys, shards);
            }
            Throwable e = errors.get(0);
            // a master failed over while it was scanned: the cluster's masters are asked again and the masters not scanned to
            // the end are scanned (again: the keys scanned before are copied again, which changes nothing), for up to failover-wait
            if (!(e instanceof RedisCommandException rce) || !from.cluster() || System.nanoTime() - startedAt > config.failoverWait().toNanos()) {
                throw e instanceof RuntimeException re ? re : new RedisCommandException(e.toString(), e);
            }
            LOG.warnf("migration %s: scanning the cluster failed (%s); asking for its masters again", migrationId, rce.getMessage());
            SourceServers.forget(from);
            sleep(1000);
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RedisCommandException("interrupted", e);
        }
    }

    private long[] publishServer(String migrationId, String type, String prefix, RedisEndpoint from, List<Integer> dbs, String pattern,
                                 RateLimiter limit, Predicate<byte[]> keep, BooleanSupplier ended, ServerMaker maker,
                                 Map<Integer, AtomicLong> seqs) {
        long batches = 0;
        long keys = 0;
        List<CompletableFuture<Void>> inFlight = new ArrayList<>();
        for (int db : dbs) {
            if (ended.getAsBoolean()) {
                return null;
            }
            AtomicLong seq = seqs.computeIfAbsent(db, d -> new AtomicLong());
            long[] mine = {0};
            try (BlockingRedis r = BlockingRedis.connect(vertx, from, db, config.timeout())) {
                keys += new KeyScanner(r, pattern, config.scanCount()).keeping(keep).scan(config.batchSize(), config.batchMaxBytes(),
                        names -> {
                            if (limit != null) {
                                limit.acquire(names.size() / 10 + 1); // SCAN touches ~COUNT entries per call
                            }
                            String batchId = prefix + db + ":" + seq.getAndIncrement();
                            mine[0]++;
                            // signed: a batch makes a copier write or delete the keys it names on the target
                            String json = Json.write(maker.batch(batchId, db, names));
                            inFlight.add(out.sendMessage(CloudEventMessages.of("copier", batchId, batchId, type, migrationId, json,
                                    signatures.sign(EventSigner.BATCHES, json))).subscribeAsCompletionStage());
                            if (inFlight.size() >= MAX_IN_FLIGHT_BATCHES) {
                                awaitAll(inFlight);
                            }
                        });
            }
            batches += mine[0];
        }
        awaitAll(inFlight);
        return new long[] {batches, keys};
    }

    private interface ServerMaker {
        Object batch(String batchId, int db, List<byte[]> names);
    }

    private static void awaitAll(List<CompletableFuture<Void>> futures) {
        try {
            CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new RedisCommandException("publishing key batches to Kafka failed: " + e, e);
        } finally {
            futures.clear();
        }
    }
}

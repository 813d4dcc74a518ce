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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
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

    /** Builds the batch {@code batchId} of names of {@code db}. */
    @FunctionalInterface
    public interface Maker {
        Object batch(String batchId, int db, List<byte[]> names);
    }

    public KeyBatches(Vertx vertx, CopierConfig config, @Channel("batches-out") MutinyEmitter<String> out, EventSignatures signatures) {
        this.vertx = vertx;
        this.config = config;
        this.out = out;
        this.signatures = signatures;
    }

    /**
     * SCANs {@code dbs} of {@code from} for {@code pattern}, publishing batches with ids {@code <prefix><db>:<seq>} of type
     * {@code type}; {@code keep} picks names (all, or a sample). Returns {batches, keys}, or null if {@code ended} said so
     * between databases.
     */
    public long[] publish(String migrationId, String type, String prefix, RedisEndpoint from, List<Integer> dbs, String pattern,
                          RateLimiter limit, Predicate<byte[]> keep, BooleanSupplier ended, Maker maker) {
        long[] total = {0, 0};
        Map<Integer, long[]> seqs = new HashMap<>(); // batch numbers per database go on from one master to the next
        long startedAt = System.nanoTime();
        while (true) {
            try {
                // a Redis Cluster: every master's keys, one after the other (each batch's keys are read from their slot's master)
                for (RedisEndpoint server : SourceServers.of(vertx, from, config.timeout())) {
                    long[] counts = publishServer(migrationId, type, prefix, server, dbs, pattern, limit, keep, ended, maker, seqs);
                    if (counts == null) {
                        return null;
                    }
                    total[0] += counts[0];
                    total[1] += counts[1];
                }
                return total;
            } catch (RedisCommandException e) {
                // a master failed over while it was scanned: the cluster's masters are asked again and scanned again (the keys
                // scanned before are copied again, which changes nothing), for up to failover-wait
                if (!from.cluster() || System.nanoTime() - startedAt > config.failoverWait().toNanos()) {
                    throw e;
                }
                LOG.warnf("migration %s: scanning the cluster failed (%s); asking for its masters again", migrationId, e.getMessage());
                SourceServers.forget(from);
                sleep(1000);
            }
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
                                 RateLimiter limit, Predicate<byte[]> keep, BooleanSupplier ended, Maker maker, Map<Integer, long[]> seqs) {
        long batches = 0;
        long keys = 0;
        List<CompletableFuture<Void>> inFlight = new ArrayList<>();
        for (int db : dbs) {
            if (ended.getAsBoolean()) {
                return null;
            }
            long[] seq = seqs.computeIfAbsent(db, d -> new long[1]);
            long first = seq[0];
            try (BlockingRedis r = BlockingRedis.connect(vertx, from, db, config.timeout())) {
                keys += new KeyScanner(r, pattern, config.scanCount()).keeping(keep).scan(config.batchSize(), config.batchMaxBytes(),
                        names -> {
                            if (limit != null) {
                                limit.acquire(names.size() / 10 + 1); // SCAN touches ~COUNT entries per call
                            }
                            String batchId = prefix + db + ":" + seq[0]++;
                            // signed: a batch makes a copier write or delete the keys it names on the target
                            String json = Json.write(maker.batch(batchId, db, names));
                            inFlight.add(out.sendMessage(CloudEventMessages.of("copier", batchId, batchId, type, migrationId, json,
                                    signatures.sign(EventSigner.BATCHES, json))).subscribeAsCompletionStage());
                            if (inFlight.size() >= MAX_IN_FLIGHT_BATCHES) {
                                awaitAll(inFlight);
                            }
                        });
            }
            batches += seq[0] - first;
        }
        awaitAll(inFlight);
        return new long[] {batches, keys};
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

package io.dfmigrate.replicator.service;

import io.dfmigrate.common.Topics;
import io.dfmigrate.common.endpoint.RedisEndpoint;
import io.dfmigrate.common.event.ChangeEvent;
import io.dfmigrate.common.event.RunKey;
import io.dfmigrate.common.event.Json;
import io.dfmigrate.common.redis.KeyScope;
import io.dfmigrate.common.redis.KeySync;
import io.dfmigrate.common.redis.RedisCommandException;
import io.dfmigrate.common.redis.RedisConnections;
import io.dfmigrate.common.redis.SourceServers;
import io.dfmigrate.replicator.messaging.ChangeLog;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.NoOffsetForPartitionException;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.OffsetOutOfRangeException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.jboss.logging.Logger;
import java.util.HashSet;

/**
 * The appliers of one migration run on this instance: a consumer in the run's own group ({@link ChangeLog#applierGroup})
 * that starts at the offsets the capture recorded before its first change. It exists only once the run's copy is done,
 * so during the copy nothing is consumed and nothing is held in memory: the changes wait in Kafka. Instances that apply
 * the same run share its partitions through the group.
 *
 * <p>Records of other runs in the same partitions are skipped (by the record key, before parsing). The run's changes are
 * coalesced per (db, key) into batches of up to {@code applyBatchKeys} keys, synced with the key-sync engine (pipelined
 * reads of the current value, RESTORE or DEL), and only then are the offsets committed: a crash re-applies, never skips.
 * While a reconciliation runs ({@link #hold}) the partitions are paused, not the thread, and nothing is committed.
 */
final class RunApplier {
    private static final Logger LOG = Logger.getLogger(RunApplier.class);
    private static final long FLUSH_MILLIS = 500;

    /** What the applier tells its owner. */
    interface Owner {
        /** {@code notifications} of capture {@code capture} applied and committed; {@code newestMillis}: the newest change's time. */
        void applied(RunApplier applier, String capture, long notifications, long newestMillis);

        /** Changes may be missing (deleted by the topic's retention before they were applied): reconcile. */
        void gap(RunApplier applier, String reason);

        /**
         * For a Redis Cluster source, after {@link #applied}: per master (host:port) {keys applied, newest change's time}
         * of the committed batch.
         */
        default void appliedShards(RunApplier applier, Map<String, long[]> perShard) {
        }
    }

    final RunKey key;
    final String migrationId;
    final int run;
    private final RedisEndpoint source;
    private final RedisEndpoint target;
    /** The migration's dbs and keyPattern: a change record of any other key is never applied (the capture sends none). */
    private final KeyScope scope;
    private final ChangeLog log;
    private final RedisConnections connections;
    private final Owner owner;
    private final int batchKeys;
    private final int pollRecords;
    private final String recordPrefix;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private volatile boolean holding;
    private volatile KafkaConsumer<String, String> consumer;
    private Thread thread;
    /** The last error applying changes or reading Kafka (null once a batch went through), and since when it repeats. */
    volatile String lastError;
    volatile long failingSince;

    /** The changes read and not applied yet: keys per db (coalesced), notifications per capture, the newest time. */
    private final Map<Integer, LinkedHashMap<String, byte[]>> keys = new TreeMap<>();
    private final Map<String, Long> perCapture = new HashMap<>();
    private int keyCount;
    private long newest;
    /** A Redis Cluster source: the newest change per pending key ({@code <db>:<base64>}), for each master's lag. */
    private final Map<String, Long> keyNewest = new HashMap<>();
    private final Map<String, long[]> perShard = new HashMap<>();
    private long firstPendingAt;

    RunApplier(RunKey key, RedisEndpoint source, RedisEndpoint target, KeyScope scope, ChangeLog log, RedisConnections connections,
               Owner owner, int batchKeys, int pollRecords) {
        this.scope = scope;
        this.key = key;
        this.migrationId = key.migrationId();
        this.run = key.run();
        this.source = source;
        this.target = target;
        this.log = log;
        this.connections = connections;
        this.owner = owner;
        this.batchKeys = batchKeys;
        this.pollRecords = pollRecords;
        this.recordPrefix = migrationId + ":";
    }

    void start() {
        thread = Thread.ofVirtual().name("applier-" + migrationId + "-" + run).start(this::loop);
    }

    /** A reconciliation began (true) or ended (false): hold the run's changes in Kafka meanwhile. */
    void hold(boolean hold) {
        holding = hold;
    }

    boolean holding() {
        return holding;
    }

    /** Ends the loop; waits for it up to {@code wait}. */
    void stop(Duration wait) {
        stopped.countDown();
        KafkaConsumer<String, String> c = consumer;
        if (c != null) {
            c.wakeup();
        }
        if (thread != null) {
            try {
                thread.join(wait);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        connections.close();
    }

    boolean alive() {
        return thread != null && thread.isAlive();
    }

    private boolean isStopped() {
        return stopped.getCount() == 0;
    }

    private void loop() {
        try {
            // a control replay at start-up sends REPLICATE and then STOP of long-ended runs: do not join a group for those
            if (stopped.await(1, TimeUnit.SECONDS)) {
                return;
            }
        } catch (InterruptedException e) {
            return;
        }
        while (!isStopped()) {
            try (KafkaConsumer<String, String> c = log.applierConsumer(key, pollRecords)) {
                consumer = c;
                c.subscribe(List.of(Topics.CHANGES), new Rebalance(c));
                consume(c);
            } catch (WakeupException e) {
                // stopping
            } catch (RuntimeException e) {
                failing("reading " + Topics.CHANGES + ": " + e);
                LOG.warnf("migration %s run %d: applier restarts its consumer after: %s", migrationId, run, e.toString());
                clearPending(); // not committed: read again by the new consumer
                sleepUnlessStopped(2000);
            } finally {
                consumer = null;
            }
        }
    }

    private void consume(KafkaConsumer<String, String> c) {
        while (!isStopped()) {
            if (holding) {
                c.pause(c.assignment()); // also partitions assigned since: nothing of this run is read while reconciling
            } else if (!c.paused().isEmpty()) {
                c.resume(c.paused());
            }
            ConsumerRecords<String, String> records;
            try {
                records = c.poll(Duration.ofMillis(200));
            } catch (NoOffsetForPartitionException e) {
                // the group's offsets expired (broker offset retention): from the beginning is slower but complete
                LOG.warnf("migration %s run %d: no applier offset for %s; reading them from the beginning", migrationId, run, e.partitions());
                c.seekToBeginning(e.partitions());
                continue;
            } catch (OffsetOutOfRangeException e) {
                c.seekToBeginning(e.partitions());
                owner.gap(this, "changes of this run were deleted from " + Topics.CHANGES + " by its retention before they were applied "
                        + "(partitions " + e.partitions() + "); make the topic's retention longer than the longest copy");
                continue;
            }
            for (ConsumerRecord<String, String> r : records) {
                if (r.key() != null && !r.key().startsWith(recordPrefix)) {
                    continue; // another migration's change
                }
                ChangeEvent change = Json.readOrWarn(r.value(), ChangeEvent.class);
                if (change != null && change.run() == run && migrationId.equals(change.migrationId())
                        && scope.matches(change.db(), change.key())) {
                    add(change);
                }
            }
            boolean caughtUp = records.count() < pollRecords;
            boolean due = keyCount > 0 && (keyCount >= batchKeys || caughtUp || System.currentTimeMillis() - firstPendingAt > FLUSH_MILLIS);
            if (holding) {
                continue; // applied after the reconciliation, from memory or (after a rebalance) from Kafka again
            }
            if (due) {
                flush(c);
            } else if (keyCount == 0 && !records.isEmpty()) {
                c.commitSync(); // only other runs' records: move on
            }
        }
    }

    private void add(ChangeEvent change) {
        if (keyCount == 0 && perCapture.isEmpty()) {
            firstPendingAt = System.currentTimeMillis();
        }
        String name = Base64.getEncoder().encodeToString(change.key());
        if (keys.computeIfAbsent(change.db(), d -> new LinkedHashMap<>()).putIfAbsent(name, change.key()) == null) {
            keyCount++;
        }
        if (source.cluster()) {
            keyNewest.merge(change.db() + ":" + name, change.timeMillis(), Math::max);
        }
        perCapture.merge(change.capture() == null ? "" : change.capture(), (long) change.notifications(), Long::sum);
        newest = Math.max(newest, change.timeMillis());
    }

    /** Syncs every pending key (retrying target and source faults until they pass or the run ends), then commits. */
    private void flush(KafkaConsumer<String, String> c) {
        for (Map.Entry<Integer, LinkedHashMap<String, byte[]>> e : keys.entrySet()) {
            int db = e.getKey();
            List<byte[]> batch = new ArrayList<>(e.getValue().values());
            // hand-written, not @Retry: it retries for as long as the run lives, discards the pooled connections after each
            // failure and stops at once when the run ends (the uncommitted changes are then read again by the next applier)
            for (int attempt = 1; !isStopped(); attempt++) {
                try {
                    KeySync.Result r = KeySync.Result.NONE;
                    // one group unless the source is a Redis Cluster: then each key is read from its slot's master
                    for (var group : connections.byServer(source, batch).entrySet()) {
                        r = r.plus(new KeySync(connections.get(group.getKey(), db), connections.get(target, db)).forRun(migrationId, run)
                                .sync(group.getValue()));
                        if (source.cluster()) {
                            countShard(group.getKey().address(), db, group.getValue());
                        }
                    }
                    r.failures().forEach(f -> LOG.warnf("migration %s: change of db %d key '%s' not applied: %s", migrationId,
                            f.db(), f.key(), f.reason()));
                    break;
                } catch (RedisCommandException ex) {
                    connections.discard(source, db);
                    connections.discard(target, db);
                    if (source.cluster()) { // a failover or a moved slot: the cluster's masters are asked again, connections made again
                        SourceServers.forget(source);
                        connections.close();
                    }
                    failing("applying changes to db " + db + ": " + ex.getMessage());
                    if (attempt == 1 || attempt % 10 == 0) {
                        LOG.warnf("migration %s run %d: applying changes failed (attempt %d), retrying: %s", migrationId, run, attempt,
                                ex.getMessage());
                    }
                    sleepUnlessStopped(Math.min(5000, 250L << Math.min(attempt, 5)));
                }
            }
        }
        if (isStopped()) {
            return; // not committed: whoever applies this run next reads them again
        }
        c.commitSync();
        lastError = null;
        failingSince = 0;
        long newestMillis = newest;
        perCapture.forEach((capture, n) -> owner.applied(this, capture, n, newestMillis));
        if (!perShard.isEmpty()) {
            owner.appliedShards(this, Map.copyOf(perShard));
        }
        clearPending();
    }

    /** Adds a master's keys of a synced group to the batch's per-shard counts (a retried group is counted once). */
    private void countShard(String server, int db, List<byte[]> group) {
        long[] c = perShard.computeIfAbsent(server, k -> new long[2]);
        for (byte[] k : group) {
            Long t = keyNewest.remove(db + ":" + Base64.getEncoder().encodeToString(k));
            if (t != null) {
                c[0]++;
                c[1] = Math.max(c[1], t);
            }
        }
    }

    private void clearPending() {
        keyNewest.clear();
        perShard.clear();
        keys.clear();
        perCapture.clear();
        keyCount = 0;
        newest = 0;
    }

    private void failing(String error) {
        lastError = error;
        if (failingSince == 0) {
            failingSince = System.currentTimeMillis();
        }
    }

    private void sleepUnlessStopped(long ms) {
        try {
            stopped.await(ms, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Partitions taken away: apply what was read from them first, or read it again from the last commit. */
    private final class Rebalance implements ConsumerRebalanceListener {
        private final KafkaConsumer<String, String> c;

        Rebalance(KafkaConsumer<String, String> c) {
            this.c = c;
        }

        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            if (keyCount == 0 && perCapture.isEmpty()) {
                return;
            }
            if (!holding && !isStopped()) {
                flush(c);
                return;
            }
            // nothing of it is committed: forget it and read the kept partitions again from their committed offsets
            clearPending();
            Set<TopicPartition> kept = new HashSet<>(c.assignment());
            kept.removeAll(partitions);
            if (!kept.isEmpty()) {
                Map<TopicPartition, OffsetAndMetadata> committed = c.committed(kept);
                committed.forEach((tp, om) -> {
                    if (om != null) {
                        c.seek(tp, om);
                    }
                });
            }
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
        }
    }
}

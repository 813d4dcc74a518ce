package io.dfmigrate.copier.service;

import io.dfmigrate.common.endpoint.RedisEndpoint;
import io.dfmigrate.common.event.MigrationOptions;
import io.dfmigrate.common.event.PhaseEvent;
import io.dfmigrate.common.event.RunKey;
import io.dfmigrate.common.redis.BlockingRedis;
import io.dfmigrate.common.redis.KeySync;
import io.dfmigrate.common.redis.RedisCommandException;
import io.dfmigrate.common.redis.RedisConnections;
import io.dfmigrate.common.redis.ServerClock;
import io.dfmigrate.common.redis.SnapshotReader;
import io.dfmigrate.common.redis.SourceReader;
import io.dfmigrate.copier.config.CopierConfig;
import io.netty.buffer.Unpooled;
import io.vertx.core.buffer.Buffer;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import org.jboss.logging.Logger;

/**
 * The initial copy with {@code options.copyMode=snapshot}: one copier instance reads the source's RDB snapshot
 * ({@link SnapshotReader}) and writes its keys in batches of {@code snapshotBatchKeys} keys (at most {@code snapshotBatchBytes} of
 * payloads) with {@code snapshotWriters} RESTORE pipelines at once, through the same key-sync engine as a scanned batch
 * ({@link KeySync#restore}). Each batch is acknowledged like a scanned one ({@code <run>:<db>:<seq>}), so the orchestrator's
 * counting, progress and completion are the same. The snapshot is taken after the capture began, so every later write
 * is re-read after the copy as in scan mode. A failed attempt (the source or target connection lost) reads the whole
 * snapshot again, up to {@code retries} times: RESTOREs are idempotent and a batch id acknowledged twice counts once.
 */
final class SnapshotCopy {
    private static final Logger LOG = Logger.getLogger(SnapshotCopy.class);

    /** A batch of one database: key names, expiry as Unix ms on the source's clock (-1 none), payloads. */
    private record Batch(String id, int db, List<byte[]> keys, List<Long> expireAt, List<Buffer> payloads) {
    }

    private static final Batch END = new Batch(null, -1, List.of(), List.of(), List.of());

    private final CopyService copier;
    private final RedisConnections connections;
    private final CopierConfig config;
    private final KeySync.Limits limits;

    SnapshotCopy(CopyService copier, RedisConnections connections, CopierConfig config, KeySync.Limits limits) {
        this.copier = copier;
        this.connections = connections;
        this.config = config;
        this.limits = limits;
    }

    /** Copies the snapshot's keys of {@code dbs}; {batches, keys}, or null when the run ended meanwhile. */
    long[] copy(PhaseEvent.Copy phase, MigrationOptions options, RedisEndpoint source, RedisEndpoint target, List<Integer> dbs) {
        RedisCommandException last = null;
        for (int attempt = 1; attempt <= config.retries(); attempt++) {
            try {
                LOG.infof("migration %s run %d: reading the source's snapshot (database(s) %s), attempt %d of %d", phase.migrationId(),
                        phase.run(), dbs, attempt, config.retries());
                return attempt(phase, options, source, target, Set.copyOf(dbs));
            } catch (Ended e) {
                LOG.infof("migration %s run %d ended; snapshot copy abandoned", phase.migrationId(), phase.run());
                return null;
            } catch (RuntimeException e) {
                last = e instanceof RedisCommandException rce ? rce : new RedisCommandException(e.toString(), e);
                dbs.forEach(db -> {
                    connections.discard(source, db);
                    connections.discard(target, db);
                });
                LOG.warnf("migration %s: snapshot copy, attempt %d failed: %s", phase.migrationId(), attempt, e.getMessage());
                sleep(1000L * attempt);
            }
        }
        throw new RedisCommandException("the snapshot copy failed after " + config.retries() + " attempts: " + last.getMessage(), last);
    }

    private static final class Ended extends RuntimeException {
        Ended() {
            super(null, null, false, false);
        }
    }

    private long[] attempt(PhaseEvent.Copy phase, MigrationOptions options, RedisEndpoint source, RedisEndpoint target, Set<Integer> dbs) {
        RunKey run = RunKey.of(phase);
        long began = System.nanoTime();
        // where the time goes: the reader waiting for room (the writers are behind), the writers waiting for a batch (the reader is)
        LongAdder readerWaited = new LongAdder();
        LongAdder writersWaited = new LongAdder();
        long sourceClock = sourceMinusLocalMillis(source);
        BlockingQueue<Batch> queue = new ArrayBlockingQueue<>(Math.max(1, config.snapshotWriters()));
        AtomicReference<RuntimeException> failed = new AtomicReference<>();
        boolean keep = !Boolean.TRUE.equals(options.overwrite()) && Boolean.FALSE.equals(options.guardTarget());
        // acknowledgements wait for the broker (acks=all): sent in order by one thread of their own, off the writers' path
        ExecutorService acks = Executors.newSingleThreadExecutor(Thread.ofVirtual().name("snapshot-acks-" + run).factory());
        List<Future<?>> acked = Collections.synchronizedList(new ArrayList<>());
        List<Thread> writers = new ArrayList<>();
        for (int w = 0; w < Math.max(1, config.snapshotWriters()); w++) {
            writers.add(Thread.ofVirtual().name("snapshot-writer-" + run + "-" + w).start(() -> {
                try {
                    for (Batch taken = take(queue, writersWaited); taken != END; taken = take(queue, writersWaited)) {
                        Batch b = taken;
                        if (failed.get() == null) {
                            KeySync.Result r = write(phase, run, source, target, b, sourceClock, keep);
                            acked.add(acks.submit(() -> copier.acknowledge(run, b.id(), b.keys().size(), r, null, null)));
                        }
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } catch (RuntimeException e) {
                    failed.compareAndSet(null, e);
                    queue.clear(); // the reader must not wait for a writer that stopped
                }
            }));
        }
        Map<Integer, Long> seq = new HashMap<>();
        long[] counts = {0, 0};
        try {
            SourceReader reader = new SnapshotReader(source, config.timeout(), config.snapshotMaxKeyBytes());
            reader.read(config.snapshotBatchKeys(), config.snapshotBatchBytes(), read -> {
                if (copier.ended(run)) {
                    throw new Ended();
                }
                if (failed.get() != null) {
                    throw failed.get();
                }
                if (!dbs.contains(read.db())) {
                    return;
                }
                List<Buffer> payloads = new ArrayList<>(read.payloads().size());
                for (byte[] p : read.payloads()) {
                    payloads.add(Buffer.buffer(Unpooled.wrappedBuffer(p))); // wrapped, not copied
                }
                long n = seq.merge(read.db(), 1L, Long::sum) - 1;
                counts[0]++;
                counts[1] += read.keys().size();
                put(queue, new Batch(run + ":" + read.db() + ":" + n, read.db(), read.keys(), read.expireAtMillis(), payloads),
                        failed, readerWaited);
            });
        } finally {
            for (int w = 0; w < writers.size(); w++) {
                end(queue, writers);
            }
            writers.forEach(SnapshotCopy::join);
            acks.close(); // waits for the acknowledgements submitted so far
        }
        if (failed.get() != null) {
            throw failed.get();
        }
        LOG.infof("migration %s run %d: snapshot of %d key(s) read and written in %d ms; the reader waited %d ms for the %d writer(s), "
                        + "the writers waited %d ms in all for the reader", phase.migrationId(), phase.run(), counts[1],
                (System.nanoTime() - began) / 1_000_000, readerWaited.sum() / 1_000_000, writers.size(), writersWaited.sum() / 1_000_000);
        for (Future<?> f : acked) {
            try {
                f.get();
            } catch (ExecutionException e) {
                throw new RedisCommandException("a batch of the snapshot copy could not be acknowledged: " + e.getCause(), e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new RedisCommandException("interrupted", e);
            }
        }
        return counts;
    }

    private KeySync.Result write(PhaseEvent.Copy phase, RunKey run, RedisEndpoint source, RedisEndpoint target, Batch b, long sourceClock,
                                 boolean keep) {
        // each expiry on this machine's clock; a key whose time ran out meanwhile has expired on the source too
        long localNow = System.currentTimeMillis();
        List<byte[]> keys = new ArrayList<>(b.keys().size());
        List<Long> expireAt = new ArrayList<>(b.keys().size());
        List<Buffer> payloads = new ArrayList<>(b.keys().size());
        for (int i = 0; i < b.keys().size(); i++) {
            long at = b.expireAt().get(i) < 0 ? -1 : b.expireAt().get(i) - sourceClock;
            if (at < 0 || at > localNow) {
                keys.add(b.keys().get(i));
                expireAt.add(at);
                payloads.add(b.payloads().get(i));
            }
        }
        return new KeySync(connections.get(source, b.db()), connections.get(target, b.db()), limits)
                .reporting(copier.liveCounters(run)).keepingExisting(keep).forRun(phase.migrationId(), phase.run())
                .restore(keys, expireAt, payloads);
    }

    /** The source's clock minus this machine's wall clock (TTLs in the snapshot are absolute), from {@link ServerClock}. */
    private long sourceMinusLocalMillis(RedisEndpoint source) {
        long offset = ServerClock.offset(connections.get(source, 0));
        return offset - (System.currentTimeMillis() - ServerClock.now());
    }

    private static Batch take(BlockingQueue<Batch> queue, LongAdder waited) throws InterruptedException {
        long before = System.nanoTime();
        Batch b = queue.take();
        waited.add(System.nanoTime() - before);
        return b;
    }

    private static void put(BlockingQueue<Batch> queue, Batch b, AtomicReference<RuntimeException> failed, LongAdder waited) {
        long before = System.nanoTime();
        try {
            // a writer that failed stops taking: then the reader stops too instead of waiting for room
            while (!queue.offer(b, 200, TimeUnit.MILLISECONDS)) {
                if (failed.get() != null) {
                    throw failed.get();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RedisCommandException("interrupted", e);
        } finally {
            waited.add(System.nanoTime() - before);
        }
    }

    /** Tells one writer to stop, unless none is left to take it. */
    private static void end(BlockingQueue<Batch> queue, List<Thread> writers) {
        try {
            while (!queue.offer(END, 200, TimeUnit.MILLISECONDS)) {
                if (writers.stream().noneMatch(Thread::isAlive)) {
                    return;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void join(Thread t) {
        try {
            t.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}

package io.dfmigrate.replicator.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dfmigrate.common.Topics;
import io.dfmigrate.common.endpoint.RedisEndpoint;
import io.dfmigrate.common.event.ChangeEvent;
import io.dfmigrate.common.event.RunKey;
import io.dfmigrate.common.redis.KeyScope;
import io.dfmigrate.common.redis.RedisConnections;
import io.dfmigrate.localstack.KafkaBroker;
import io.dfmigrate.localstack.StackException;
import io.dfmigrate.localstack.RedisServer;
import io.dfmigrate.replicator.messaging.ChangeLog;
import io.vertx.core.Vertx;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The appliers against a real Kafka broker and real redis-servers: a run's changes wait in Kafka, unconsumed, until its
 * applier starts (however long the copy), begin exactly where the capture marked the run's start, skip other runs'
 * changes in the same partitions, count coalesced notifications, hold during a reconciliation, and survive a restart.
 */
class RunApplierTest {
    static KafkaBroker kafka;
    static ChangeLog log;
    static Vertx vertx;

    @BeforeAll
    static void start() throws Exception {
        Path dir = Files.createDirectories(Path.of("target").toAbsolutePath()).resolve("kafka-" + System.nanoTime());
        kafka = StackException.onFreePorts((port, controller) -> new KafkaBroker(dir, port, controller).start());
        kafka.createTopics();
        log = new ChangeLog(Map.of("bootstrap.servers", kafka.bootstrapServers()));
        vertx = Vertx.vertx();
    }

    @AfterAll
    static void stop() {
        if (log != null) {
            log.close();
        }
        if (vertx != null) {
            vertx.close();
        }
        if (kafka != null) {
            kafka.close();
        }
    }

    /** Counts what an applier reports. */
    static final class Recorder implements RunApplier.Owner {
        final Map<String, AtomicLong> applied = new ConcurrentHashMap<>();
        final List<String> gaps = new CopyOnWriteArrayList<>();

        @Override
        public void applied(RunApplier applier, String capture, long notifications, long newestMillis) {
            applied.computeIfAbsent(capture, c -> new AtomicLong()).addAndGet(notifications);
        }

        @Override
        public void gap(RunApplier applier, String reason) {
            gaps.add(reason);
        }

        long total() {
            return applied.values().stream().mapToLong(AtomicLong::get).sum();
        }
    }

    static void await(BooleanSupplier condition, Duration timeout, String what) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }

    static void send(ChangeEvent c) {
        log.send(c, (ch, err) -> {
            if (err != null) {
                throw new AssertionError(err);
            }
        });
    }

    static ChangeEvent change(String migration, int run, String key, Integer count) {
        return new ChangeEvent(migration, run, 0, key.getBytes(StandardCharsets.UTF_8), "set", System.currentTimeMillis(), "cap-1", count);
    }

    RunApplier applier(String migration, int run, RedisServer source, RedisServer target, Recorder owner) {
        return applier(migration, run, source, target, owner, KeyScope.ALL);
    }

    RunApplier applier(String migration, int run, RedisServer source, RedisServer target, Recorder owner, KeyScope scope) {
        return new RunApplier(new RunKey(migration, run), RedisEndpoint.parse(source.uri()), RedisEndpoint.parse(target.uri()), scope, log,
                new RedisConnections(vertx, Duration.ofSeconds(10)), owner, 1000, 500);
    }

    @Test
    void changesWaitInKafkaUntilTheRunAppliesThemAndOtherRunsAreSkipped() {
        try (RedisServer source = RedisServer.start(); RedisServer target = RedisServer.start()) {
            String m = "m-" + System.nanoTime();
            // a change before the run's start mark is not this run's business (the copy covers it)
            source.cli("SET", "before", "x");
            send(change(m, 1, "before", null));
            log.flush();
            log.markRunStart(new RunKey(m, 1));
            // one script instead of 3000 redis-cli processes (minutes on a busy machine): the same 3000 writes
            source.cli("EVAL", "for i = 0, 2999 do redis.call('SET', 'k' .. (i % 1000), 'v' .. i) end return 1", "0");
            for (int i = 0; i < 3000; i++) {
                send(change(m, 1, "k" + i % 1000, null));
                send(change("other-" + m, 1, "k" + i, null));   // another migration, same partitions
                send(change(m, 2, "k" + i, null));              // another run of this migration
            }
            send(change(m, 1, "k0", 5)); // coalesced by a capture: five notifications in one record
            log.flush();
            source.cli("SET", "gone", "x");
            send(change(m, 1, "gone", null));
            source.cli("DEL", "gone");
            target.cli("SET", "gone", "stale");
            log.flush();
            assertEquals("1", target.cli("DBSIZE").strip(), "only the stale key before the applier starts");

            Recorder owner = new Recorder();
            RunApplier a = applier(m, 1, source, target, owner);
            a.start();
            try {
                await(() -> owner.total() == 3000 + 5 + 1, Duration.ofSeconds(60), "3006 notifications applied, got " + owner.total());
                for (int i = 0; i < 1000; i += 97) {
                    assertEquals(source.cli("GET", "k" + i), target.cli("GET", "k" + i), "k" + i);
                }
                assertEquals("", target.cli("GET", "before").strip(), "changes before the run's start mark are not read");
                assertEquals("0", target.cli("EXISTS", "gone").strip(), "a key gone from the source is deleted");
                assertEquals("1000", target.cli("DBSIZE").strip(), "only this run's keys: " + target.cli("DBSIZE"));
                assertTrue(owner.gaps.isEmpty(), owner.gaps.toString());
            } finally {
                a.stop(Duration.ofSeconds(30));
            }
        }
    }

    @Test
    void aHeldRunAppliesNothingUntilReleasedAndARestartedApplierGoesOnFromItsCommit() {
        try (RedisServer source = RedisServer.start(); RedisServer target = RedisServer.start()) {
            String m = "h-" + System.nanoTime();
            log.markRunStart(new RunKey(m, 1));
            Recorder owner = new Recorder();
            RunApplier a = applier(m, 1, source, target, owner);
            a.start();
            try {
                source.cli("SET", "first", "1");
                send(change(m, 1, "first", null));
                log.flush();
                await(() -> owner.total() == 1, Duration.ofSeconds(60), "the first change applied");
                a.hold(true);
                settle(); // the applier's loop sees the hold
                source.cli("SET", "held", "2");
                send(change(m, 1, "held", null));
                log.flush();
                long until = System.nanoTime() + 3_000_000_000L;
                while (System.nanoTime() < until) {
                    assertEquals("", target.cli("GET", "held").strip(), "nothing is applied while held");
                    settle();
                }
                a.hold(false);
                await(() -> "2".equals(target.cli("GET", "held").strip()), Duration.ofSeconds(30), "the held change applied after release");
            } finally {
                a.stop(Duration.ofSeconds(30));
            }
            // a new applier of the same run (another instance, or this one restarted) starts at the committed offset
            source.cli("SET", "later", "3");
            send(change(m, 1, "later", null));
            log.flush();
            Recorder next = new Recorder();
            RunApplier b = applier(m, 1, source, target, next);
            b.start();
            try {
                await(() -> "3".equals(target.cli("GET", "later").strip()), Duration.ofSeconds(60), "the later change applied");
                settle();
                assertEquals(1, next.total(), "nothing applied twice after the restart: " + next.applied);
            } finally {
                b.stop(Duration.ofSeconds(30));
            }
        }
    }

    @Test
    void aChangeRecordOutsideTheScopeNeverTouchesTheTarget() {
        try (RedisServer source = RedisServer.start(); RedisServer target = RedisServer.start()) {
            String m = "s-" + System.nanoTime();
            log.markRunStart(new RunKey(m, 1));
            target.cli("SET", "own", "the target's own key");
            target.cli("-n", "3", "SET", "app:1", "the target's own key in db 3");
            source.cli("SET", "app:1", "from the source");
            // a record of a key outside the scope (as a forged or stray record would be): syncing it would DEL the target's key
            send(change(m, 1, "own", null));
            send(new ChangeEvent(m, 1, 3, "app:1".getBytes(StandardCharsets.UTF_8), "del", System.currentTimeMillis(), "cap-1", null));
            send(change(m, 1, "app:1", null));
            log.flush();
            Recorder owner = new Recorder();
            RunApplier a = applier(m, 1, source, target, owner, KeyScope.of(List.of(0), "app:*"));
            a.start();
            try {
                await(() -> "from the source".equals(target.cli("GET", "app:1").strip()), Duration.ofSeconds(60), "app:1 applied");
                assertEquals("the target's own key", target.cli("GET", "own").strip());
                assertEquals("the target's own key in db 3", target.cli("-n", "3", "GET", "app:1").strip());
                assertEquals(1, owner.total(), "only the change in scope was applied: " + owner.applied);
            } finally {
                a.stop(Duration.ofSeconds(30));
            }
        }
    }

    /** A short pause for a loop on another thread to come round; never stands in for a condition. */
    static void settle() {
        try {
            Thread.sleep(300);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}

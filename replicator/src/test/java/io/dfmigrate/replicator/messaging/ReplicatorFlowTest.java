package io.dfmigrate.replicator.messaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dfmigrate.common.endpoint.RedisEndpoint;
import io.dfmigrate.common.event.EndpointRef;
import io.dfmigrate.common.event.Json;
import io.dfmigrate.common.event.MigrationOptions;
import io.dfmigrate.common.event.PhaseEvent;
import io.dfmigrate.common.event.StatusEvent;
import io.dfmigrate.common.secret.SecretBox;
import io.dfmigrate.common.testing.SignedEvents;
import io.dfmigrate.localstack.RedisServer;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.smallrye.reactive.messaging.memory.InMemoryConnector;
import io.smallrye.reactive.messaging.memory.InMemorySink;
import jakarta.enterprise.inject.Any;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The replicator as the orchestrator drives it, through its consumers: capture, apply and cutover commands go in on
 * in-memory channels, its reports come out on one, and the data path runs for real (redis-servers, Kafka for
 * {@code dfm.changes}). Every write made after the capture is ready reaches the target, byte for byte (DEBUG DIGEST).
 */
@QuarkusTest
@QuarkusTestResource(value = InMemoryChannels.class, restrictToAnnotatedClass = true)
class ReplicatorFlowTest {
    static final Duration WAIT = Duration.ofSeconds(60);

    @Inject
    @Any
    InMemoryConnector connector;
    @Inject
    SecretBox box;
    InMemorySink<String> status;

    @BeforeEach
    void channels() {
        status = connector.sink("status-out");
    }

    <T extends PhaseEvent> T command(PhaseEvent.Kind k, String migration, RedisServer source, RedisServer target) {
        @SuppressWarnings("unchecked")
        T p = (T) k.create(migration + ":1:" + k.type(), migration, 1, Instant.now(), ref(source, migration, SecretBox.SOURCE), ref(target, migration, SecretBox.TARGET),
                new MigrationOptions(null, null, null, null, true, false, null, null).withDefaults(), k == PhaseEvent.Kind.RECONCILE ? 1 : null);
        return p;
    }

    EndpointRef ref(RedisServer server, String migration, String role) {
        return new EndpointRef(RedisEndpoint.parse(server.uri()).masked(), box.seal(server.uri(), SecretBox.context(migration, role)));
    }

    void send(String channel, PhaseEvent p) {
        connector.<Message<String>>source(channel).send(SignedEvents.phase(p));
    }

    <T extends StatusEvent> T report(Class<T> type, String migration, Predicate<T> matching) {
        return await(() -> status.received().stream().map(m -> Json.read(m.getPayload(), StatusEvent.class))
                .filter(type::isInstance).map(type::cast).filter(e -> e.migrationId().equals(migration)).filter(matching).findFirst(),
                type.getSimpleName() + " of " + migration);
    }

    static <T> T await(Supplier<Optional<T>> probe, String what) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            Optional<T> found = probe.get();
            if (found.isPresent()) {
                return found.get();
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
        throw new AssertionError("timed out after " + WAIT.toSeconds() + " s waiting for " + what);
    }

    static void awaitEqual(RedisServer source, RedisServer target) {
        await(() -> source.cli("DEBUG", "DIGEST").equals(target.cli("DEBUG", "DIGEST")) ? Optional.of(true) : Optional.empty(),
                "target digest equal to the source's");
    }

    @Test
    void capturedWritesReachTheTargetAndTheCutoverDrainsThemWhileWritesArePaused() {
        try (RedisServer source = RedisServer.start(); RedisServer target = RedisServer.start()) {
            String m = UUID.randomUUID().toString();
            source.cli("CONFIG", "SET", "notify-keyspace-events", "");
            send("phases-in", command(PhaseEvent.Kind.CAPTURE, m, source, target));
            StatusEvent.CaptureReady ready = report(StatusEvent.CaptureReady.class, m, e -> true);
            assertEquals("", ready.capture().previousNotify(), "options.configureSourceNotifications: set, and the old value kept");
            List<StatusEvent> sent = status.received().stream().map(r -> Json.read(r.getPayload(), StatusEvent.class))
                    .filter(e -> e.migrationId().equals(m)).toList();
            int configuring = sent.indexOf(sent.stream().filter(StatusEvent.CaptureConfiguring.class::isInstance).findFirst().orElseThrow(
                    () -> new AssertionError("no capture.configuring report before the source was changed: " + sent)));
            assertTrue(configuring < sent.indexOf(ready), "the old value is on record before the capture is ready");
            assertEquals("", ((StatusEvent.CaptureConfiguring) sent.get(configuring)).capture().previousNotify());
            assertTrue(source.cli("CONFIG", "GET", "notify-keyspace-events").contains("K"));

            // written during the "copy": held in Kafka until the replicate command
            source.cli("SET", "user:1", "alice");
            source.cli("HSET", "h", "f1", "v1", "f2", "v2");
            source.cli("RPUSH", "l", "a", "b", "c");
            source.cli("SET", "ttl", "x", "PX", "3600000");
            // coalesced: one key, many notifications (one per INCR of the script)
            source.cli("EVAL", "for i = 1, 500 do redis.call('INCR', 'counter') end return 1", "0");
            assertEquals("", target.cli("GET", "user:1"), "nothing is applied before the copy is done");

            send("control-in", command(PhaseEvent.Kind.REPLICATE, m, source, target));
            awaitEqual(source, target);
            assertEquals("500", target.cli("GET", "counter"));
            long ttl = Long.parseLong(target.cli("PTTL", "ttl"));
            assertTrue(ttl > 3_500_000 && ttl <= 3_600_000, "TTL kept: " + ttl);

            source.cli("DEL", "l");
            source.cli("ZADD", "z", "1", "one", "2", "two");
            awaitEqual(source, target);
            report(StatusEvent.ReplicationReport.class, m, e -> e.replication().applied() > 0);

            send("control-in", command(PhaseEvent.Kind.CUTOVER, m, source, target));
            StatusEvent.CutoverPaused paused = report(StatusEvent.CutoverPaused.class, m, e -> true);
            assertTrue(paused.cutover().captured() >= 505, "every notification of this capture is counted: " + paused.cutover().captured());
            send("control-in", command(PhaseEvent.Kind.COMPLETE, m, source, target));
            StatusEvent.CutoverDone done = report(StatusEvent.CutoverDone.class, m, e -> true);
            assertEquals(Boolean.TRUE, done.cutover().verified(), done.cutover().detail());
            assertTrue(done.cutover().pauseMillis() > 0, "the pause is measured");
            awaitEqual(source, target);
            await(() -> source.cli("CONFIG", "GET", "notify-keyspace-events").contains("K") ? Optional.empty() : Optional.of(true),
                    "notify-keyspace-events restored");
        }
    }

    /** A run whose capture is ready and whose appliers replicate (notifications set on the source by the test). */
    String replicating(RedisServer source, RedisServer target) {
        String m = UUID.randomUUID().toString();
        source.cli("CONFIG", "SET", "notify-keyspace-events", "KEA");
        send("phases-in", command(PhaseEvent.Kind.CAPTURE, m, source, target));
        report(StatusEvent.CaptureReady.class, m, e -> true);
        send("control-in", command(PhaseEvent.Kind.REPLICATE, m, source, target));
        return m;
    }

    @Test
    void aKeyThatDiffersAtTheCutoverFailsItAlthoughTheKeyCountsAreEqual() {
        try (RedisServer source = RedisServer.start(); RedisServer target = RedisServer.start()) {
            String m = replicating(source, target);
            source.cli("SET", "user:1", "alice");
            source.cli("HSET", "h", "f", "v");
            awaitEqual(source, target);

            send("control-in", command(PhaseEvent.Kind.CUTOVER, m, source, target));
            report(StatusEvent.CutoverPaused.class, m, e -> true);
            target.cli("SET", "user:1", "mallory"); // same number of keys, another value: only a key-by-key check sees it
            send("control-in", command(PhaseEvent.Kind.COMPLETE, m, source, target));
            StatusEvent.CutoverDone done = report(StatusEvent.CutoverDone.class, m, e -> true);
            assertEquals(Boolean.FALSE, done.cutover().verified(), done.cutover().detail());
            assertTrue(done.cutover().detail().contains("key counts equal"), done.cutover().detail());
            assertTrue(done.cutover().detail().contains("1 of 2 key(s) changed in the last 60 s differ, e.g. db0 'user:1' value"),
                    done.cutover().detail());
        }
    }

    @Test
    void consumerGroupProgressThatNoNotificationReportsReachesTheTargetAtTheCutover() {
        try (RedisServer source = RedisServer.start(); RedisServer target = RedisServer.start()) {
            String m = replicating(source, target);
            for (int i = 1; i <= 10; i++) {
                source.cli("XADD", "orders", i + "-1", "n", Integer.toString(i));
            }
            source.cli("XGROUP", "CREATE", "orders", "shipping", "0");
            source.cli("XGROUP", "CREATECONSUMER", "orders", "shipping", "alice");
            source.cli("XGROUP", "CREATECONSUMER", "orders", "shipping", "bob");
            source.cli("SET", "other", "x");
            awaitEqual(source, target);
            await(() -> target.cli("XINFO", "CONSUMERS", "orders", "shipping").contains("bob") ? Optional.of(true) : Optional.empty(),
                    "the consumers on the target");
            // consumers at work: no keyspace event for any of these (XREADGROUP of existing consumers, XACK, XCLAIM), so no
            // applier hears of them
            source.cli("XREADGROUP", "GROUP", "shipping", "alice", "COUNT", "4", "STREAMS", "orders", ">");
            source.cli("XREADGROUP", "GROUP", "shipping", "bob", "COUNT", "3", "STREAMS", "orders", ">");
            source.cli("XACK", "orders", "shipping", "1-1", "2-1");
            source.cli("XCLAIM", "orders", "shipping", "bob", "0", "3-1");
            String sourceGroups = source.cli("XINFO", "GROUPS", "orders");
            String sourcePending = source.cli("XPENDING", "orders", "shipping"); // count, first and last id, per consumer
            assertNotEquals(sourceGroups, target.cli("XINFO", "GROUPS", "orders"), "the target has not heard of the consumers' progress");

            send("control-in", command(PhaseEvent.Kind.CUTOVER, m, source, target));
            report(StatusEvent.CutoverPaused.class, m, e -> true);
            send("control-in", command(PhaseEvent.Kind.COMPLETE, m, source, target));
            StatusEvent.CutoverDone done = report(StatusEvent.CutoverDone.class, m, e -> true);
            assertEquals(Boolean.TRUE, done.cutover().verified(), done.cutover().detail());
            assertTrue(done.cutover().detail().contains("consumer groups of 1 stream(s) compared, 1 given again"), done.cutover().detail());
            assertEquals(sourceGroups, target.cli("XINFO", "GROUPS", "orders"));
            assertEquals(sourcePending, target.cli("XPENDING", "orders", "shipping"));
        }
    }

    @Test
    void aSwapdbOrFlushOnTheSourceAsksForAReconciliationSinceNoNotificationDescribesIt() {
        try (RedisServer source = RedisServer.start(); RedisServer target = RedisServer.start()) {
            String m = UUID.randomUUID().toString();
            source.cli("CONFIG", "SET", "notify-keyspace-events", "KEA");
            source.cli("-n", "1", "SET", "in-db-1", "x");
            send("phases-in", command(PhaseEvent.Kind.CAPTURE, m, source, target));
            report(StatusEvent.CaptureReady.class, m, e -> true);
            source.cli("SWAPDB", "0", "1");
            StatusEvent.ReconcileNeeded needed = report(StatusEvent.ReconcileNeeded.class, m, e -> true);
            assertTrue(needed.error().contains("SWAPDB"), needed.error());
            send("control-in", command(PhaseEvent.Kind.STOP, m, source, target));
        }
    }

    @Test
    void aSourceWithoutNotificationsThatMayNotBeConfiguredFailsTheRunWithTheRemedy() {
        try (RedisServer source = RedisServer.start(); RedisServer target = RedisServer.start()) {
            String m = UUID.randomUUID().toString();
            source.cli("CONFIG", "SET", "notify-keyspace-events", "");
            PhaseEvent.Capture p = command(PhaseEvent.Kind.CAPTURE, m, source, target);
            send("phases-in", new PhaseEvent.Capture(p.id(), m, 1, p.time(), p.source(), p.target(), MigrationOptions.DEFAULTS));
            StatusEvent.Failed failed = report(StatusEvent.Failed.class, m, e -> true);
            assertTrue(failed.error().contains("notify-keyspace-events KEA"), failed.error());
            assertEquals(List.of(), status.received().stream().map(x -> Json.read(x.getPayload(), StatusEvent.class))
                    .filter(e -> e.migrationId().equals(m) && e instanceof StatusEvent.CaptureReady).toList());
        }
    }

    @Inject
    MeterRegistry registry;

    @Test
    void forgedCaptureAndCutoverCommandsAreDroppedAndCountedWithoutTouchingAnyRedis() {
        try (RedisServer source = RedisServer.start(); RedisServer target = RedisServer.start()) {
            String m = UUID.randomUUID().toString();
            source.cli("CONFIG", "SET", "notify-keyspace-events", "");
            double before = SignedEvents.rejected(registry);
            List<Message<String>> capture = SignedEvents.forgeries(command(PhaseEvent.Kind.CAPTURE, m, source, target));
            List<Message<String>> cutover = SignedEvents.forgeries(command(PhaseEvent.Kind.CUTOVER, m, source, target));
            capture.forEach(f -> connector.<Message<String>>source("phases-in").send(f));
            cutover.forEach(f -> connector.<Message<String>>source("control-in").send(f));
            await(() -> SignedEvents.rejected(registry) >= before + capture.size() + cutover.size() ? Optional.of(true) : Optional.empty(),
                    "every forged command rejected");
            assertEquals("notify-keyspace-events", source.cli("CONFIG", "GET", "notify-keyspace-events"),
                    "no capture was set up on the source");
            assertEquals("OK", source.cli("SET", "still-writable", "1"), "the source was not paused");
            assertTrue(status.received().stream().map(r -> Json.read(r.getPayload(), StatusEvent.class))
                    .noneMatch(e -> e.migrationId().equals(m)), "no worker acted on a forged command");
            assertEquals("0", target.cli("DBSIZE"));
        }
    }
}

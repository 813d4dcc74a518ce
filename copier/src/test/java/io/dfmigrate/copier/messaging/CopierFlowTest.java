package io.dfmigrate.copier.messaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dfmigrate.common.endpoint.RedisEndpoint;
import io.dfmigrate.common.event.CopyBatch;
import io.dfmigrate.common.event.EndpointRef;
import io.dfmigrate.common.event.EventTypes;
import io.dfmigrate.common.event.Json;
import io.dfmigrate.common.event.KeyFailure;
import io.dfmigrate.common.event.MigrationOptions;
import io.dfmigrate.common.event.PhaseEvent;
import io.dfmigrate.common.event.StatusEvent;
import io.dfmigrate.common.secret.EventSigner;
import io.dfmigrate.common.secret.SecretBox;
import io.dfmigrate.common.testing.SignedEvents;
import io.dfmigrate.localstack.RedisServer;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.smallrye.reactive.messaging.memory.InMemoryConnector;
import io.smallrye.reactive.messaging.memory.InMemorySink;
import io.smallrye.reactive.messaging.memory.InMemorySource;
import jakarta.enterprise.inject.Any;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.junit.jupiter.api.Test;

/**
 * The copier as the orchestrator drives it, through its consumers: a copy command is scanned into key batches (relayed
 * here from the copier's own output back to its input, as Kafka would), every batch is copied and acknowledged once, and
 * the target ends byte for byte like the source (DEBUG DIGEST), big keys included; a reconciliation pass then re-syncs
 * keys of both sides, deleting from the target what the source no longer has.
 */
@QuarkusTest
@QuarkusTestResource(value = InMemoryChannels.class, restrictToAnnotatedClass = true)
class CopierFlowTest {
    static final Duration WAIT = Duration.ofSeconds(90);

    @Inject
    @Any
    InMemoryConnector connector;
    @Inject
    SecretBox box;

    PhaseEvent command(PhaseEvent.Kind kind, String migration, RedisServer source, RedisServer target, Integer pass) {
        return command(kind, migration, source, target, pass, MigrationOptions.DEFAULTS);
    }

    PhaseEvent command(PhaseEvent.Kind kind, String migration, RedisServer source, RedisServer target, Integer pass,
                       MigrationOptions options) {
        return kind.create(migration + ":1:" + kind.type(), migration, 1, Instant.now(), ref(source, migration, SecretBox.SOURCE),
                ref(target, migration, SecretBox.TARGET), options, pass);
    }

    EndpointRef ref(RedisServer server, String migration, String role) {
        return new EndpointRef(RedisEndpoint.parse(server.uri()).masked(), box.seal(server.uri(), SecretBox.context(migration, role)));
    }

    List<StatusEvent> reports(String migration) {
        InMemorySink<String> status = connector.sink("status-out");
        return status.received().stream().map(m -> Json.read(m.getPayload(), StatusEvent.class))
                .filter(e -> e.migrationId().equals(migration)).toList();
    }

    /**
     * Plays Kafka's dfm.copy.batches for {@code migration}: what the scanner published for it reaches the workers, each
     * batch once (another test's batches stay out: their servers are gone and their ports may serve this test's).
     */
    void relayBatchesUntil(String migration, BooleanSupplier done, String what) {
        InMemorySink<String> out = connector.sink("batches-out");
        InMemorySource<Message<String>> in = connector.source("batches-in");
        int relayed = 0;
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!done.getAsBoolean()) {
            List<? extends Message<String>> published = List.copyOf(out.received());
            for (; relayed < published.size(); relayed++) {
                String batch = published.get(relayed).getPayload();
                if (Json.read(batch, CopyBatch.class).migrationId().equals(migration)) {
                    in.send(SignedEvents.relayed(published.get(relayed)));
                }
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + WAIT.toSeconds() + " s waiting for " + what + "; reports: " + reports(""));
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }

    boolean everyBatchDone(String migration, Integer pass) {
        List<StatusEvent> r = reports(migration);
        Long total = r.stream().filter(StatusEvent.ScanCompleted.class::isInstance).map(e -> ((StatusEvent.ScanCompleted) e).scan())
                .filter(s -> Objects.equals(s.pass(), pass)).map(StatusEvent.ScanCounts::batches).findFirst().orElse(null);
        long done = r.stream().filter(StatusEvent.BatchDone.class::isInstance).map(e -> ((StatusEvent.BatchDone) e).batch())
                .filter(b -> Objects.equals(b.pass(), pass)).count();
        return total != null && done >= total;
    }

    @Test
    void aCopyCommandCopiesEveryKeyOnceAndAReconciliationConvergesBothSides() {
        try (RedisServer source = RedisServer.start(); RedisServer target = RedisServer.start()) {
            String m = UUID.randomUUID().toString();
            source.cli("EVAL", "for i=1,300 do redis.call('SET', 'k'..i, i) end "
                    + "for i=1,2000 do redis.call('RPUSH', 'biglist', string.rep('x', 20)..i) end "
                    + "redis.call('HSET', 'h', 'a', '1', 'b', '2') redis.call('ZADD', 'z', 1.5, 'm') "
                    + "redis.call('SET', 'ttl', 'v', 'PX', 3600000) redis.call('SET', 'bin\\255key', 'v')", "0");
            source.cli("-n", "2", "SADD", "s", "a", "b", "c");

            connector.<Message<String>>source("phases-in").send(SignedEvents.phase(command(PhaseEvent.Kind.COPY, m, source, target, null)));
            relayBatchesUntil(m, () -> everyBatchDone(m, null), "every batch of the copy");
            assertEquals(source.cli("DEBUG", "DIGEST"), target.cli("DEBUG", "DIGEST"));
            List<StatusEvent> r = reports(m);
            StatusEvent.ScanCompleted scan = (StatusEvent.ScanCompleted) r.stream().filter(StatusEvent.ScanCompleted.class::isInstance)
                    .findFirst().orElseThrow();
            assertEquals(306, scan.scan().keys());
            assertTrue(scan.scan().batches() >= 7, "batches of at most 50 keys: " + scan.scan().batches());
            long structural = r.stream().filter(StatusEvent.BatchDone.class::isInstance)
                    .mapToLong(e -> ((StatusEvent.BatchDone) e).batch().structural()).sum();
            assertTrue(structural >= 1, "the big list was copied by type in chunks");
            StatusEvent.ScanStarted started = (StatusEvent.ScanStarted) r.stream().filter(StatusEvent.ScanStarted.class::isInstance)
                    .findFirst().orElseThrow();
            assertEquals(new StatusEvent.CopyMode("scan", "options.copyMode is 'scan'"), started.copy());

            source.cli("DEL", "k1");
            target.cli("SET", "only-on-target", "x");
            source.cli("SET", "k2", "changed");
            connector.<Message<String>>source("phases-in").send(SignedEvents.phase(command(PhaseEvent.Kind.RECONCILE, m, source, target, 1)));
            relayBatchesUntil(m, () -> everyBatchDone(m, 1), "every batch of reconciliation pass 1");
            assertEquals(source.cli("DEBUG", "DIGEST"), target.cli("DEBUG", "DIGEST"));
            assertEquals("", target.cli("GET", "only-on-target"));
        }
    }

    @Test
    void aSnapshotCopyWhoseReplicaLinkIsKilledReadsTheSnapshotAgainAndEndsEqual() throws Exception {
        try (RedisServer source = RedisServer.start(); RedisServer target = RedisServer.start()) {
            String m = UUID.randomUUID().toString();
            source.cli("DEBUG", "POPULATE", "80000", "key", "50");
            source.cli("-n", "2", "EVAL", "for i=1,500 do redis.call('HSET','h'..i,'a',i) redis.call('PEXPIRE','h'..i,3600000+i) end", "0");
            MigrationOptions snapshot = new MigrationOptions(null, null, null, null, null, null, null, null, MigrationOptions.COPY_SNAPSHOT);
            // the target paused for writes: the first attempt's 2 writers wait, the queue (2) fills, and the reader waits with
            // the link open at batch 5 of 9, so the kill always meets it mid-snapshot (with fewer batches it could finish first)
            target.cli("CLIENT", "PAUSE", "3000", "WRITE");
            Thread killer = Thread.ofVirtual().start(() -> {
                long deadline = System.nanoTime() + WAIT.toNanos();
                while (!source.cli("INFO", "replication").contains("slave0:") && System.nanoTime() < deadline) {
                    Thread.onSpinWait();
                }
                source.cli("CLIENT", "KILL", "TYPE", "replica");
            });
            connector.<Message<String>>source("phases-in").send(SignedEvents.phase(
                    command(PhaseEvent.Kind.COPY, m, source, target, null, snapshot)));
            relayBatchesUntil(m, () -> everyBatchDone(m, null), "every batch of the snapshot copy");
            killer.join();
            assertEquals(source.cli("DEBUG", "DIGEST"), target.cli("DEBUG", "DIGEST"));
            assertTrue(source.cli("INFO", "stats").contains("sync_full:2"), "the snapshot was read twice: " + source.cli("INFO", "stats"));
            long off = Math.abs(Long.parseLong(source.cli("-n", "2", "PEXPIRETIME", "h7")) - Long.parseLong(target.cli("-n", "2", "PEXPIRETIME", "h7")));
            assertTrue(off <= 5, "expiry off by " + off + " ms (two clock offsets, each to the millisecond)");
            List<StatusEvent> r = reports(m);
            StatusEvent.ScanCompleted scan = (StatusEvent.ScanCompleted) r.stream().filter(StatusEvent.ScanCompleted.class::isInstance)
                    .findFirst().orElseThrow();
            assertEquals(80_500, scan.scan().keys());
            assertEquals(new StatusEvent.CopyMode("snapshot", "options.copyMode is 'snapshot'"), started(m).copy());
            assertEquals(scan.scan().batches(), r.stream().filter(StatusEvent.BatchDone.class::isInstance)
                    .map(e -> ((StatusEvent.BatchDone) e).batch().batchId()).distinct().count(), "every batch id acknowledged");
            assertTrue(r.stream().noneMatch(StatusEvent.Failed.class::isInstance), r.toString());
            assertTrue(connector.sink("batches-out").received().stream().noneMatch(b -> b.getPayload().toString().contains(m)),
                    "no key names went through Kafka");
        }
    }

    /**
     * {@code copyMode auto}: a Valkey 8.1 source (RDB 11) whose user may PSYNC is copied from its snapshot; a Redis 7.0 source
     * whose user may not is scanned; each time the copier says which copy it took and why, and both end equal.
     */
    @Test
    void copyModeAutoTakesTheSnapshotWhereTheSourceAllowsItAndTheScanWhereItsUserMayNotPsync() {
        MigrationOptions auto = new MigrationOptions(null, null, null, null, null, null, null, null, MigrationOptions.COPY_AUTO);
        try (RedisServer source = RedisServer.startTrixie("valkey-server"); RedisServer target = RedisServer.start()) {
            String m = UUID.randomUUID().toString();
            source.cli("DEBUG", "POPULATE", "3000", "key", "20");
            source.cli("-n", "1", "SET", "ttl", "v", "PX", "3600000");
            connector.<Message<String>>source("phases-in").send(SignedEvents.phase(command(PhaseEvent.Kind.COPY, m, source, target, null, auto)));
            relayBatchesUntil(m, () -> everyBatchDone(m, null), "every batch of the auto copy of Valkey");
            assertEquals(source.cli("DEBUG", "DIGEST"), target.cli("DEBUG", "DIGEST"));
            StatusEvent.CopyMode copy = started(m).copy();
            assertEquals("snapshot", copy.mode(), copy.toString());
            assertTrue(copy.reason().startsWith("copyMode auto:"), copy.reason());
            assertTrue(source.cli("INFO", "stats").contains("sync_full:1"), "the copy read the snapshot");
            assertTrue(connector.sink("batches-out").received().stream().noneMatch(b -> b.getPayload().toString().contains(m)),
                    "no key names went through Kafka");
        }
        try (RedisServer source = RedisServer.start(); RedisServer target = RedisServer.start()) {
            String m = UUID.randomUUID().toString();
            source.cli("DEBUG", "POPULATE", "300", "key", "20");
            source.cli("ACL", "SETUSER", "reader", "on", ">pw", "~*", "&*", "+@all", "-psync", "-sync");
            String reader = "redis://reader:pw@127.0.0.1:" + source.port();
            EndpointRef sourceRef = new EndpointRef(RedisEndpoint.parse(reader).masked(), box.seal(reader, SecretBox.context(m, SecretBox.SOURCE)));
            PhaseEvent copyCommand = PhaseEvent.Kind.COPY.create(m + ":1:" + PhaseEvent.Kind.COPY.type(), m, 1, Instant.now(), sourceRef,
                    ref(target, m, SecretBox.TARGET), auto, null);
            connector.<Message<String>>source("phases-in").send(SignedEvents.phase(copyCommand));
            relayBatchesUntil(m, () -> everyBatchDone(m, null), "every batch of the auto copy without PSYNC");
            assertEquals(source.cli("DEBUG", "DIGEST"), target.cli("DEBUG", "DIGEST"));
            StatusEvent.CopyMode copy = started(m).copy();
            assertEquals("scan", copy.mode(), copy.toString());
            assertTrue(copy.reason().contains("'reader' may not run PSYNC"), copy.reason());
            assertTrue(source.cli("INFO", "stats").contains("sync_full:0"), "no snapshot was asked for");
            assertTrue(reports(m).stream().noneMatch(StatusEvent.Failed.class::isInstance), reports(m).toString());
        }
    }

    StatusEvent.ScanStarted started(String migration) {
        return (StatusEvent.ScanStarted) reports(migration).stream().filter(StatusEvent.ScanStarted.class::isInstance).findFirst().orElseThrow();
    }

    @Test
    void aTargetOutOfMemoryFailsTheCopyInsteadOfAcknowledgingBatchesWithFailedKeys() {
        try (RedisServer source = RedisServer.start(); RedisServer target = RedisServer.start("--maxmemory", "4mb",
                "--maxmemory-policy", "noeviction")) {
            String m = UUID.randomUUID().toString();
            source.cli("EVAL", "for i=1,6000 do redis.call('SET', 'k'..i, string.rep('v', 2000)) end", "0"); // ~12 MB of small keys
            connector.<Message<String>>source("phases-in").send(SignedEvents.phase(command(PhaseEvent.Kind.COPY, m, source, target, null)));
            relayBatchesUntil(m, () -> reports(m).stream().anyMatch(StatusEvent.Failed.class::isInstance), "the copy to fail");
            StatusEvent.Failed failed = (StatusEvent.Failed) reports(m).stream().filter(StatusEvent.Failed.class::isInstance)
                    .findFirst().orElseThrow();
            assertTrue(failed.error().contains("OOM") && failed.error().contains("the target refused the batch"), failed.error());
            assertTrue(reports(m).stream().filter(StatusEvent.BatchDone.class::isInstance)
                            .allMatch(e -> ((StatusEvent.BatchDone) e).batch().failed() == 0),
                    "no batch was acknowledged with keys the full target refused: " + reports(m));
            // as the orchestrator does after the failure: the run's remaining batches are dropped
            connector.<Message<String>>source("control-in").send(SignedEvents.phase(command(PhaseEvent.Kind.STOP, m, source, target, null)));
        }
    }

    @Inject
    MeterRegistry registry;

    @Test
    void forgedCopyCommandsAreDroppedAndCountedWithoutTouchingAnyRedis() throws InterruptedException {
        try (RedisServer source = RedisServer.start(); RedisServer target = RedisServer.start()) {
            String m = UUID.randomUUID().toString();
            source.cli("SET", "k", "v");
            double before = SignedEvents.rejected(registry);
            int published = connector.sink("batches-out").received().size();
            List<Message<String>> forged = SignedEvents.forgeries(command(PhaseEvent.Kind.COPY, m, source, target, null));
            forged.forEach(f -> connector.<Message<String>>source("phases-in").send(f));
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (SignedEvents.rejected(registry) < before + forged.size()) {
                assertTrue(System.nanoTime() < deadline, "the forged commands were not all rejected");
                Thread.sleep(50);
            }
            assertEquals(List.of(), reports(m), "no worker acted on a forged command");
            assertEquals(published, connector.sink("batches-out").received().size(), "no batch was published");
            assertEquals("0", target.cli("DBSIZE"), "the target was not written");
        }
    }

    @Test
    void forgedKeyBatchesAreDroppedAndCountedWithoutTouchingTheTarget() throws InterruptedException {
        try (RedisServer source = RedisServer.start(); RedisServer target = RedisServer.start()) {
            String m = UUID.randomUUID().toString();
            target.cli("SET", "theirs", "a key the source lacks: a forged batch naming it would delete it");
            source.cli("SET", "k", "v");
            CopyBatch batch = new CopyBatch(EventTypes.COPY_BATCH, m + ":1:0:0", m, 1, 0, List.of("theirs".getBytes(), "k".getBytes()),
                    ref(source, m, SecretBox.SOURCE), ref(target, m, SecretBox.TARGET), MigrationOptions.DEFAULTS, 1);
            String json = Json.write(batch);
            double before = SignedEvents.rejected(registry);
            List<Message<String>> forged = List.of(
                    SignedEvents.withSignature(batch.batchId(), EventTypes.COPY_BATCH, m, json, null),
                    SignedEvents.withSignature(batch.batchId(), EventTypes.COPY_BATCH, m, json, SignedEvents.strangersSignature(EventSigner.BATCHES, json)),
                    // a genuine signature, but of a phase command: signatures are bound to their topic's purpose
                    SignedEvents.withSignature(batch.batchId(), EventTypes.COPY_BATCH, m, json, SignedEvents.signature(EventSigner.PHASES, json)));
            forged.forEach(f -> connector.<Message<String>>source("batches-in").send(f));
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (SignedEvents.rejected(registry) < before + forged.size()) {
                assertTrue(System.nanoTime() < deadline, "the forged batches were not all rejected");
                Thread.sleep(50);
            }
            assertEquals(List.of(), reports(m), "no batch was acknowledged");
            assertEquals("1", target.cli("DBSIZE"));
            assertEquals("a key the source lacks: a forged batch naming it would delete it", target.cli("GET", "theirs"));
            // the same batch signed as the scanner signs it is copied: the check is the signature, nothing else
            connector.<Message<String>>source("batches-in").send(SignedEvents.withSignature(batch.batchId(), EventTypes.COPY_BATCH, m,
                    json, SignedEvents.signature(EventSigner.BATCHES, json)));
            while (!"v".equals(target.cli("GET", "k"))) {
                assertTrue(System.nanoTime() < deadline, "the signed batch was not copied");
                Thread.sleep(50);
            }
        }
    }

    @Test
    void withoutOverwriteOrGuardAKeyWrittenToTheTargetMeanwhileIsAReportedConflictNotReplaced() {
        try (RedisServer source = RedisServer.start(); RedisServer target = RedisServer.start()) {
            String m = UUID.randomUUID().toString();
            source.cli("EVAL", "for i=1,120 do redis.call('SET', 'k'..i, i) end", "0");
            target.cli("SET", "k7", "written-by-an-app-after-the-start"); // no guard: an application still writes to the target
            MigrationOptions unguarded = new MigrationOptions(false, List.of(), "*", "auto", false, false, "skip", null);
            connector.<Message<String>>source("phases-in").send(SignedEvents.phase(
                    command(PhaseEvent.Kind.COPY, m, source, target, null, unguarded)));
            relayBatchesUntil(m, () -> everyBatchDone(m, null), "every batch of the copy");
            List<StatusEvent.BatchResult> batches = reports(m).stream().filter(StatusEvent.BatchDone.class::isInstance)
                    .map(e -> ((StatusEvent.BatchDone) e).batch()).toList();
            assertEquals(1, batches.stream().mapToLong(StatusEvent.BatchResult::failed).sum(), batches.toString());
            KeyFailure conflict = batches.stream().flatMap(b -> b.failures().stream()).findFirst().orElseThrow();
            assertEquals("k7", conflict.key());
            assertTrue(conflict.reason().contains("options.overwrite=false"), conflict.reason());
            assertEquals("written-by-an-app-after-the-start", target.cli("GET", "k7"));
            assertEquals("120", target.cli("DBSIZE"));
            assertEquals("119", target.cli("GET", "k119"));
        }
    }

    @Test
    void withOverwriteAReconciliationKeepsTheKeysTheTargetHadBeforeTheMigration() {
        try (RedisServer source = RedisServer.start(); RedisServer target = RedisServer.start()) {
            String m = UUID.randomUUID().toString();
            source.cli("EVAL", "for i=1,200 do redis.call('SET', 'k'..i, i) end", "0");
            target.cli("SET", "theirs", "the target's own key");
            target.cli("SET", "k5", "replaced by the copy");
            MigrationOptions overwrite = new MigrationOptions(true, List.of(), "*", "auto", false, true, "skip", null);
            connector.<Message<String>>source("phases-in").send(SignedEvents.phase(
                    command(PhaseEvent.Kind.COPY, m, source, target, null, overwrite)));
            relayBatchesUntil(m, () -> everyBatchDone(m, null), "every batch of the copy");
            assertEquals("5", target.cli("GET", "k5"));

            source.cli("SET", "k2", "changed while the capture was blind");
            source.cli("SET", "k201", "new while the capture was blind");
            connector.<Message<String>>source("phases-in").send(SignedEvents.phase(
                    command(PhaseEvent.Kind.RECONCILE, m, source, target, 1, overwrite)));
            relayBatchesUntil(m, () -> everyBatchDone(m, 1), "every batch of reconciliation pass 1");
            assertEquals("changed while the capture was blind", target.cli("GET", "k2"));
            assertEquals("new while the capture was blind", target.cli("GET", "k201"));
            assertEquals("the target's own key", target.cli("GET", "theirs"), "a key only the target had survives the reconciliation");
            assertEquals("202", target.cli("DBSIZE"));
        }
    }

    @Test
    void withoutTheGuardAReconciliationKeepsAKeyAnApplicationWroteToTheTarget() {
        try (RedisServer source = RedisServer.start(); RedisServer target = RedisServer.start()) {
            String m = UUID.randomUUID().toString();
            source.cli("EVAL", "for i=1,100 do redis.call('SET', 'k'..i, i) end", "0");
            MigrationOptions unguarded = new MigrationOptions(false, List.of(), "*", "auto", false, false, "skip", null);
            connector.<Message<String>>source("phases-in").send(SignedEvents.phase(
                    command(PhaseEvent.Kind.COPY, m, source, target, null, unguarded)));
            relayBatchesUntil(m, () -> everyBatchDone(m, null), "every batch of the copy");
            target.cli("SET", "app-session", "written to the unguarded target by an application");
            source.cli("SET", "k3", "changed while the capture was blind");
            connector.<Message<String>>source("phases-in").send(SignedEvents.phase(
                    command(PhaseEvent.Kind.RECONCILE, m, source, target, 1, unguarded)));
            relayBatchesUntil(m, () -> everyBatchDone(m, 1), "every batch of reconciliation pass 1");
            assertEquals("changed while the capture was blind", target.cli("GET", "k3"));
            assertEquals("written to the unguarded target by an application", target.cli("GET", "app-session"));
            assertEquals("101", target.cli("DBSIZE"));
        }
    }

    @Test
    void aScopedMigrationOntoASharedTargetTouchesOnlyItsKeysInCopyAndReconciliation() {
        try (RedisServer source = RedisServer.start(); RedisServer target = RedisServer.start()) {
            String m = UUID.randomUUID().toString();
            source.cli("EVAL", "for i=1,60 do redis.call('SET', 'app:'..i, i) redis.call('SET', 'other:'..i, i) end", "0");
            source.cli("-n", "3", "SET", "app:1", "in a database outside the scope");
            target.cli("SET", "other:1", "the target's own key in db 0");
            target.cli("SET", "theirs", "the target's own key");
            target.cli("-n", "3", "SET", "app:1", "the target's own key in db 3");
            MigrationOptions scoped = new MigrationOptions(true, List.of(0), "app:*", "auto", false, true, "skip", null);
            connector.<Message<String>>source("phases-in").send(SignedEvents.phase(
                    command(PhaseEvent.Kind.COPY, m, source, target, null, scoped)));
            relayBatchesUntil(m, () -> everyBatchDone(m, null), "every batch of the copy");
            assertEquals("7", target.cli("GET", "app:7"));
            assertEquals("62", target.cli("DBSIZE"), "60 app:* keys and the target's two");

            source.cli("SET", "app:2", "changed while the capture was blind");
            source.cli("DEL", "other:1");
            source.cli("SET", "other:2", "changed outside the pattern");
            source.cli("-n", "3", "DEL", "app:1");
            connector.<Message<String>>source("phases-in").send(SignedEvents.phase(
                    command(PhaseEvent.Kind.RECONCILE, m, source, target, 1, scoped)));
            relayBatchesUntil(m, () -> everyBatchDone(m, 1), "every batch of reconciliation pass 1");
            assertEquals("changed while the capture was blind", target.cli("GET", "app:2"));
            assertEquals("the target's own key in db 0", target.cli("GET", "other:1"));
            assertEquals("the target's own key", target.cli("GET", "theirs"));
            assertEquals("", target.cli("GET", "other:2"));
            assertEquals("the target's own key in db 3", target.cli("-n", "3", "GET", "app:1"));
            assertEquals("62", target.cli("DBSIZE"));
        }
    }
}

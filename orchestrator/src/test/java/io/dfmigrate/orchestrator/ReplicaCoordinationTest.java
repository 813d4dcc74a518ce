package io.dfmigrate.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.agroal.api.AgroalDataSource;
import io.dfmigrate.orchestrator.persistence.AdvisoryLocks;
import io.dfmigrate.orchestrator.service.watches.DatabaseOutages;
import io.dfmigrate.orchestrator.service.watches.WatchLeader;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.lang.reflect.Constructor;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Several orchestrator replicas on one database: one runs the watches (a PostgreSQL session advisory lock), another
 * takes over when its session ends; the keeper's work on one migration is done by one replica at a time. Each
 * "replica" here is a {@link WatchLeader} of its own on the real PostgreSQL, with a key of this test.
 */
@QuarkusTest
@QuarkusTestResource(value = InfrastructureResource.class, restrictToAnnotatedClass = true)
class ReplicaCoordinationTest {
    @Inject
    AdvisoryLocks locks;
    @Inject
    WatchLeader leader;
    @Inject
    AgroalDataSource dataSource;
    @Inject
    DatabaseOutages outages;

    WatchLeader replica(long key) throws Exception {
        Constructor<WatchLeader> c = WatchLeader.class.getDeclaredConstructor(AdvisoryLocks.class, long.class, DatabaseOutages.class);
        c.setAccessible(true);
        return c.newInstance(locks, key, outages);
    }

    @Test
    void oneReplicaRunsTheWatchesAndAnotherTakesOverWhenItsSessionEnds() throws Exception {
        assertTrue(leader.leading(), "a single orchestrator runs its watches");
        long key = ThreadLocalRandom.current().nextLong();
        WatchLeader a = replica(key);
        WatchLeader b = replica(key);
        assertTrue(a.leading());
        assertFalse(b.leading(), "the lock is taken");
        assertTrue(a.leading(), "and kept");
        assertFalse(b.leading());

        // replica a's database session ends as a killed replica's does
        try (Connection c = dataSource.getConnection();
             PreparedStatement s = c.prepareStatement("select pg_terminate_backend(pid) from pg_locks where locktype = 'advisory' "
                     + "and classid = ?::bigint::oid and objid = ?::bigint::oid and objsubid = 1")) {
            s.setLong(1, key >>> 32);
            s.setLong(2, key & 0xffffffffL);
            try (ResultSet r = s.executeQuery()) {
                assertTrue(r.next() && r.getBoolean(1), "replica a's session found and ended");
            }
        }
        TestSupport.await(b::leading, "replica b to take the watches over");
        assertFalse(a.leading(), "replica a notices its connection is gone and does not lead any more");

        replica(key); // a third one, leading nothing
        java.lang.reflect.Method resign = WatchLeader.class.getDeclaredMethod("resign");
        resign.setAccessible(true);
        resign.invoke(b); // b shuts down
        assertTrue(a.leading(), "a leads again once b resigned");
        resign.invoke(a);
    }

    long waiting() {
        try (Connection c = dataSource.getConnection();
             PreparedStatement s = c.prepareStatement("select count(*) from pg_locks where locktype = 'advisory' and not granted");
             ResultSet r = s.executeQuery()) {
            r.next();
            return r.getLong(1);
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void theKeepersWorkOnAMigrationIsDoneByOneReplicaAtATime() throws Exception {
        UUID id = UUID.randomUUID();
        AdvisoryLocks.Held first = locks.keeper(id);
        CompletableFuture<String> second = CompletableFuture.supplyAsync(() -> {
            try (AdvisoryLocks.Held h = locks.keeper(id)) {
                return "got it";
            }
        }, r -> Thread.ofVirtual().start(r));
        try (AdvisoryLocks.Held other = locks.keeper(UUID.randomUUID())) {
            // another migration's lock is free meanwhile
        }
        TestSupport.await(() -> waiting() >= 1, "the second replica to wait for the migration's keeper lock");
        assertFalse(second.isDone(), "the second replica waits while the first settles the migration");
        first.close();
        assertEquals("got it", second.get(30, TimeUnit.SECONDS));
    }
}

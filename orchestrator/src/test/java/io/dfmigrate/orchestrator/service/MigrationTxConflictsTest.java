package io.dfmigrate.orchestrator.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jakarta.persistence.OptimisticLockException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The retry of a transaction that lost an optimistic-lock race (pure logic): it waits between attempts, gives up after
 * {@link MigrationTx#CONFLICT_ATTEMPTS}, and passes any other failure on at once.
 */
class MigrationTxConflictsTest {
    @Test
    void aConflictIsRetriedAfterAGrowingWaitAndOtherFailuresAreNot() {
        AtomicInteger calls = new AtomicInteger();
        long t0 = System.nanoTime();
        String done = MigrationTx.retryingConflicts(() -> {
            if (calls.incrementAndGet() < 7) {
                throw new IllegalStateException("wrapped", new OptimisticLockException("row changed"));
            }
            return "done";
        });
        assertEquals("done", done);
        assertEquals(7, calls.get());
        long waited = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(waited >= 5 + 10 + 20 + 40 + 80 + 100, "six waits of at least half their bound: " + waited + " ms");

        calls.set(0);
        RuntimeException always = new IllegalStateException(new OptimisticLockException("row changed"));
        assertSame(always, assertThrows(IllegalStateException.class, () -> MigrationTx.retryingConflicts(() -> {
            calls.incrementAndGet();
            throw always;
        })));
        assertEquals(MigrationTx.CONFLICT_ATTEMPTS, calls.get());

        calls.set(0);
        assertThrows(IllegalArgumentException.class, () -> MigrationTx.retryingConflicts(() -> {
            calls.incrementAndGet();
            throw new IllegalArgumentException("not a conflict");
        }));
        assertEquals(1, calls.get());
        for (int attempt = 1; attempt < 20; attempt++) {
            long w = MigrationTx.conflictBackoffMillis(attempt);
            assertTrue(w >= 5 && w <= 200, attempt + ": " + w);
        }
    }
}

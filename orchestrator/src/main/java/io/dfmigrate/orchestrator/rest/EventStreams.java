package io.dfmigrate.orchestrator.rest;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/** Counts the open server-sent event streams, per migration and in all, against their caps. */
final class EventStreams {
    private final int perMigration;
    private final int total;
    private final AtomicInteger open = new AtomicInteger();
    private final Map<String, AtomicInteger> byMigration = new ConcurrentHashMap<>();

    EventStreams(int perMigration, int total) {
        this.perMigration = perMigration;
        this.total = total;
    }

    /** Takes a place for a stream of {@code id}; false when a cap is reached. */
    synchronized boolean open(String id) {
        AtomicInteger mine = byMigration.computeIfAbsent(id, k -> new AtomicInteger());
        if (open.get() >= total || mine.get() >= perMigration) {
            return false;
        }
        open.incrementAndGet();
        mine.incrementAndGet();
        return true;
    }

    synchronized void close(String id) {
        open.decrementAndGet();
        AtomicInteger mine = byMigration.get(id);
        if (mine != null && mine.decrementAndGet() <= 0) {
            byMigration.remove(id);
        }
    }

    int perMigration() {
        return perMigration;
    }

    int total() {
        return total;
    }
}

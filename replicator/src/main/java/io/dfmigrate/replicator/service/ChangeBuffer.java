package io.dfmigrate.replicator.service;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;

/**
 * Notifications waiting for the capture's sender, coalesced per (db, key): a key written a thousand times before the
 * sender runs becomes one change with count 1000, since the applier re-reads the key's current value anyway. Filled on
 * the connection's event loop, emptied by the sender thread; the capture pauses reading from the source while
 * {@link #size()} is at its limit, so memory is bounded by distinct keys, not by writes.
 */
final class ChangeBuffer {
    /** A pending change: the key, the last event name, when the first notification came, how many there were. */
    record Pending(int db, byte[] key, String event, long firstMillis, int count) {
    }

    private record DbKey(int db, byte[] key) {
        @Override
        public boolean equals(Object o) {
            return o instanceof DbKey other && db == other.db && Arrays.equals(key, other.key);
        }

        @Override
        public int hashCode() {
            return 31 * db + Arrays.hashCode(key);
        }
    }

    private LinkedHashMap<DbKey, Pending> pending = new LinkedHashMap<>();
    private long notifications;

    /** Adds one notification; returns the number of distinct keys now pending. */
    synchronized int add(int db, byte[] key, String event, long nowMillis) {
        pending.merge(new DbKey(db, key), new Pending(db, key, event, nowMillis, 1),
                (old, n) -> new Pending(db, old.key(), event, old.firstMillis(), old.count() + 1));
        notifications++;
        return pending.size();
    }

    /** Everything pending, in first-seen order, and an empty buffer. */
    synchronized List<Pending> drain() {
        if (pending.isEmpty()) {
            return List.of();
        }
        List<Pending> out = new ArrayList<>(pending.values());
        pending = new LinkedHashMap<>();
        notifications = 0;
        return out;
    }

    /** Distinct keys pending. */
    synchronized int size() {
        return pending.size();
    }

    /** Notifications pending (the sum of the counts). */
    synchronized long notifications() {
        return notifications;
    }
}

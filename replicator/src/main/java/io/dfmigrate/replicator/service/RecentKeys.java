package io.dfmigrate.replicator.service;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The keys a capture saw change most recently, newest last, at most {@code max} (the oldest go first): what the
 * cutover verifies while writes are paused. Fed on the capture connection's event loop, read by the cutover.
 */
final class RecentKeys {
    private record Key(int db, byte[] name) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && db == k.db && Arrays.equals(name, k.name);
        }

        @Override
        public int hashCode() {
            return 31 * db + Arrays.hashCode(name);
        }
    }

    private final int max;
    private final LinkedHashMap<Key, Long> keys = new LinkedHashMap<>();

    RecentKeys(int max) {
        this.max = max;
    }

    synchronized void changed(int db, byte[] name, long atMillis) {
        Key k = new Key(db, name);
        keys.remove(k); // re-inserted at the end: the order is the order of the last change
        keys.put(k, atMillis);
        if (keys.size() > max) {
            keys.pollFirstEntry();
        }
    }

    /** Per database, the keys changed at or after {@code sinceMillis} (as many as are remembered). */
    synchronized Map<Integer, List<byte[]>> since(long sinceMillis) {
        Map<Integer, List<byte[]>> out = new TreeMap<>();
        for (Map.Entry<Key, Long> e : keys.reversed().entrySet()) {
            if (e.getValue() < sinceMillis) {
                break;
            }
            out.computeIfAbsent(e.getKey().db(), d -> new ArrayList<>()).add(e.getKey().name());
        }
        return out;
    }

    synchronized int size() {
        return keys.size();
    }
}

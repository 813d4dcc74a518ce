package io.dfmigrate.common.redis;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Per-database key counts of source and target (INFO keyspace), compared the one way both the cutover and the drift
 * watch need: keys without a TTL must match exactly; keys with a TTL may expire at slightly different moments on the two
 * servers, so a difference among them is reported, never a mismatch.
 */
public record KeyCounts(List<String> differ, List<String> expiring, int databases) {
    /** Compares the databases in {@code selected} (all when null or empty) of two {@link KeyScanner#keyspaceWithExpires} maps. */
    public static KeyCounts compare(Map<Integer, long[]> source, Map<Integer, long[]> target, Collection<Integer> selected) {
        TreeSet<Integer> dbs = new TreeSet<>(source.keySet());
        dbs.addAll(target.keySet());
        if (selected != null && !selected.isEmpty()) {
            dbs.retainAll(selected);
        }
        List<String> differ = new ArrayList<>();
        List<String> expiring = new ArrayList<>();
        long[] none = {0, 0};
        for (int db : dbs) {
            long[] a = source.getOrDefault(db, none);
            long[] b = target.getOrDefault(db, none);
            if (a[0] - a[1] != b[0] - b[1]) {
                differ.add("db" + db + ": source " + (a[0] - a[1]) + ", target " + (b[0] - b[1]) + " keys without TTL");
            } else if (a[0] != b[0]) {
                expiring.add("db" + db + " " + a[0] + " vs " + b[0]);
            }
        }
        return new KeyCounts(List.copyOf(differ), List.copyOf(expiring), dbs.size());
    }

    public boolean equal() {
        return differ.isEmpty();
    }

    /** One line for the audit trail. */
    public String describe() {
        return equal() ? "key counts equal in " + databases + " database(s)"
                + (expiring.isEmpty() ? "" : " (keys with a TTL that expired meanwhile: " + String.join(", ", expiring) + ")")
                : "key counts differ: " + String.join(", ", differ);
    }
}

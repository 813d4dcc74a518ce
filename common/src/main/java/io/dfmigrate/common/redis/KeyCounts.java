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
public record KeyCounts(List<String> differ, List<String> expiring, int databases, long targetOwn) {
    /** Compares the databases in {@code selected} (all when null or empty) of two {@link KeyScanner#keyspaceWithExpires} maps. */
    public static KeyCounts compare(Map<Integer, long[]> source, Map<Integer, long[]> target, Collection<Integer> selected) {
        return compare(source, target, selected, null);
    }

    /**
     * As {@link #compare(Map, Map, Collection)}, leaving {@code targetOwn} (db → keys without a TTL that the target held
     * before the migration and the source does not have; null: none) out of the target's counts.
     */
    public static KeyCounts compare(Map<Integer, long[]> source, Map<Integer, long[]> target, Collection<Integer> selected,
                                    Map<Integer, Long> targetOwn) {
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
            long own = targetOwn == null ? 0 : targetOwn.getOrDefault(db, 0L);
            if (a[0] - a[1] != b[0] - b[1] - own) {
                differ.add("db" + db + ": source " + (a[0] - a[1]) + ", target " + (b[0] - b[1] - own) + " keys without TTL"
                        + (own == 0 ? "" : " (and " + own + " of its own)"));
            } else if (a[0] != b[0] - own) {
                expiring.add("db" + db + " " + a[0] + " vs " + (b[0] - own));
            }
        }
        long own = targetOwn == null ? 0 : targetOwn.entrySet().stream().filter(e -> dbs.contains(e.getKey())).mapToLong(Map.Entry::getValue).sum();
        return new KeyCounts(List.copyOf(differ), List.copyOf(expiring), dbs.size(), own);
    }

    public boolean equal() {
        return differ.isEmpty();
    }

    /** One line for the audit trail. */
    public String describe() {
        String own = targetOwn == 0 ? "" : " (" + targetOwn + " key(s) the target held before the migration not counted)";
        return equal() ? "key counts equal in " + databases + " database(s)" + own
                + (expiring.isEmpty() ? "" : " (keys with a TTL that expired meanwhile: " + String.join(", ", expiring) + ")")
                : "key counts differ: " + String.join(", ", differ) + own;
    }
}

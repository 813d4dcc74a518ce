package io.dfmigrate.common.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** How key counts are compared: exactly for keys without a TTL, the target's own keys left out of its counts. */
class KeyCountsTest {
    @Test
    void keysWithoutATtlMustMatchAndThoseWithATtlAreOnlyReported() {
        KeyCounts c = KeyCounts.compare(Map.of(0, new long[] {10, 2}), Map.of(0, new long[] {9, 1}), null);
        assertTrue(c.equal(), c.describe());
        assertTrue(c.describe().contains("db0 10 vs 9"), c.describe());
        KeyCounts d = KeyCounts.compare(Map.of(0, new long[] {10, 2}), Map.of(0, new long[] {10, 1}), null);
        assertFalse(d.equal());
        assertEquals(List.of("db0: source 8, target 9 keys without TTL"), d.differ());
    }

    @Test
    void theTargetsOwnKeysAreLeftOutOfItsCountsAndNothingElse() {
        Map<Integer, long[]> source = Map.of(0, new long[] {100, 0});
        Map<Integer, long[]> target = Map.of(0, new long[] {103, 0}, 3, new long[] {1, 0});
        KeyCounts equal = KeyCounts.compare(source, target, null, Map.of(0, 3L, 3, 1L));
        assertTrue(equal.equal(), equal.describe());
        assertEquals(4, equal.targetOwn());
        assertTrue(equal.describe().contains("4 key(s) the target held before the migration not counted"), equal.describe());

        KeyCounts stray = KeyCounts.compare(source, target, null, Map.of(0, 2L, 3, 1L));
        assertFalse(stray.equal(), "one key more than the source's and the target's own is a difference");
        assertEquals(List.of("db0: source 100, target 101 keys without TTL (and 2 of its own)"), stray.differ());
        assertFalse(KeyCounts.compare(source, target, null).equal(), "without the record they differ");
        assertTrue(KeyCounts.compare(source, target, List.of(0), Map.of(0, 3L)).equal(), "only the selected databases");
    }
}

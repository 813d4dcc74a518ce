package io.dfmigrate.replicator.service;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** What the cutover verifies: the newest changes per database, within a window, bounded. */
class RecentKeysTest {
    static Map<Integer, List<String>> names(Map<Integer, List<byte[]>> keys) {
        return keys.entrySet().stream().collect(Collectors.toMap(Map.Entry::getKey,
                e -> e.getValue().stream().map(b -> new String(b, StandardCharsets.UTF_8)).toList()));
    }

    @Test
    void keepsTheNewestChangeOfEachKeyBoundedAndAnswersByWindow() {
        RecentKeys r = new RecentKeys(3);
        r.changed(0, "a".getBytes(), 100);
        r.changed(0, "b".getBytes(), 200);
        r.changed(1, "a".getBytes(), 300); // another database: another key
        r.changed(0, "a".getBytes(), 400); // changed again: now the newest
        assertEquals(3, r.size());
        assertEquals(Map.of(0, List.of("a", "b"), 1, List.of("a")), names(r.since(0)));
        assertEquals(Map.of(0, List.of("a"), 1, List.of("a")), names(r.since(250)));
        r.changed(2, "c".getBytes(), 500); // over the bound: the oldest (db0 b) goes
        assertEquals(3, r.size());
        assertEquals(Map.of(0, List.of("a"), 1, List.of("a"), 2, List.of("c")), names(r.since(0)));
        assertEquals(Map.of(), names(r.since(501)));
    }
}

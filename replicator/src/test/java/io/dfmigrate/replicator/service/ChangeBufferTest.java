package io.dfmigrate.replicator.service;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class ChangeBufferTest {
    static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void repeatedChangesOfAKeyAreCoalescedPerDatabaseWithTheirCountAndFirstTime() {
        ChangeBuffer buffer = new ChangeBuffer();
        assertEquals(1, buffer.add(0, b("a"), "set", 100));
        assertEquals(1, buffer.add(0, b("a"), "expire", 105)); // same bytes, another array: the same key
        assertEquals(2, buffer.add(1, b("a"), "set", 106));    // the same name in another database is another key
        assertEquals(3, buffer.add(0, new byte[] {0, (byte) 0xff}, "del", 107));
        assertEquals(3, buffer.add(0, b("a"), "del", 110));
        assertEquals(5, buffer.notifications());

        List<ChangeBuffer.Pending> drained = buffer.drain();
        assertEquals(3, drained.size());
        ChangeBuffer.Pending a = drained.get(0);
        assertEquals(0, a.db());
        assertArrayEquals(b("a"), a.key());
        assertEquals(3, a.count());
        assertEquals(100, a.firstMillis());
        assertEquals("del", a.event());
        assertEquals(1, drained.get(1).db());
        assertArrayEquals(new byte[] {0, (byte) 0xff}, drained.get(2).key());
        assertEquals(5, drained.stream().mapToInt(ChangeBuffer.Pending::count).sum(), "no notification is lost in coalescing");

        assertTrue(buffer.drain().isEmpty());
        assertEquals(0, buffer.size());
        assertEquals(0, buffer.notifications());
    }
}

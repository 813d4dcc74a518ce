package io.dfmigrate.replicator.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Which masters a reconciliation request names after a capture's gap (pure logic). */
class CaptureGapTest {
    private static final List<String> ABC = List.of("a:1", "b:1", "c:1");

    @Test
    void aFailoverNamesThePromotedReplicaAloneAndAnAddedMasterItself() {
        CaptureGap gap = new CaptureGap(true);
        gap.markServer("b:1"); // b died; its replica d took its slots
        assertTrue(gap.pending());
        assertEquals(List.of("d:1"), gap.take(ABC, List.of("a:1", "c:1", "d:1")));
        assertFalse(gap.pending());

        gap.markServer(null); // a master the capture did not follow was found
        assertEquals(List.of("e:1"), gap.take(List.of("a:1", "c:1", "d:1"), List.of("a:1", "c:1", "d:1", "e:1")));
    }

    @Test
    void aMasterThatCameBackIsRescannedWithTheNewOnes() {
        CaptureGap gap = new CaptureGap(true);
        gap.markServer("a:1");
        gap.markServer("b:1");
        assertEquals(List.of("a:1", "d:1"), gap.take(ABC, List.of("a:1", "c:1", "d:1")));
    }

    @Test
    void aGapOfAnyKeyOrNoMasterToNameOrAnotherSourceRescansEverything() {
        CaptureGap whole = new CaptureGap(true);
        whole.markServer("b:1");
        whole.markWhole();
        assertNull(whole.take(ABC, ABC));
        assertFalse(whole.pending());

        CaptureGap none = new CaptureGap(true);
        none.markServer(null);
        assertNull(none.take(ABC, ABC), "nothing to name: the whole keyspace");

        CaptureGap standalone = new CaptureGap(false);
        standalone.markServer("a:1");
        assertNull(standalone.take(List.of("a:1"), List.of("a:1")));
    }
}

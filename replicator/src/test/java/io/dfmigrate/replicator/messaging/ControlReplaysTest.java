package io.dfmigrate.replicator.messaging;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dfmigrate.common.event.PhaseEvent;
import io.dfmigrate.common.event.RunKey;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** Genuine control commands sent again (a replay by someone who can write to dfm.runs) act once, and stale cutovers never. */
class ControlReplaysTest {
    static final Instant NOW = Instant.parse("2026-12-06T12:00:00Z");

    static PhaseEvent command(PhaseEvent.Kind kind, String id, Instant time, Integer pass) {
        return kind.create(id, "m", 1, time, null, null, null, pass);
    }

    @Test
    void aCutoverActsOnceAndOnlyWhileItCouldBelongToAPauseInProgress() {
        ControlReplays r = new ControlReplays(Duration.ofSeconds(30));
        PhaseEvent cutover = command(PhaseEvent.Kind.CUTOVER, "c1", NOW.minusSeconds(2), null);
        assertNull(r.refusal(cutover, NOW));
        assertTrue(r.refusal(cutover, NOW.plusSeconds(1)).contains("acted on already"));
        String stale = r.refusal(command(PhaseEvent.Kind.CUTOVER, "c2", NOW.minusSeconds(31), null), NOW);
        assertNotNull(stale);
        assertTrue(stale.contains("older than 30 s"), stale);
        assertNull(r.refusal(command(PhaseEvent.Kind.CUTOVER, "c3", NOW, null), NOW), "a new cutover of the run acts");
    }

    @Test
    void aReconciliationPassActsOnceAndNeverAfterALaterPass() {
        ControlReplays r = new ControlReplays(Duration.ofSeconds(30));
        PhaseEvent pass1 = command(PhaseEvent.Kind.RECONCILE, "r1", NOW.minusSeconds(3600), 1);
        PhaseEvent pass2 = command(PhaseEvent.Kind.RECONCILE, "r2", NOW.minusSeconds(60), 2);
        assertNull(r.refusal(pass1, NOW), "an old pass may act the first time (a replicator that starts replays dfm.runs)");
        assertNull(r.refusal(pass2, NOW));
        assertNotNull(r.refusal(pass2, NOW));
        assertTrue(r.refusal(command(PhaseEvent.Kind.RECONCILE, "r1-again", NOW, 1), NOW).contains("older than pass 2"));
        r.forget(new RunKey("m", 1));
        assertNull(r.refusal(pass2, NOW), "forgotten with its run");
    }
}

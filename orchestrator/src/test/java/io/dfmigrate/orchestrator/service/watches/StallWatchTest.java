package io.dfmigrate.orchestrator.service.watches;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dfmigrate.orchestrator.persistence.Migration;
import io.dfmigrate.orchestrator.persistence.MigrationState;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The stall watch's decisions, as plain logic over a migration's counters. */
class StallWatchTest {
    static final Duration STALL = Duration.ofSeconds(60);
    static final Duration FAIL = Duration.ofMinutes(15);
    final Map<UUID, StallWatch.Mark> marks = new HashMap<>();
    final Instant t0 = Instant.parse("2026-12-01T10:00:00Z");

    static Migration replicating(long captured, long applied) {
        Migration m = new Migration();
        m.id = UUID.randomUUID();
        m.state = MigrationState.REPLICATING;
        m.capture.startedAt = m.copy.startedAt = Instant.parse("2026-12-01T09:00:00Z");
        m.capture.captured = captured;
        m.capture.applied = m.capture.appliedTotal = applied;
        return m;
    }

    StallWatch.Verdict judge(Migration m, long seconds) {
        return StallWatch.judge(m, marks, t0.plusSeconds(seconds), STALL, FAIL, 0);
    }

    @Test
    void pendingChangesThatAreNotAppliedForTheStallTimeoutAreReportedOnceThenClearedWhenApplyingResumes() {
        Migration m = replicating(1000, 500);
        assertInstanceOf(StallWatch.Verdict.Unchanged.class, judge(m, 0));
        m.capture.captured = 2000; // changes keep arriving, nothing applied
        assertInstanceOf(StallWatch.Verdict.Unchanged.class, judge(m, 59));
        StallWatch.Verdict v = judge(m, 61);
        StallWatch.Verdict.Stalled s = assertInstanceOf(StallWatch.Verdict.Stalled.class, v);
        assertEquals("replication-stalled", s.action());
        assertTrue(s.reason().contains("1500 change(s) were pending"), s.reason());
        assertNotNull(m.stalled);
        assertInstanceOf(StallWatch.Verdict.Unchanged.class, judge(m, 70), "audited once");

        m.capture.appliedTotal = m.capture.applied = 900;
        StallWatch.Verdict.Resumed r = assertInstanceOf(StallWatch.Verdict.Resumed.class, judge(m, 75));
        assertEquals("replication-resumed", r.action());
        assertNull(m.stalled);
    }

    @Test
    void aStallThatLastsFailsTheMigrationOnlyWithEvidence() {
        // nothing new captured, no applier error: a residual count on a quiet source is shown, never failed
        Migration quiet = replicating(1000, 990);
        judge(quiet, 0);
        assertInstanceOf(StallWatch.Verdict.Stalled.class, judge(quiet, 61));
        assertInstanceOf(StallWatch.Verdict.Unchanged.class, judge(quiet, 3600));

        Migration failing = replicating(1000, 500);
        judge(failing, 0);
        failing.capture.applyError = "applying changes to db 0: OOM command not allowed";
        assertInstanceOf(StallWatch.Verdict.Stalled.class, judge(failing, 61));
        StallWatch.Verdict.Fail f = assertInstanceOf(StallWatch.Verdict.Fail.class, judge(failing, 901));
        assertTrue(f.reason().contains("OOM"), f.reason());
    }

    @Test
    void nothingPendingReconcilingOrCuttingOverIsNeverAStall() {
        Migration idle = replicating(1000, 1000);
        judge(idle, 0);
        assertInstanceOf(StallWatch.Verdict.Unchanged.class, judge(idle, 600));

        Migration reconciling = replicating(1000, 10);
        reconciling.reconciling = true;
        judge(reconciling, 0);
        assertInstanceOf(StallWatch.Verdict.Unchanged.class, judge(reconciling, 600));
    }

    @Test
    void aCopyWhoseCountersStopIsStalledAndFailsAfterTheLongerTimeout() {
        Migration m = replicating(0, 0);
        m.state = MigrationState.COPYING;
        assertInstanceOf(StallWatch.Verdict.Unchanged.class, StallWatch.judge(m, marks, t0, STALL, FAIL, 100));
        assertInstanceOf(StallWatch.Verdict.Unchanged.class, StallWatch.judge(m, marks, t0.plusSeconds(30), STALL, FAIL, 200));
        StallWatch.Verdict.Stalled s = assertInstanceOf(StallWatch.Verdict.Stalled.class,
                StallWatch.judge(m, marks, t0.plusSeconds(91), STALL, FAIL, 200));
        assertEquals("copy-stalled", s.action());
        assertInstanceOf(StallWatch.Verdict.Fail.class, StallWatch.judge(m, marks, t0.plusSeconds(30 + 901), STALL, FAIL, 200));
    }
}

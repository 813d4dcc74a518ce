package io.dfmigrate.orchestrator.persistence;

import jakarta.persistence.Column;
import jakarta.persistence.Embeddable;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import org.hibernate.annotations.Formula;

/** The cutover of the current run: its phase (null: none), changes to drain, the write pause and the result. */
@Embeddable
public class CutoverInfo {
    /** Always 1: Hibernate loads an embedded part whose columns are all null (no cutover yet) as null; this one never is. */
    @Formula("1")
    int present;
    @Enumerated(EnumType.STRING)
    @Column(name = "cutover_state")
    public CutoverPhase phase;
    @Column(name = "cutover_captured")
    public Long captured;
    @Column(name = "cutover_pause_millis")
    public Long pauseMillis;
    @Column(name = "cutover_detail")
    public String detail;
    /** Drained, and the target has keys of its own: the keeper counts them (writes still paused) before the comparison. */
    @Column(name = "cutover_own_pending")
    public boolean ownPending;
    /** JSON db → the target's own keys without a TTL that the source does not have, sent with the complete command. */
    @Column(name = "cutover_target_own")
    public String targetOwn;

    /** Moves to {@code to}, or refuses an illegal move with an {@link IllegalStateException}. */
    public void moveTo(CutoverPhase to) {
        phase = Moves.checked("cutover", phase, to, CutoverPhase.PAUSING, CutoverPhase::next);
    }

    /** Ends a cutover that holds the source's writes (abort, stop) without a result. */
    public void abandon(String why) {
        if (phase == null || !phase.abandonable()) {
            throw new IllegalStateException("no cutover under way to abandon (" + phase + ")");
        }
        phase = null;
        detail = why;
    }
}

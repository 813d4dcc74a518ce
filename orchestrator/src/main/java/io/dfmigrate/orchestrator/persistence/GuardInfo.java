package io.dfmigrate.orchestrator.persistence;

import jakarta.persistence.Column;
import jakarta.persistence.Embeddable;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import org.hibernate.annotations.Formula;

/**
 * The target write guard: its status (null: never applied), the guard user's password and the guarded users' original
 * rules (sealed, kept until the guard is lifted), and the target as the workers reach it while the guard is on.
 */
@Embeddable
public class GuardInfo {
    /** Always 1: Hibernate loads an embedded part whose columns are all null (no guard ever applied) as null; this one never is. */
    @Formula("1")
    int present;
    @Enumerated(EnumType.STRING)
    @Column(name = "guard_status")
    public GuardStatus status;
    @Column(name = "guard_sealed")
    public String sealed;
    @Column(name = "guard_target_uri")
    public String targetUri;
    @Column(name = "guard_target_sealed")
    public String targetSealed;
    @Column(name = "guard_detail")
    public String detail;

    /** Moves to {@code to}, or refuses an illegal move with an {@link IllegalStateException}. */
    public void moveTo(GuardStatus to) {
        status = Moves.checked("target guard", status, to, GuardStatus.APPLYING, GuardStatus::next);
    }

    public boolean is(GuardStatus s) {
        return status == s;
    }

    /** The guard may be on the target. */
    public boolean up() {
        return status != null && status.up();
    }
}

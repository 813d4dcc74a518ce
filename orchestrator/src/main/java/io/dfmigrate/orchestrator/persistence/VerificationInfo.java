package io.dfmigrate.orchestrator.persistence;

import jakarta.persistence.Column;
import jakarta.persistence.Embeddable;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import java.time.Instant;
import org.hibernate.annotations.Formula;

/**
 * The latest verification of the current run: its number (1, 2, … per migration; reports of another number are
 * ignored), state RUNNING / DONE / FAILED (null: none), what was asked, and the counters the verifiers' reports add up.
 */
@Embeddable
public class VerificationInfo {
    /** Where a verification is: comparing (RUNNING), ended with its counts (DONE), or ended by an error (FAILED). */
    public enum State {
        RUNNING, DONE, FAILED
    }

    /** Always 1, so Hibernate never loads this part as null. */
    @Formula("1")
    int present;
    @Column(name = "verify_number")
    public int number;
    @Enumerated(EnumType.STRING)
    @Column(name = "verify_state")
    public State state;
    /** The request as JSON ({@link io.dfmigrate.common.event.VerifyRequest}). */
    @Column(name = "verify_request")
    public String request;
    @Column(name = "verify_actor")
    public String actor;
    @Column(name = "verify_keys_total")
    public Long keysTotal;
    @Column(name = "verify_batches_total")
    public Long batchesTotal;
    @Column(name = "verify_batches_done")
    public long batchesDone;
    @Column(name = "verify_keys_checked")
    public long keysChecked;
    @Column(name = "verify_keys_differing")
    public long keysDiffering;
    /** JSON: reason → count. */
    @Column(name = "verify_reasons")
    public String reasons;
    @Column(name = "verify_error")
    public String error;
    @Column(name = "verify_started_at")
    public Instant startedAt;
    @Column(name = "verify_ended_at")
    public Instant endedAt;
    @Column(name = "verify_report_at")
    public Instant reportAt;

    public boolean running() {
        return state == State.RUNNING;
    }

    /** A new verification {@code number}: counters from zero. */
    public void begin(String requestJson, String by) {
        number++;
        state = State.RUNNING;
        request = requestJson;
        actor = by;
        keysTotal = batchesTotal = null;
        batchesDone = keysChecked = keysDiffering = 0;
        reasons = null;
        error = null;
        startedAt = reportAt = Instant.now();
        endedAt = null;
    }

    /** A new run forgets the previous run's verification (its number goes on counting). */
    public void forget() {
        state = null;
        request = actor = reasons = error = null;
        keysTotal = batchesTotal = null;
        batchesDone = keysChecked = keysDiffering = 0;
        startedAt = endedAt = reportAt = null;
    }
}

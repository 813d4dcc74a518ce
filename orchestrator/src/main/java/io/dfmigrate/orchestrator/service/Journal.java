package io.dfmigrate.orchestrator.service;

import io.dfmigrate.common.Topics;
import io.dfmigrate.common.event.AuditEvent;
import io.dfmigrate.common.event.EndpointRef;
import io.dfmigrate.common.event.EventTypes;
import io.dfmigrate.common.event.Json;
import io.dfmigrate.common.event.MigrationOptions;
import io.dfmigrate.common.event.PhaseEvent;
import io.dfmigrate.common.event.RunKey;
import io.dfmigrate.common.event.VerifyRequest;
import io.dfmigrate.orchestrator.persistence.AuditEntry;
import io.dfmigrate.orchestrator.persistence.GuardStatus;
import io.dfmigrate.orchestrator.persistence.Migration;
import io.dfmigrate.orchestrator.persistence.MigrationState;
import io.dfmigrate.orchestrator.persistence.OutboxEvent;
import io.dfmigrate.orchestrator.persistence.Transition;
import io.dfmigrate.orchestrator.service.lifecycle.Reconciliation;
import io.dfmigrate.orchestrator.service.target.TargetOwnKeys;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.UUID;

/**
 * The one writer of what a transaction causes for a migration: state moves with their audit entries, audit entries on
 * {@code dfm.audit}, phase commands on {@code dfm.phases}, all through the outbox in the same transaction (the relay
 * publishes them after the commit). It remembers what it wrote, so its caller relays only when there is something to
 * relay and wakes the keeper only when the state or the guard moved.
 */
public final class Journal {
    private final Migration m;
    private final MigrationState stateBefore;
    private final GuardStatus guardBefore;
    private final boolean ownPendingBefore;
    private final List<OutboxEvent> written = new ArrayList<>();

    public Journal(Migration m) {
        this.m = m;
        this.stateBefore = m.state;
        this.guardBefore = m.guard.status;
        this.ownPendingBefore = m.cutover.ownPending;
    }

    public Migration migration() {
        return m;
    }

    /** Outbox rows written in this transaction (audit records and phase commands), in order. */
    public List<OutboxEvent> written() {
        return List.copyOf(written);
    }

    /** The state or the target guard moved: the keeper may have something to do. */
    public boolean keeperMayAct() {
        return m.state != stateBefore || !Objects.equals(guardBefore, m.guard.status) || (m.cutover.ownPending && !ownPendingBefore);
    }

    public void touch() {
        m.updatedAt = Instant.now();
    }

    /**
     * Makes one move of the lifecycle's table (refused when the migration is not in one of the states it leaves), records
     * it in the audit trail under the move's action and issues the move's phase command, if it has one.
     */
    public void transition(Transition t, String actor, String detail) {
        MigrationState from = m.state;
        if (!t.from().contains(from)) {
            throw new IllegalStateException("migration " + m.id + ": " + t + " cannot move it from " + from);
        }
        m.moveTo(t.to());
        record(actor, t.action(), from, t.to(), detail);
        if (t.command() != null) {
            phase(t.command());
        }
    }

    /** FAILED with the reason; the workers are told to stop. */
    public void fail(String actor, String reason) {
        m.error = reason;
        m.endedAt = Instant.now();
        transition(Transition.FAIL, actor, reason);
    }

    /** The migration was just created: its first audit entry (into CREATED). */
    public void created(String actor, String detail) {
        record(actor, "create", null, MigrationState.CREATED, detail);
    }

    /** An audit entry without a state change. */
    public AuditEntry audit(String actor, String action, String detail) {
        touch();
        return record(actor, action, null, null, detail);
    }

    private AuditEntry record(String actor, String action, MigrationState from, MigrationState to, String detail) {
        AuditEntry a = new AuditEntry();
        a.eventId = UUID.randomUUID();
        a.migrationId = m.id;
        a.time = Instant.now();
        a.type = to != null ? EventTypes.AUDIT_TRANSITION : EventTypes.AUDIT_ACTION;
        a.actor = actor;
        a.action = action;
        a.fromState = from == null ? null : from.name();
        a.toState = to == null ? null : to.name();
        a.detail = detail;
        a.persist();
        outbox(Topics.AUDIT, a.eventId.toString(), a.type, new AuditEvent(a.eventId.toString(), a.type, m.id.toString(), m.name,
                a.time, actor, action, a.fromState, a.toState, detail)).actor = actor;
        return a;
    }

    public OutboxEvent phase(PhaseEvent.Kind kind) {
        return phase(kind, "");
    }

    /** A phase command of the current run; {@code idSuffix} tells a repeated command of the same run apart (a takeover). */
    public OutboxEvent phase(PhaseEvent.Kind kind, String idSuffix) {
        boolean reconcile = kind == PhaseEvent.Kind.RECONCILE;
        String id = new RunKey(m.id.toString(), m.run) + ":" + kind.type() + (reconcile ? ":" + m.reconcilePass : "") + idSuffix;
        PhaseEvent p = kind.create(id, m.id.toString(), m.run, Instant.now(), new EndpointRef(m.sourceUri, m.sourceSealed), target(),
                options(m), reconcile ? m.reconcilePass : null);
        if (p instanceof PhaseEvent.Complete c && m.cutover.targetOwn != null) {
            p = c.withTargetOwnKeys(TargetOwnKeys.counts(m.cutover.targetOwn));
        }
        if (p instanceof PhaseEvent.Reconcile r && m.reconcileShards != null) {
            p = r.withShards(Reconciliation.shards(m));
        }
        return phase(p);
    }

    /** The target as workers reach it: while it is guarded, as the migration's own ACL user. */
    private EndpointRef target() {
        boolean guarded = m.guard.is(GuardStatus.ACTIVE) && m.guard.targetSealed != null && m.state.live();
        return guarded ? new EndpointRef(m.guard.targetUri, m.guard.targetSealed) : new EndpointRef(m.targetUri, m.targetSealed);
    }

    /** The command of verification {@code verify.number()} of the current run. */
    public OutboxEvent verify(VerifyRequest verify) {
        String id = new RunKey(m.id.toString(), m.run) + ":" + PhaseEvent.Kind.VERIFY.type() + ":" + verify.number();
        return phase(new PhaseEvent.Verify(id, m.id.toString(), m.run, Instant.now(), new EndpointRef(m.sourceUri, m.sourceSealed),
                target(), options(m), verify));
    }

    /** Any phase command, e.g. a stop for an earlier run. */
    public OutboxEvent phase(PhaseEvent p) {
        return outbox(Topics.PHASES, p.id(), p.type(), p);
    }

    private OutboxEvent outbox(String topic, String eventId, String type, Object payload) {
        OutboxEvent o = new OutboxEvent();
        o.topic = topic;
        o.key = m.id.toString();
        o.eventId = eventId;
        o.type = type;
        o.payload = Json.write(payload);
        o.createdAt = Instant.now();
        o.persist();
        written.add(o);
        return o;
    }

    /** The migration's options, defaults filled in at create. */
    public static MigrationOptions options(Migration m) {
        return Json.read(m.options, MigrationOptions.class);
    }
}

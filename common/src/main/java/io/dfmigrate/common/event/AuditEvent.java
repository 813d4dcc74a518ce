package io.dfmigrate.common.event;

import java.time.Instant;

/**
 * One audit record on {@code dfm.audit} (keyed by migration id, CloudEvents headers with the same id, type and
 * subject = migration id). {@code action} is the operator action or the automatic cause; states are null when the
 * action did not change the state. Never contains a secret.
 */
public record AuditEvent(String id, String type, String migrationId, String migrationName, Instant time, String actor,
                         String action, String fromState, String toState, String detail) {
}

package io.dfmigrate.common.event;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import com.fasterxml.jackson.annotation.JsonTypeName;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * A phase command on {@code dfm.phases}, keyed by migration id: one record per command, the wire {@code type} from its
 * {@link JsonTypeName}. {@code run} increases with every start-over, so workers and the orchestrator can drop commands of
 * an earlier run. Every command carries the endpoints (masked and sealed) and the options, so a worker needs no state.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, include = JsonTypeInfo.As.PROPERTY, property = "type")
@JsonSubTypes({@JsonSubTypes.Type(PhaseEvent.Validate.class), @JsonSubTypes.Type(PhaseEvent.Capture.class),
        @JsonSubTypes.Type(PhaseEvent.Copy.class), @JsonSubTypes.Type(PhaseEvent.Replicate.class),
        @JsonSubTypes.Type(PhaseEvent.Cutover.class), @JsonSubTypes.Type(PhaseEvent.Reconcile.class),
        @JsonSubTypes.Type(PhaseEvent.Stop.class), @JsonSubTypes.Type(PhaseEvent.Complete.class),
        @JsonSubTypes.Type(PhaseEvent.Verify.class)})
public sealed interface PhaseEvent {
    String id();

    String migrationId();

    int run();

    Instant time();

    EndpointRef source();

    EndpointRef target();

    MigrationOptions options();

    /** The wire type name, e.g. {@code dfm.phase.copy.v1}. */
    default String type() {
        return EventTypes.nameOf(getClass());
    }

    /** The reconciliation pass (1, 2, …) of a {@link Reconcile}; null for every other command. */
    default Integer pass() {
        return null;
    }

    /** Validate source and target (validator). */
    @JsonTypeName(EventTypes.PHASE_VALIDATE)
    record Validate(String id, String migrationId, int run, Instant time, EndpointRef source, EndpointRef target,
                    MigrationOptions options) implements PhaseEvent {
    }

    /** Start change capture (replicator); the copy follows once capture reports ready. Sent again for a takeover. */
    @JsonTypeName(EventTypes.PHASE_CAPTURE)
    record Capture(String id, String migrationId, int run, Instant time, EndpointRef source, EndpointRef target,
                   MigrationOptions options) implements PhaseEvent {
    }

    /** Scan the source and copy every key (copier). */
    @JsonTypeName(EventTypes.PHASE_COPY)
    record Copy(String id, String migrationId, int run, Instant time, EndpointRef source, EndpointRef target,
                MigrationOptions options) implements PhaseEvent {
    }

    /** The copy is done: apply the held changes and keep replicating (every replicator). */
    @JsonTypeName(EventTypes.PHASE_REPLICATE)
    record Replicate(String id, String migrationId, int run, Instant time, EndpointRef source, EndpointRef target,
                     MigrationOptions options) implements PhaseEvent {
    }

    /** Pause writes on the source and drain: the capture instance acts. */
    @JsonTypeName(EventTypes.PHASE_CUTOVER)
    record Cutover(String id, String migrationId, int run, Instant time, EndpointRef source, EndpointRef target,
                   MigrationOptions options) implements PhaseEvent {
    }

    /**
     * Rescan source and target (pass N) because capture may have missed changes; appliers hold until REPLICATE again.
     * {@code shards}: for a Redis Cluster source whose gap was one master's (a failover, a resharding), the masters
     * (host:port) to rescan, and on the target the keys of their slots only; null rescans everything.
     */
    @JsonTypeName(EventTypes.PHASE_RECONCILE)
    record Reconcile(String id, String migrationId, int run, Instant time, EndpointRef source, EndpointRef target,
                     MigrationOptions options, Integer pass, List<String> shards) implements PhaseEvent {
        public Reconcile(String id, String migrationId, int run, Instant time, EndpointRef source, EndpointRef target,
                         MigrationOptions options, Integer pass) {
            this(id, migrationId, run, time, source, target, options, pass, null);
        }

        public Reconcile withShards(List<String> masters) {
            return new Reconcile(id, migrationId, run, time, source, target, options, pass, masters);
        }
    }

    /** The run ends without cutover (stopped or failed): workers let go of it. */
    @JsonTypeName(EventTypes.PHASE_STOP)
    record Stop(String id, String migrationId, int run, Instant time, EndpointRef source, EndpointRef target,
                MigrationOptions options) implements PhaseEvent {
    }

    /**
     * The run is complete (after a cutover: the write pause ends). {@code targetOwnKeys} (db → count; null when none):
     * keys without a TTL that the target held before the migration and the source does not have, left out of the
     * target's key counts when the cutover compares them.
     */
    @JsonTypeName(EventTypes.PHASE_COMPLETE)
    record Complete(String id, String migrationId, int run, Instant time, EndpointRef source, EndpointRef target,
                    MigrationOptions options, Map<Integer, Long> targetOwnKeys) implements PhaseEvent {
        public Complete withTargetOwnKeys(Map<Integer, Long> counts) {
            return new Complete(id, migrationId, run, time, source, target, options, counts);
        }
    }

    /**
     * Compare source and target key by key (one copier instance scans and publishes key batches, every instance
     * compares its share): allowed in REPLICATING, STOPPED and COMPLETED, so it is never dropped as a command of an
     * ended run. {@code verify} says what to compare.
     */
    @JsonTypeName(EventTypes.PHASE_VERIFY)
    record Verify(String id, String migrationId, int run, Instant time, EndpointRef source, EndpointRef target,
                  MigrationOptions options, VerifyRequest verify) implements PhaseEvent {
    }

    /** The commands by kind, for whoever builds them from a migration (the orchestrator). */
    enum Kind {
        VALIDATE, CAPTURE, COPY, REPLICATE, CUTOVER, RECONCILE, STOP, COMPLETE, VERIFY;

        /** The kind of a command. */
        public static Kind of(PhaseEvent p) {
            return switch (p) {
                case Validate v -> VALIDATE;
                case Capture c -> CAPTURE;
                case Copy c -> COPY;
                case Replicate r -> REPLICATE;
                case Cutover c -> CUTOVER;
                case Reconcile r -> RECONCILE;
                case Stop s -> STOP;
                case Complete c -> COMPLETE;
                case Verify v -> VERIFY;
            };
        }

        public String type() {
            return EventTypes.nameOf(switch (this) {
                case VALIDATE -> Validate.class;
                case CAPTURE -> Capture.class;
                case COPY -> Copy.class;
                case REPLICATE -> Replicate.class;
                case CUTOVER -> Cutover.class;
                case RECONCILE -> Reconcile.class;
                case STOP -> Stop.class;
                case COMPLETE -> Complete.class;
                case VERIFY -> Verify.class;
            });
        }

        /** The command of this kind; {@code pass} is used by {@link #RECONCILE} only. */
        public PhaseEvent create(String id, String migrationId, int run, Instant time, EndpointRef source, EndpointRef target,
                                 MigrationOptions options, Integer pass) {
            return switch (this) {
                case VALIDATE -> new Validate(id, migrationId, run, time, source, target, options);
                case CAPTURE -> new Capture(id, migrationId, run, time, source, target, options);
                case COPY -> new Copy(id, migrationId, run, time, source, target, options);
                case REPLICATE -> new Replicate(id, migrationId, run, time, source, target, options);
                case CUTOVER -> new Cutover(id, migrationId, run, time, source, target, options);
                case RECONCILE -> new Reconcile(id, migrationId, run, time, source, target, options, pass);
                case STOP -> new Stop(id, migrationId, run, time, source, target, options);
                case COMPLETE -> new Complete(id, migrationId, run, time, source, target, options, null);
                case VERIFY -> throw new IllegalArgumentException("a verify command is built with its VerifyRequest");
            };
        }
    }
}

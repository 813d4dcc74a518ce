package io.dfmigrate.orchestrator.service;

import io.dfmigrate.common.endpoint.InvalidEndpointException;
import io.dfmigrate.common.endpoint.RedisEndpoint;
import io.dfmigrate.common.event.AuditEvent;
import io.dfmigrate.common.event.EndpointRef;
import io.dfmigrate.common.event.EventTypes;
import io.dfmigrate.common.event.Json;
import io.dfmigrate.common.event.MigrationOptions;
import io.dfmigrate.common.event.PhaseEvent;
import io.dfmigrate.common.event.Severity;
import io.dfmigrate.common.event.StatusEvent;
import io.dfmigrate.common.event.ValidationCheck;
import io.dfmigrate.common.secret.SecretBox;
import io.dfmigrate.common.Topics;
import io.dfmigrate.orchestrator.messaging.OutboxRelay;
import io.dfmigrate.orchestrator.persistence.OutboxEvent;
import io.dfmigrate.orchestrator.persistence.AuditEntry;
import io.dfmigrate.orchestrator.persistence.Migration;
import io.dfmigrate.orchestrator.persistence.MigrationState;
import io.dfmigrate.orchestrator.persistence.MigrationState.Action;
import io.dfmigrate.orchestrator.persistence.ProcessedEvent;
import io.dfmigrate.orchestrator.rest.Dtos;
import io.dfmigrate.orchestrator.rest.Problem.FieldError;
import io.quarkus.narayana.jta.QuarkusTransaction;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.jboss.logging.Logger;

/**
 * The state machine. Each operator action and each status event is applied in one database transaction, together
 * with the phase commands and audit records it causes (the outbox); {@link OutboxRelay} publishes them after the
 * commit, so a crash between the two loses nothing.
 */
@ApplicationScoped
public class MigrationService {
    private static final Logger LOG = Logger.getLogger(MigrationService.class);
    static final int MAX_NAME = 200;

    static final String GUARD_APPLYING = "APPLYING";
    static final String GUARD_ACTIVE = "ACTIVE";
    static final String GUARD_LIFTING = "LIFTING";
    static final String GUARD_LIFTING_FOR_CUTOVER = "LIFTING_FOR_CUTOVER";
    static final String GUARD_LIFTED = "LIFTED";

    private final SecretBox box;
    private final OutboxRelay relay;
    private final EndpointKeeper keeper;

    public MigrationService(SecretBox box, OutboxRelay relay, EndpointKeeper keeper) {
        this.box = box;
        this.relay = relay;
        this.keeper = keeper;
    }

    // ---- operator actions ---------------------------------------------------------------------------------------

    public Dtos.MigrationView create(Dtos.CreateMigrationRequest req, String actor) {
        if (req == null) {
            throw ApiException.badRequest("body", "a JSON object with name, source and target is required");
        }
        List<FieldError> errors = new ArrayList<>();
        String name = req.name() == null ? null : req.name().strip();
        if (name == null || name.isEmpty()) {
            errors.add(new FieldError("name", "is required"));
        } else if (name.length() > MAX_NAME) {
            errors.add(new FieldError("name", "must be at most " + MAX_NAME + " characters"));
        } else if (name.chars().anyMatch(Character::isISOControl)) {
            errors.add(new FieldError("name", "must not contain control characters"));
        }
        RedisEndpoint source = endpoint("source", req.source(), errors);
        RedisEndpoint target = endpoint("target", req.target(), errors);
        if (source != null && target != null && source.host().equalsIgnoreCase(target.host()) && source.port() == target.port()) {
            errors.add(new FieldError("target.uri", "is the same server as the source; a migration needs two servers"));
        }
        MigrationOptions options = req.options() == null ? MigrationOptions.DEFAULTS : req.options();
        options.problems().forEach((field, msg) -> errors.add(new FieldError("options." + field, msg)));
        if (!errors.isEmpty()) {
            throw ApiException.badRequest(errors);
        }
        Migration m = QuarkusTransaction.requiringNew().call(() -> {
            Migration n = new Migration();
            n.id = UUID.randomUUID();
            n.name = name;
            n.state = MigrationState.CREATED;
            n.sourceUri = source.masked();
            n.sourceSealed = box.seal(source.toUri());
            n.targetUri = target.masked();
            n.targetSealed = box.seal(target.toUri());
            n.options = Json.write(options.withDefaults());
            n.createdAt = n.updatedAt = Instant.now();
            n.persist();
            audit(n, actor, "create", null, MigrationState.CREATED, "source " + n.sourceUri + ", target " + n.targetUri);
            return n;
        });
        publish();
        LOG.infof("migration %s (%s) created: %s -> %s", m.id, m.name, m.sourceUri, m.targetUri);
        return view(m);
    }

    private static RedisEndpoint endpoint(String field, Dtos.EndpointInput input, List<FieldError> errors) {
        if (input == null) {
            errors.add(new FieldError(field, "is required, e.g. {\"uri\": \"redis://user:password@host:6379\"}"));
            return null;
        }
        try {
            return RedisEndpoint.parse(input.uri());
        } catch (InvalidEndpointException e) {
            errors.add(new FieldError(field + ".uri", e.getMessage()));
            return null;
        }
    }

    public Dtos.MigrationView get(String id) {
        return QuarkusTransaction.joiningExisting().call(() -> view(find(id)));
    }

    public List<Dtos.MigrationView> list() {
        return QuarkusTransaction.joiningExisting().call(() ->
                Migration.<Migration>list("order by createdAt desc").stream().map(this::view).toList());
    }

    public List<Dtos.AuditView> audit(String id) {
        return QuarkusTransaction.joiningExisting().call(() -> AuditEntry.forMigration(find(id).id).stream()
                .map(a -> new Dtos.AuditView(a.eventId.toString(), a.time, a.type, a.actor, a.action, a.fromState, a.toState, a.detail))
                .toList());
    }

    public Dtos.MigrationView act(String id, Action action, Object body, String actor) {
        Migration m = retryingConflicts(() -> QuarkusTransaction.requiringNew().call(() -> {
            Migration x = find(id);
            if (!x.allowedActionNames().contains(action.path())) {
                throw ApiException.conflict("cannot " + action.path() + " a migration in state " + x.state
                        + (x.cuttingOver() ? " during its cutover" : ""), x.state.name(), x.allowedActionNames());
            }
            MigrationState from = x.state;
            switch (action) {
                case validate, restart -> {
                    x.run++;
                    x.validation = null;
                    x.error = null;
                    x.keysTotal = null;
                    x.batchesTotal = null;
                    x.keysCopied = x.keysFailed = x.keysDeleted = x.bytesCopied = x.batchesDone = x.keysStructural = 0;
                    x.copyStartedAt = x.copyFinishedAt = x.endedAt = x.validatedAt = x.captureStartedAt = null;
                    x.changesCaptured = x.changesApplied = 0;
                    x.lagMillis = null;
                    x.cutoverState = x.cutoverDetail = null;
                    x.cutoverCaptured = x.cutoverPauseMillis = null;
                    x.reconcilePass = 0;
                    x.reconciling = false;
                    x.reconcileBatchesTotal = null;
                    x.reconcileBatchesDone = 0;
                    x.lastReportAt = null;
                    x.copyLive = null;
                    x.captureId = x.captureWorker = x.captureGap = null;
                    x.captureHeardAt = x.captureTakeoverAt = x.captureAskedAt = null;
                    x.captureAsks = 0;
                    x.captureTakeovers = 0;
                    x.captureApplied = 0;
                    x.rateApplied = null;
                    x.stalledSince = x.rateAt = null;
                    x.stalled = x.applyError = null;
                    x.applyRate = null;
                    transition(x, MigrationState.VALIDATING, actor, action.path(), null);
                    phase(x, EventTypes.PHASE_VALIDATE);
                }
                case start -> {
                    boolean ack = body instanceof Dtos.StartRequest s && Boolean.TRUE.equals(s.acknowledgeWarnings());
                    long warnings = checks(x).stream().filter(c -> c.severity() == Severity.WARNING).count();
                    if (warnings > 0 && !ack) {
                        throw ApiException.conflict("validation left " + warnings
                                + " warning(s); read them and send {\"acknowledgeWarnings\": true} to start anyway", x.state.name(),
                                x.state.allowedActionNames());
                    }
                    x.copyStartedAt = Instant.now();
                    transition(x, MigrationState.COPYING, actor, action.path(),
                            warnings > 0 ? warnings + " warning(s) acknowledged" : null);
                    if (Boolean.TRUE.equals(options(x).guardTarget())) {
                        // the keeper guards the target first, then asks for the capture (guardApplied)
                        x.guardStatus = GUARD_APPLYING;
                        x.guardDetail = null;
                    } else {
                        // capture first: the copy starts when the replicator reports capture ready
                        phase(x, EventTypes.PHASE_CAPTURE);
                    }
                }
                case stop -> {
                    x.endedAt = Instant.now();
                    if (x.cutoverState != null) {
                        x.cutoverState = null;
                        x.cutoverDetail = "cutover abandoned by stop; the write pause is lifted";
                    }
                    transition(x, MigrationState.STOPPED, actor, action.path(), "data already copied stays on the target");
                    phase(x, EventTypes.PHASE_STOP);
                }
                case complete -> {
                    boolean cutover = body instanceof Dtos.CompleteRequest c && Boolean.TRUE.equals(c.cutover());
                    if (cutover) {
                        // stays REPLICATING until every change captured before the write pause is applied
                        x.cutoverState = "PAUSING";
                        touch(x);
                        audit(x, actor, "cutover-requested", null, null, "pausing writes on the source, then draining");
                        phase(x, EventTypes.PHASE_CUTOVER);
                    } else {
                        x.endedAt = Instant.now();
                        transition(x, MigrationState.COMPLETED, actor, action.path(), "cutover=false");
                        phase(x, EventTypes.PHASE_COMPLETE);
                    }
                }
                case keepReplicating -> {
                    touch(x);
                    audit(x, actor, action.path(), null, null, "replication continues until stop or complete");
                }
            }
            LOG.infof("migration %s: %s by %s, %s -> %s", x.id, action.path(), actor, from, x.state);
            return x;
        }));
        publish();
        if (keeper.settle(m.id)) {
            return get(m.id.toString());
        }
        return view(m);
    }

    /**
     * Runs a transaction again when it lost an optimistic-lock race (a worker's status event updated the same migration
     * at the same moment); the action is then decided on the fresh state.
     */
    static <T> T retryingConflicts(java.util.function.Supplier<T> tx) {
        for (int attempt = 1; ; attempt++) {
            try {
                return tx.get();
            } catch (RuntimeException e) {
                if (attempt >= 5 || !isConflict(e)) {
                    throw e;
                }
                LOG.debugf("concurrent update, attempt %d: retrying", attempt);
            }
        }
    }

    public static boolean isConflict(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof jakarta.persistence.OptimisticLockException || t instanceof org.hibernate.StaleStateException) {
                return true;
            }
        }
        return false;
    }

    // ---- status events from the workers --------------------------------------------------------------------------

    /** Applies one status event at most once (by its id); stale runs and events for ended migrations are dropped. */
    public void applyStatus(StatusEvent e) {
        UUID id = parseId(e.migrationId());
        if (id == null || e.id() == null) {
            LOG.warnf("dropping status event without a valid migration id or event id (type %s)", e.type());
            return;
        }
        boolean heartbeat = EventTypes.STATUS_HEARTBEAT.equals(e.type()) || EventTypes.STATUS_COPY_PROGRESS.equals(e.type());
        // most reports (a batch done, replication counters) change counters only: no outbox row to relay, nothing for the keeper
        boolean[] effects = {false, false};
        QuarkusTransaction.requiringNew().run(() -> {
            effects[0] = effects[1] = false;
            if (heartbeat) {
                // liveness, and live progress that replaces the worker's previous report: no id is kept
                Migration m = Migration.findById(id);
                if (m != null && m.run == e.run() && m.state.active()) {
                    m.lastReportAt = Instant.now();
                    if (e.progress() != null && m.state == MigrationState.COPYING && e.worker() != null) {
                        java.util.Map<String, StatusEvent.Progress> live = liveProgress(m);
                        live.put(e.worker(), e.progress());
                        m.copyLive = Json.write(live);
                    }
                }
                return;
            }
            if (ProcessedEvent.findById(e.id()) != null) {
                LOG.debugf("status event %s already applied", e.id());
                return;
            }
            ProcessedEvent p = new ProcessedEvent();
            p.eventId = e.id();
            p.migrationId = id;
            p.processedAt = Instant.now();
            p.persist();
            Migration m = Migration.findById(id);
            if (m != null && EventTypes.STATUS_CAPTURE_READY.equals(e.type()) && (m.run != e.run()
                    || m.state != MigrationState.COPYING && m.state != MigrationState.REPLICATING)) {
                stopStrayCapture(m, e);
                effects[0] = true;
                return;
            }
            if (m == null || m.run != e.run()) {
                LOG.debugf("status event %s is for an unknown migration or an earlier run; ignored", e.id());
                return;
            }
            m.lastReportAt = Instant.now();
            MigrationState before = m.state;
            String guardBefore = m.guardStatus;
            WROTE_OUTBOX.set(false);
            apply(m, e);
            effects[0] = WROTE_OUTBOX.get();
            effects[1] = m.state != before || !java.util.Objects.equals(guardBefore, m.guardStatus);
        });
        if (effects[0]) {
            publish();
        }
        if (effects[1]) {
            keeper.settle(id);
        }
    }

    /** Set when the current transaction wrote an outbox row, so callers relay only then. */
    private static final ThreadLocal<Boolean> WROTE_OUTBOX = ThreadLocal.withInitial(() -> false);

    /**
     * Fails every migration in VALIDATING, COPYING or REPLICATING whose workers have not reported for {@code timeout}. Nothing is
     * failed during the first {@code timeout} after {@code since} (this orchestrator's start), so reports that piled
     * up in Kafka while it was down are read first.
     */
    public int failSilent(Duration timeout, Instant since) {
        Instant cutoff = Instant.now().minus(timeout);
        if (since.isAfter(cutoff)) {
            return 0;
        }
        List<UUID> silent = QuarkusTransaction.requiringNew().call(() -> Migration.<Migration>list("state in ?1",
                        List.of(MigrationState.VALIDATING, MigrationState.COPYING, MigrationState.REPLICATING)).stream()
                .filter(m -> lastHeard(m).isBefore(cutoff)).map(m -> m.id).toList());
        return eachInItsTransaction(silent, m -> {
            if (!m.state.active() || !lastHeard(m).isBefore(cutoff)) {
                return false;
            }
            String workers = switch (m.state) {
                case VALIDATING -> "validator";
                case COPYING -> m.captureStartedAt == null ? "replicator (change capture)" : "copier";
                default -> m.reconciling ? "copier (reconciliation) or replicator" : "replicator";
            };
            fail(m, "orchestrator", "no report from the " + workers + " for " + timeout.toSeconds()
                    + " s: check that the " + workers + " service runs and reaches Kafka, then restart the migration");
            return true;
        });
    }

    /**
     * Runs {@code step} for each migration in a transaction of its own (skipping ones gone meanwhile); when any step
     * returns true, relays the outbox and lets the keeper settle those migrations. Returns how many steps returned true.
     */
    private int eachInItsTransaction(List<UUID> ids, java.util.function.Predicate<Migration> step) {
        int acted = 0;
        for (UUID id : ids) {
            // a status event may update the same migration at the same moment: decide again on the fresh state
            if (retryingConflicts(() -> QuarkusTransaction.requiringNew().call(() -> {
                Migration m = Migration.findById(id);
                return m != null && step.test(m);
            }))) {
                acted++;
            }
        }
        if (acted > 0) {
            publish();
            ids.forEach(keeper::settle);
        }
        return acted;
    }

    private static Instant lastHeard(Migration m) {
        return m.lastReportAt != null && m.lastReportAt.isAfter(m.updatedAt) ? m.lastReportAt : m.updatedAt;
    }

    private void apply(Migration m, StatusEvent e) {
        String actor = e.worker() == null ? "worker" : e.worker();
        switch (e.type()) {
            case EventTypes.STATUS_VALIDATION -> {
                if (m.state != MigrationState.VALIDATING) {
                    return;
                }
                List<ValidationCheck> checks = e.checks() == null ? List.of() : e.checks();
                m.validation = Json.write(checks);
                m.validatedAt = Instant.now();
                long errors = checks.stream().filter(c -> c.severity() == Severity.ERROR).count();
                long warnings = checks.stream().filter(c -> c.severity() == Severity.WARNING).count();
                transition(m, errors > 0 ? MigrationState.VALIDATION_FAILED : MigrationState.VALIDATED, actor, "validation-report",
                        errors + " error(s), " + warnings + " warning(s)");
            }
            case EventTypes.STATUS_CAPTURE_READY -> {
                String capture = e.capture() == null ? null : e.capture().capture();
                if (m.captureStartedAt != null) {
                    if (m.state != MigrationState.COPYING && m.state != MigrationState.REPLICATING) {
                        return;
                    }
                    if (capture != null && !capture.equals(m.captureId)) {
                        // another capture of this run: a takeover, or the capture command delivered again to another instance
                        captureTakenOver(m, e.worker(), capture);
                    } else if (m.captureTakeoverAt != null) {
                        m.captureTakeoverAt = null;
                        m.captureHeardAt = Instant.now();
                        touch(m);
                        audit(m, actor, "capture-alive", null, null, "the capture on " + e.worker()
                                + " answered the takeover request itself and goes on");
                    }
                    return;
                }
                if (m.state != MigrationState.COPYING) {
                    return;
                }
                m.captureStartedAt = Instant.now();
                m.captureId = capture;
                m.captureWorker = e.worker();
                m.captureHeardAt = m.captureStartedAt;
                if (e.capture() != null && e.capture().previousNotify() != null && m.sourceNotifyPrevious == null) {
                    // kept until restored: a value an earlier run could not restore yet is the one to give back
                    m.sourceNotifyPrevious = e.capture().previousNotify();
                }
                touch(m);
                audit(m, actor, "capture-ready", null, null, e.capture() != null && e.capture().previousNotify() != null
                        ? "notify-keyspace-events set on the source (was '" + e.capture().previousNotify() + "')"
                        : "keyspace notifications already enabled on the source");
                phase(m, EventTypes.PHASE_COPY);
            }
            case EventTypes.STATUS_CAPTURE_RELEASED -> {
                String capture = e.capture() == null ? null : e.capture().capture();
                boolean live = m.state == MigrationState.COPYING || m.state == MigrationState.REPLICATING;
                if (!live || m.captureStartedAt == null || capture == null || !capture.equals(m.captureId)) {
                    return; // an old capture, or one already taken over
                }
                if (m.cuttingOver()) {
                    fail(m, actor, "the capture ended during the cutover (" + e.error() + "); restart the migration");
                } else if (m.captureTakeoverAt == null) {
                    askTakeover(m, actor, "capture-released", e.error() + "; asking another replicator to take the capture over");
                }
            }
            case EventTypes.STATUS_REPLICATION -> {
                if ((m.state != MigrationState.COPYING && m.state != MigrationState.REPLICATING) || e.replication() == null) {
                    return;
                }
                var r = e.replication();
                boolean current = java.util.Objects.equals(r.capture(), m.captureId); // not a capture that was taken over
                if (r.captured() != null && current) {
                    m.changesCaptured = Math.max(m.changesCaptured, r.captured());
                    m.captureHeardAt = Instant.now(); // from the capturing replicator (only a capture reports captured totals)
                }
                m.changesApplied += r.applied();
                if (current) {
                    m.captureApplied += r.applied();
                }
                if (r.applied() > 0) {
                    m.applyError = null;
                    StallWatch.sampleRate(m, Instant.now());
                } else if (r.error() != null) {
                    m.applyError = r.error();
                }
                if (r.lagMillis() != null) {
                    m.lagMillis = r.lagMillis();
                }
                checkDrained(m, actor);
            }
            case EventTypes.STATUS_CUTOVER_PAUSED -> {
                // only the current capture's count is drained on (a replicator that was taken over may still pause too)
                boolean currentCapture = m.captureWorker == null || m.captureWorker.equals(e.worker());
                if (m.cuttingOver() && e.cutover() != null && "PAUSING".equals(m.cutoverState) && currentCapture) {
                    m.cutoverState = "DRAINING";
                    m.cutoverCaptured = e.cutover().captured();
                    touch(m);
                    audit(m, actor, "cutover-paused", null, null, "writes paused on the source; " + e.cutover().captured()
                            + " captured change(s) to apply");
                    checkDrained(m, actor);
                }
            }
            case EventTypes.STATUS_CUTOVER_ABORTED -> {
                if (m.cuttingOver() && e.cutover() != null) {
                    m.cutoverState = null;
                    m.cutoverDetail = e.cutover().detail();
                    touch(m);
                    audit(m, actor, "cutover-aborted", null, null, e.cutover().detail());
                }
            }
            case EventTypes.STATUS_CUTOVER_DONE -> {
                if (e.cutover() != null && "VERIFYING".equals(m.cutoverState)) {
                    m.cutoverState = Boolean.TRUE.equals(e.cutover().verified()) ? "DONE" : "MISMATCH";
                    m.cutoverPauseMillis = e.cutover().pauseMillis();
                    m.cutoverDetail = e.cutover().detail();
                    touch(m);
                    audit(m, actor, "cutover-done", null, null, e.cutover().detail());
                }
            }
            case EventTypes.STATUS_SCAN_STARTED -> {
                if (m.state == MigrationState.COPYING && m.batchesTotal == null && e.scan() != null) {
                    m.keysTotal = e.scan().keys();
                    touch(m);
                }
            }
            case EventTypes.STATUS_RECONCILE_NEEDED -> {
                if (m.state == MigrationState.REPLICATING && !m.cuttingOver()) {
                    reconcile(m, actor, e.error());
                } else if (m.state == MigrationState.COPYING) {
                    // the changes wait in Kafka until the copy is done; the gap is reconciled right after it
                    if (m.captureGap == null) {
                        m.captureGap = e.error();
                        touch(m);
                        audit(m, actor, "capture-gap", null, null, e.error() + "; reconciled when the copy is done");
                    }
                } else if (m.state.active()) {
                    fail(m, actor, e.error() + " (during " + (m.cuttingOver() ? "the cutover" : m.state.name()) + ")");
                }
            }
            case EventTypes.STATUS_SCAN_COMPLETED -> {
                if (e.scan() != null && e.scan().pass() != null) {
                    if (m.reconciling && e.scan().pass() == m.reconcilePass) {
                        m.reconcileBatchesTotal = e.scan().batches();
                        touch(m);
                        checkReconciled(m, actor);
                    }
                    return;
                }
                if (m.state != MigrationState.COPYING || e.scan() == null) {
                    return;
                }
                m.batchesTotal = e.scan().batches();
                m.keysTotal = e.scan().keys();
                touch(m);
                checkCopyDone(m, actor);
            }
            case EventTypes.STATUS_BATCH_DONE -> {
                if (e.batch() != null && e.batch().pass() != null) {
                    if (m.reconciling && e.batch().pass() == m.reconcilePass) {
                        m.reconcileBatchesDone++;
                        if (e.batch().failed() > 0) {
                            audit(m, actor, "key-errors", null, null, e.batch().failed() + " key(s) failed in reconciliation batch "
                                    + e.batch().batchId());
                        }
                        checkReconciled(m, actor);
                    }
                    return;
                }
                if (m.state != MigrationState.COPYING || e.batch() == null) {
                    return;
                }
                var b = e.batch();
                m.batchesDone++;
                m.keysCopied += b.keys() - b.failed();
                m.keysFailed += b.failed();
                m.keysDeleted += b.deleted();
                m.bytesCopied += b.bytes();
                m.keysStructural += b.structural();
                touch(m);
                if (b.failed() > 0) {
                    MigrationOptions o = options(m);
                    var first = b.failures() == null || b.failures().isEmpty() ? null : b.failures().get(0);
                    String what = b.failed() + " key(s) failed in batch " + b.batchId()
                            + (first == null ? "" : ", e.g. db " + first.db() + " key '" + first.key() + "': " + first.reason());
                    audit(m, actor, "key-errors", null, null, what);
                    if ("fail".equals(o.onKeyError())) {
                        fail(m, actor, what + " (options.onKeyError=fail)");
                        return;
                    }
                }
                checkCopyDone(m, actor);
            }
            case EventTypes.STATUS_FAILED -> {
                if (m.state.active()) {
                    fail(m, actor, e.error());
                }
            }
            default -> LOG.debugf("status event type %s not handled", e.type());
        }
    }

    /** Starts reconciliation pass N+1: the copier rescans source and target while the appliers hold changes. */
    private void reconcile(Migration m, String actor, String reason) {
        m.reconcilePass++;
        m.reconciling = true;
        m.reconcileBatchesTotal = null;
        m.reconcileBatchesDone = 0;
        touch(m);
        audit(m, actor, "reconcile", null, null, "pass " + m.reconcilePass + ": " + reason
                + "; rescanning source and target, changes are held until it is done");
        phase(m, EventTypes.PHASE_RECONCILE);
    }

    /** When every batch of the current reconciliation pass is done, the held changes are released. */
    private void checkReconciled(Migration m, String actor) {
        if (m.reconciling && m.reconcileBatchesTotal != null && m.reconcileBatchesDone >= m.reconcileBatchesTotal) {
            m.reconciling = false;
            touch(m);
            audit(m, actor, "reconciled", null, null, "pass " + m.reconcilePass + ": " + m.reconcileBatchesDone
                    + " batch(es) of source and target keys re-synced; replication goes on");
            phase(m, EventTypes.PHASE_REPLICATE);
        }
    }

    /** During a cutover: once every change captured before the pause is applied, the migration is COMPLETED. */
    private void checkDrained(Migration m, String actor) {
        if (m.cuttingOver() && "DRAINING".equals(m.cutoverState) && m.cutoverCaptured != null && m.captureApplied >= m.cutoverCaptured) {
            m.cutoverState = "VERIFYING";
            m.endedAt = Instant.now();
            transition(m, MigrationState.COMPLETED, actor, "complete", "cutover: all " + m.cutoverCaptured
                    + " captured change(s) applied; " + (GUARD_ACTIVE.equals(m.guardStatus) ? "lifting the target write guard, then " : "")
                    + "lifting the write pause");
            if (GUARD_ACTIVE.equals(m.guardStatus)) {
                // the keeper lifts the guard first, then sends the complete that ends the pause (guardLifted)
                m.guardStatus = GUARD_LIFTING_FOR_CUTOVER;
            } else {
                phase(m, EventTypes.PHASE_COMPLETE);
            }
        }
    }

    private void checkCopyDone(Migration m, String actor) {
        if (m.batchesTotal != null && m.batchesDone >= m.batchesTotal) {
            m.copyFinishedAt = Instant.now();
            transition(m, MigrationState.REPLICATING, actor, "copy-done",
                    m.keysCopied + " key(s) copied (" + m.keysStructural + " by type), " + m.keysFailed + " failed, " + m.bytesCopied + " bytes in "
                            + Duration.between(m.copyStartedAt, m.copyFinishedAt).toMillis() + " ms");
            if (m.captureGap != null) {
                // the capture had a gap during the copy: the changes stay held until source and target are rescanned
                String gap = m.captureGap;
                m.captureGap = null;
                reconcile(m, actor, gap);
            } else {
                phase(m, EventTypes.PHASE_REPLICATE);
            }
        }
    }

    /**
     * Another replicator captures the run now. Changes made between the old capture's last report and this one may not
     * have been captured: a reconciliation follows (right away while replicating, after the copy while copying).
     */
    private void captureTakenOver(Migration m, String worker, String capture) {
        String reason = "change capture taken over by " + worker + " from " + m.captureWorker
                + "; changes made in between may not have been captured";
        m.captureId = capture;
        m.captureWorker = worker;
        m.captureHeardAt = Instant.now();
        m.captureTakeoverAt = null;
        m.captureTakeovers++;
        m.changesCaptured = 0; // the new capture's changes and their applies are counted from zero
        m.captureApplied = 0;
        touch(m);
        audit(m, "orchestrator", "capture-taken-over", null, null, reason);
        if (m.cuttingOver()) {
            fail(m, "orchestrator", reason + " (during the cutover); restart the migration");
        } else if (m.state == MigrationState.REPLICATING) {
            reconcile(m, "orchestrator", reason);
        } else {
            m.captureGap = reason; // COPYING: reconciled when the copy is done
        }
    }

    /**
     * Looks for live migrations whose capturing replicator has not reported for {@code timeout} and asks another
     * replicator to take the capture over (the capture command again, for the consumer group's live members); one whose
     * takeover got no answer within {@code giveUp} fails with the reason. Nothing happens during the first
     * {@code timeout} after {@code since} (this orchestrator's start), so reports queued in Kafka are read first.
     * Returns the number of migrations acted on.
     */
    public int takeOverSilentCaptures(Duration timeout, Duration giveUp, Instant since) {
        Instant now = Instant.now();
        if (since.isAfter(now.minus(timeout))) {
            return 0;
        }
        List<UUID> candidates = QuarkusTransaction.requiringNew().call(() -> Migration.<Migration>list(
                        "state in ?1 and captureStartedAt is not null", List.of(MigrationState.COPYING, MigrationState.REPLICATING))
                .stream().filter(m -> captureSilent(m, now, timeout, giveUp)).map(m -> m.id).toList());
        return eachInItsTransaction(candidates, m -> {
            if (m.captureStartedAt == null || !captureSilent(m, Instant.now(), timeout, giveUp)) {
                return false;
            }
            Instant heard = m.captureHeardAt != null ? m.captureHeardAt : m.captureStartedAt;
            if (m.captureTakeoverAt == null) {
                askTakeover(m, "orchestrator", "capture-silent", "no report from " + m.captureWorker + ", which captures this "
                        + "migration's changes, for " + timeout.toSeconds() + " s; asking another replicator to take the capture over");
            } else if (m.captureTakeoverAt.isBefore(Instant.now().minus(giveUp)) && heard.isBefore(Instant.now().minus(giveUp))) {
                fail(m, "orchestrator", "change capture lost: " + m.captureWorker + " stopped capturing and no other replicator "
                        + "took the capture over within " + giveUp.toSeconds() + " s; start a replicator and restart the migration");
            } else {
                // asked, no answer yet (the command may have reached an instance on its way out): ask again
                m.captureAsks++;
                m.captureAskedAt = Instant.now();
                phase(m, EventTypes.PHASE_CAPTURE, ":takeover:" + m.captureAsks);
            }
            return true;
        });
    }

    /** Something to do about the capture: silent for {@code timeout}, or a takeover asked for and not answered. */
    private static boolean captureSilent(Migration m, Instant now, Duration timeout, Duration giveUp) {
        if (m.cuttingOver()) {
            return false; // the cutover has its own bound (the write pause is aborted after its maximum)
        }
        Instant heard = m.captureHeardAt != null ? m.captureHeardAt : m.captureStartedAt;
        if (m.captureTakeoverAt != null) {
            // pending: ask again every timeout; give up when neither a new capture nor any capture report came for giveUp
            return m.captureAskedAt.isBefore(now.minus(timeout))
                    || m.captureTakeoverAt.isBefore(now.minus(giveUp)) && heard.isBefore(now.minus(giveUp));
        }
        return heard.isBefore(now.minus(timeout));
    }

    /**
     * A capture started for a run that has ended (Kafka delivered its capture command again after a replicator died):
     * it is told to stop, which also gives the source its notify-keyspace-events back.
     */
    private static void stopStrayCapture(Migration m, StatusEvent e) {
        String capture = e.capture() == null || e.capture().capture() == null ? e.id() : e.capture().capture();
        PhaseEvent stop = new PhaseEvent(m.id + ":" + e.run() + ":" + EventTypes.PHASE_STOP + ":stray:" + capture, EventTypes.PHASE_STOP,
                m.id.toString(), e.run(), Instant.now(), new EndpointRef(m.sourceUri, m.sourceSealed),
                new EndpointRef(m.targetUri, m.targetSealed), options(m), null);
        outbox(Topics.PHASES, m, stop.id(), EventTypes.PHASE_STOP, stop);
        audit(m, "orchestrator", "capture-stopped", null, null, "a capture of run " + e.run() + " started on " + e.worker()
                + " after that run had ended (its capture command was delivered again); told to stop");
        LOG.warnf("migration %s: stray capture of run %d on %s told to stop", m.id, e.run(), e.worker());
    }

    /** Sends the run's capture command again, for whichever live replicator the consumer group gives it to. */
    private static void askTakeover(Migration m, String actor, String action, String detail) {
        m.captureTakeoverAt = m.captureAskedAt = Instant.now();
        m.captureAsks++;
        touch(m);
        audit(m, actor, action, null, null, detail);
        phase(m, EventTypes.PHASE_CAPTURE, ":takeover:" + m.captureAsks);
    }

    private void fail(Migration m, String actor, String reason) {
        m.error = reason;
        m.endedAt = Instant.now();
        transition(m, MigrationState.FAILED, actor, "failure", reason);
        phase(m, EventTypes.PHASE_STOP);
    }

    // ---- the keeper's steps (target write guard, source settings, drift), each one transaction -----------------------

    /** What the keeper needs of a migration, read in one transaction. */
    record KeeperView(UUID id, int run, MigrationState state, String guardStatus, String guardSealed, String sourceSealed,
                      String targetSealed, String notifyPrevious, boolean reconciling, boolean cuttingOver, long captured,
                      long applied, MigrationOptions options) {
        boolean live() {
            return state == MigrationState.COPYING || state == MigrationState.REPLICATING;
        }

        boolean guardUp() {
            return guardStatus != null && List.of(GUARD_APPLYING, GUARD_ACTIVE, GUARD_LIFTING, GUARD_LIFTING_FOR_CUTOVER).contains(guardStatus);
        }
    }

    KeeperView keeperView(UUID id) {
        return QuarkusTransaction.requiringNew().call(() -> {
            Migration m = Migration.findById(id);
            return m == null ? null : new KeeperView(m.id, m.run, m.state, m.guardStatus, m.guardSealed, m.sourceSealed, m.targetSealed,
                    m.sourceNotifyPrevious, m.reconciling, m.cuttingOver(), m.changesCaptured, m.captureApplied, options(m));
        });
    }

    /** Migrations whose guard or source setting needs the keeper: a guard to apply or lift, a notify setting to restore. */
    List<UUID> needingKeeper() {
        return QuarkusTransaction.requiringNew().call(() -> Migration.<Migration>list(
                        "guardStatus in ?1 or sourceNotifyPrevious is not null",
                        List.of(GUARD_APPLYING, GUARD_ACTIVE, GUARD_LIFTING, GUARD_LIFTING_FOR_CUTOVER)).stream()
                .filter(m -> {
                    boolean live = m.state == MigrationState.COPYING || m.state == MigrationState.REPLICATING;
                    boolean guardUp = m.guardStatus != null && !GUARD_LIFTED.equals(m.guardStatus);
                    return (guardUp && (!live || !GUARD_ACTIVE.equals(m.guardStatus))) || (!live && m.sourceNotifyPrevious != null);
                })
                .map(m -> m.id).toList());
    }

    /** REPLICATING migrations with nothing in flight, no reconciliation and no cutover: candidates for the drift check. */
    List<UUID> quietReplicating() {
        return QuarkusTransaction.requiringNew().call(() -> Migration.<Migration>list("state = ?1", MigrationState.REPLICATING).stream()
                .filter(m -> !m.reconciling && m.cutoverState == null && m.captureApplied >= m.changesCaptured)
                .map(m -> m.id).toList());
    }

    /**
     * Records what the guard will change, before it changes anything; returns the state to apply, which is the one
     * recorded first when two keepers race.
     */
    String guardPrepared(UUID id, String sealedState, String guardTargetUri, String guardTargetSealed) {
        return QuarkusTransaction.requiringNew().call(() -> {
            Migration m = Migration.findById(id);
            if (m.guardSealed == null) {
                m.guardSealed = sealedState;
                m.guardTargetUri = guardTargetUri;
                m.guardTargetSealed = guardTargetSealed;
            }
            return m.guardSealed;
        });
    }

    /** The guard is on: the capture may begin (with the workers writing as the migration's user). */
    void guardApplied(UUID id, String detail) {
        boolean changed = QuarkusTransaction.requiringNew().call(() -> {
            Migration m = Migration.findById(id);
            if (m.state != MigrationState.COPYING || !GUARD_APPLYING.equals(m.guardStatus)) {
                return false;
            }
            m.guardStatus = GUARD_ACTIVE;
            m.guardDetail = detail;
            touch(m);
            audit(m, "orchestrator", "guard-applied", null, null, detail);
            phase(m, EventTypes.PHASE_CAPTURE);
            return true;
        });
        if (changed) {
            publish();
        }
    }

    /** The guard could not be applied: the migration fails with the reason (the keeper then undoes what was changed). */
    void guardFailed(UUID id, String reason) {
        boolean changed = QuarkusTransaction.requiringNew().call(() -> {
            Migration m = Migration.findById(id);
            if (!m.state.active() || !GUARD_APPLYING.equals(m.guardStatus)) {
                return false;
            }
            m.guardDetail = reason;
            fail(m, "orchestrator", reason);
            return true;
        });
        if (changed) {
            publish();
        }
    }

    /** The guard is lifted (or there was nothing to lift); a cutover waiting for it now ends the write pause. */
    void guardLifted(UUID id, String detail) {
        QuarkusTransaction.requiringNew().run(() -> {
            Migration m = Migration.findById(id);
            if (GUARD_LIFTING_FOR_CUTOVER.equals(m.guardStatus) && "VERIFYING".equals(m.cutoverState)) {
                phase(m, EventTypes.PHASE_COMPLETE);
            }
            m.guardStatus = GUARD_LIFTED;
            m.guardSealed = null;
            m.guardTargetSealed = null;
            m.guardDetail = detail;
            touch(m);
            audit(m, "orchestrator", "guard-lifted", null, null, detail);
        });
        publish();
    }

    /** Lifting failed (target unreachable?): a waiting cutover goes on anyway, and the keeper tries again. */
    void guardLiftFailed(UUID id, String reason) {
        QuarkusTransaction.requiringNew().run(() -> {
            Migration m = Migration.findById(id);
            boolean cutover = GUARD_LIFTING_FOR_CUTOVER.equals(m.guardStatus);
            if (cutover && "VERIFYING".equals(m.cutoverState)) {
                phase(m, EventTypes.PHASE_COMPLETE);
            }
            if (cutover || !reason.equals(m.guardDetail)) {
                m.guardStatus = GUARD_LIFTING;
                m.guardDetail = reason;
                touch(m);
                audit(m, "orchestrator", "guard-lift-failed", null, null, reason + "; trying again");
            }
        });
        publish();
    }

    /** The source's notify-keyspace-events is back to what it was before the migration. */
    void notifyRestored(UUID id, String value) {
        QuarkusTransaction.requiringNew().run(() -> {
            Migration m = Migration.findById(id);
            if (value.equals(m.sourceNotifyPrevious)) {
                m.sourceNotifyPrevious = null;
                audit(m, "orchestrator", "source-restored", null, null, "notify-keyspace-events set back to '" + value + "' on the source");
            }
        });
        publish();
    }

    /** Per-database key counts differ while nothing was in flight: reconcile, like a lost change. */
    void driftDetected(UUID id, int run, String detail) {
        boolean changed = QuarkusTransaction.requiringNew().call(() -> {
            Migration m = Migration.findById(id);
            if (m.run != run || m.state != MigrationState.REPLICATING || m.cuttingOver() || m.reconciling) {
                return false;
            }
            reconcile(m, "orchestrator", "DBSIZE drift (" + detail + ")");
            return true;
        });
        if (changed) {
            publish();
        }
    }

    // ---- helpers ---------------------------------------------------------------------------------------------------

    private void transition(Migration m, MigrationState to, String actor, String action, String detail) {
        MigrationState from = m.state;
        m.state = to;
        touch(m);
        audit(m, actor, action, from, to, detail);
    }

    private static void touch(Migration m) {
        m.updatedAt = Instant.now();
    }

    private static void audit(Migration m, String actor, String action, MigrationState from, MigrationState to,
                              String detail) {
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
        outbox(Topics.AUDIT, m, a.eventId.toString(), a.type, new AuditEvent(a.eventId.toString(), a.type, m.id.toString(), m.name,
                a.time, actor, action, a.fromState, a.toState, detail)).actor = actor;
    }

    private static void phase(Migration m, String type) {
        phase(m, type, "");
    }

    /** {@code idSuffix} tells a repeated command of the same run apart (a capture takeover). */
    private static void phase(Migration m, String type, String idSuffix) {
        boolean reconcile = EventTypes.PHASE_RECONCILE.equals(type);
        // while the target is guarded, the workers write as the migration's own ACL user
        boolean guarded = GUARD_ACTIVE.equals(m.guardStatus) && m.guardTargetSealed != null
                && (m.state == MigrationState.COPYING || m.state == MigrationState.REPLICATING);
        EndpointRef target = guarded ? new EndpointRef(m.guardTargetUri, m.guardTargetSealed) : new EndpointRef(m.targetUri, m.targetSealed);
        PhaseEvent p = new PhaseEvent(m.id + ":" + m.run + ":" + type + (reconcile ? ":" + m.reconcilePass : "") + idSuffix,
                type, m.id.toString(),
                m.run, Instant.now(), new EndpointRef(m.sourceUri, m.sourceSealed), target, options(m),
                reconcile ? m.reconcilePass : null);
        outbox(Topics.PHASES, m, p.id(), type, p);
    }

    private static OutboxEvent outbox(String topic, Migration m, String eventId, String type, Object payload) {
        OutboxEvent o = new OutboxEvent();
        o.topic = topic;
        o.key = m.id.toString();
        o.eventId = eventId;
        o.type = type;
        o.payload = Json.write(payload);
        o.createdAt = Instant.now();
        o.persist();
        WROTE_OUTBOX.set(true);
        return o;
    }

    private static MigrationOptions options(Migration m) {
        return Json.read(m.options, MigrationOptions.class);
    }

    private static java.util.Map<String, StatusEvent.Progress> liveProgress(Migration m) {
        java.util.Map<String, StatusEvent.Progress> live = new java.util.TreeMap<>();
        if (m.copyLive != null) {
            live.putAll(Json.read(m.copyLive, new com.fasterxml.jackson.core.type.TypeReference<java.util.Map<String, StatusEvent.Progress>>() {
            }));
        }
        return live;
    }

    /** What moves while a copy makes progress: acknowledged batches and keys, and the copiers' live keys and big-key elements. */
    private static long copyMark(Migration m) {
        long live = liveProgress(m).values().stream().mapToLong(p -> p.keys() + p.bigKeyElements() + p.failed()).sum();
        return m.batchesDone + m.keysCopied + m.keysFailed + live;
    }

    /** The sum of the workers' latest live reports, while COPYING. */
    private static Dtos.LiveProgressView live(Migration m) {
        if (m.state != MigrationState.COPYING || m.copyLive == null) {
            return null;
        }
        var all = liveProgress(m).values();
        return new Dtos.LiveProgressView(all.stream().mapToLong(StatusEvent.Progress::keys).sum(),
                all.stream().mapToLong(StatusEvent.Progress::bytes).sum(), all.stream().mapToLong(StatusEvent.Progress::failed).sum(),
                all.stream().mapToLong(StatusEvent.Progress::structural).sum(),
                all.stream().mapToLong(StatusEvent.Progress::bigKeyElements).sum(),
                Math.round(all.stream().mapToDouble(StatusEvent.Progress::keysPerSecond).sum() * 10) / 10.0, all.size());
    }

    private static List<ValidationCheck> checks(Migration m) {
        return m.validation == null ? List.of() : Arrays.asList(Json.read(m.validation, ValidationCheck[].class));
    }

    /** Relays what the committed transaction wrote to the outbox; if Kafka is away, the relay's timer retries. */
    private void publish() {
        try {
            relay.flush();
        } catch (RuntimeException e) {
            LOG.warnf("events stay in the outbox for a retry: %s", e.toString());
        }
    }

    private static Migration find(String id) {
        UUID uuid = parseId(id);
        Migration m = uuid == null ? null : Migration.findById(uuid);
        if (m == null) {
            throw ApiException.notFound(id);
        }
        return m;
    }

    private static UUID parseId(String id) {
        try {
            return id == null ? null : UUID.fromString(id);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private Dtos.MigrationView view(Migration m) {
        List<ValidationCheck> checks = checks(m);
        Double percent = null;
        if (m.batchesTotal != null && m.batchesTotal > 0) {
            percent = Math.min(100.0, 100.0 * m.batchesDone / m.batchesTotal);
        } else if (m.batchesTotal != null) {
            percent = 100.0;
        } else if (m.keysTotal != null && m.keysTotal > 0) {
            percent = Math.min(99.0, 100.0 * (m.keysCopied + m.keysFailed) / m.keysTotal);
        }
        Double kps = null;
        Long eta = null;
        if (m.copyStartedAt != null) {
            Instant end = m.copyFinishedAt != null ? m.copyFinishedAt : Instant.now();
            double secs = Math.max(0.001, Duration.between(m.copyStartedAt, end).toMillis() / 1000.0);
            kps = Math.round(m.keysCopied / secs * 10) / 10.0;
            if (m.copyFinishedAt != null) {
                eta = 0L;
            } else if (m.keysTotal != null && kps > 0) {
                eta = Math.max(0, (long) Math.ceil((m.keysTotal - m.keysCopied - m.keysFailed) / kps));
            }
        }
        return new Dtos.MigrationView(m.id.toString(), m.name, m.state.name(), m.run, new Dtos.EndpointView(m.sourceUri),
                new Dtos.EndpointView(m.targetUri), options(m), m.validation == null ? null : new Dtos.ValidationView(checks),
                new Dtos.ProgressView(m.keysTotal, m.keysCopied, m.keysFailed, m.keysStructural, m.bytesCopied, percent, kps, eta,
                        m.batchesTotal, m.batchesDone, live(m), m.state == MigrationState.COPYING ? m.stalled : null),
                replicationView(m),
                m.cutoverState == null && m.cutoverDetail == null ? null
                        : new Dtos.CutoverView(m.cutoverState, m.cutoverPauseMillis, m.cutoverDetail),
                m.guardStatus == null ? null : new Dtos.GuardView(m.guardStatus, m.guardDetail),
                m.error, m.allowedActionNames(),
                new Dtos.TimestampsView(m.validatedAt, m.copyStartedAt, m.copyFinishedAt, m.endedAt, m.lastReportAt),
                m.createdAt, m.updatedAt);
    }

    private static Dtos.ReplicationView replicationView(Migration m) {
        if (m.captureStartedAt == null) {
            return new Dtos.ReplicationView(null, null, null, false, 0, null, 0, null, null, null, null);
        }
        long pending = Math.max(0, m.changesCaptured - m.captureApplied);
        // the rate of the last window, while it is recent: catch-up progress after a long copy
        boolean recent = m.rateAt != null && m.rateAt.isAfter(Instant.now().minusSeconds(15));
        Double rate = recent && m.applyRate != null ? m.applyRate : (m.state == MigrationState.REPLICATING ? Double.valueOf(0) : null);
        Long eta = pending == 0 ? Long.valueOf(0) : rate != null && rate > 0 ? (long) Math.ceil(pending / rate) : null;
        return new Dtos.ReplicationView(m.lagMillis, pending, m.changesApplied, m.reconciling, m.reconcilePass, m.captureWorker,
                m.captureTakeovers, rate, eta, m.state == MigrationState.REPLICATING ? m.stalled : null, m.applyError);
    }

    /**
     * The stall watch: for each live migration, in its own transaction, marks it stalled, clears the mark, or fails it,
     * as {@link StallWatch#judge} decides. Returns how many live migrations are stalled now.
     */
    public int watchStalls(Map<UUID, StallWatch.Mark> marks, Duration stallAfter, Duration failAfter) {
        List<UUID> live = QuarkusTransaction.requiringNew().call(() -> Migration.<Migration>list("state in ?1",
                List.of(MigrationState.COPYING, MigrationState.REPLICATING)).stream().map(m -> m.id).toList());
        marks.keySet().retainAll(live);
        eachInItsTransaction(live, m -> switch (StallWatch.judge(m, marks, Instant.now(), stallAfter, failAfter, copyMark(m))) {
            case StallWatch.Verdict.Stalled s -> {
                touch(m);
                audit(m, "orchestrator", s.action(), null, null, s.reason());
                LOG.warnf("migration %s: %s", m.id, s.reason());
                yield true;
            }
            case StallWatch.Verdict.Resumed r -> {
                touch(m);
                audit(m, "orchestrator", r.action(), null, null, r.detail());
                yield true;
            }
            case StallWatch.Verdict.Fail f -> {
                fail(m, "orchestrator", f.reason());
                yield true;
            }
            case StallWatch.Verdict.Unchanged u -> false;
        });
        return QuarkusTransaction.requiringNew().call(() -> (int) Migration.count("stalled is not null and state in ?1",
                List.of(MigrationState.COPYING, MigrationState.REPLICATING)));
    }
}

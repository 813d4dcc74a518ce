package io.dfmigrate.orchestrator.service;

import io.dfmigrate.common.endpoint.RedisEndpoint;
import io.dfmigrate.common.event.Json;
import io.dfmigrate.common.event.MigrationOptions;
import io.dfmigrate.common.event.PhaseEvent;
import io.dfmigrate.common.event.Severity;
import io.dfmigrate.common.event.VerifyRequest;
import io.dfmigrate.common.secret.SecretBox;
import io.dfmigrate.orchestrator.config.OrchestratorConfig;
import io.dfmigrate.orchestrator.persistence.CutoverPhase;
import io.dfmigrate.orchestrator.persistence.GuardStatus;
import io.dfmigrate.orchestrator.persistence.Migration;
import io.dfmigrate.orchestrator.persistence.MigrationState.Action;
import io.dfmigrate.orchestrator.persistence.MigrationState;
import io.dfmigrate.orchestrator.persistence.TargetOwnKey;
import io.dfmigrate.orchestrator.persistence.Transition;
import io.dfmigrate.orchestrator.persistence.VerificationDiff;
import io.dfmigrate.orchestrator.service.lifecycle.ValidationHandler;
import io.dfmigrate.orchestrator.service.target.KeeperSteps;
import io.dfmigrate.orchestrator.service.target.TargetOwnKeys;
import io.quarkus.narayana.jta.QuarkusTransaction;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.jboss.logging.Logger;

/**
 * The operator's actions: create (validated field by field), validate, start, stop, complete (with or without
 * cutover), keep replicating, restart. Each is one transaction with the phase commands and audit records it causes.
 */
@ApplicationScoped
public class MigrationActions {
    private static final Logger LOG = Logger.getLogger(MigrationActions.class);
    static final int MAX_NAME = 200;

    private final SecretBox box;
    private final MigrationTx tx;
    private final MigrationQueries queries;
    private final ServerIdentity servers;
    private final TargetOwnKeys ownKeys;
    private final int maxLive;
    private final int ownKeysLimit;
    private final long verifyTtlTolerance;

    public MigrationActions(SecretBox box, MigrationTx tx, MigrationQueries queries, ServerIdentity servers, TargetOwnKeys ownKeys,
                            OrchestratorConfig config) {
        this.box = box;
        this.tx = tx;
        this.queries = queries;
        this.servers = servers;
        this.ownKeys = ownKeys;
        this.maxLive = config.maxLiveMigrations();
        this.ownKeysLimit = config.targetOwnKeysLimit();
        this.verifyTtlTolerance = config.verifyTtlTolerance().toMillis();
    }

    /** Source and target servers of a migration about to start, asked before its transaction (network calls). */
    private record Servers(Optional<ServerIdentity.Server> source, Optional<ServerIdentity.Server> target,
                           TargetOwnKeys.Scanned targetOwn) {
    }

    private record Started(UUID id, String sourceSealed, String targetSealed, boolean overwrite, boolean ownRecorded, boolean startable) {
    }

    private Servers servers(String id) {
        Started m = tx.read(() -> {
            Migration found = MigrationTx.find(id);
            return new Started(found.id, found.sourceSealed, found.targetSealed, Boolean.TRUE.equals(Journal.options(found).overwrite()),
                    found.targetOwnKeys != null, found.allowedActionNames().contains(Action.start.path()));
        });
        Optional<ServerIdentity.Server> target = servers.of(m.targetSealed(), SecretBox.context(m.id(), SecretBox.TARGET));
        // the target's own keys, recorded at the first start only: later the target holds the migration's keys as well
        TargetOwnKeys.Scanned own = null;
        if (m.startable() && m.overwrite() && !m.ownRecorded() && target.isPresent() && target.get().keys(null) > 0) {
            own = ownKeys.scan(m.targetSealed(), m.id(), target.get().keyspace().keySet());
        }
        return new Servers(servers.of(m.sourceSealed(), SecretBox.context(m.id(), SecretBox.SOURCE)), target, own);
    }

    public Dtos.MigrationView create(Dtos.CreateMigrationRequest req, String actor) {
        if (req == null) {
            throw ApiException.badRequest("body", "a JSON object with name, source and target is required");
        }
        List<FieldError> errors = new ArrayList<>();
        String name = name(req.name(), errors);
        RedisEndpoint source = EndpointInputs.endpoint("source", req.source(), errors);
        RedisEndpoint target = EndpointInputs.endpoint("target", req.target(), errors);
        EndpointInputs.sameServer(source, target, errors);
        MigrationOptions options = options(req.options(), errors);
        if (!errors.isEmpty()) {
            throw ApiException.badRequest(errors);
        }
        Journal j = QuarkusTransaction.requiringNew().call(() -> {
            Migration n = new Migration();
            n.id = UUID.randomUUID();
            n.name = name;
            n.state = MigrationState.CREATED;
            n.sourceUri = source.masked();
            n.sourceSealed = box.seal(source.toUri(), SecretBox.context(n.id, SecretBox.SOURCE));
            n.targetUri = target.masked();
            n.targetSealed = box.seal(target.toUri(), SecretBox.context(n.id, SecretBox.TARGET));
            n.options = Json.write(options.withDefaults());
            n.createdAt = n.updatedAt = Instant.now();
            n.persist();
            Journal created = new Journal(n);
            created.created(actor, "source " + n.sourceUri + ", target " + n.targetUri);
            return created;
        });
        tx.after(j);
        Migration m = j.migration();
        LOG.infof("migration %s (%s) created: %s -> %s", m.id, m.name, m.sourceUri, m.targetUri);
        return MigrationViews.view(m);
    }

    /** States in which {@link #edit} may change a migration: nothing of it was copied yet. */
    public static final List<MigrationState> EDITABLE = List.of(MigrationState.CREATED, MigrationState.VALIDATION_FAILED);

    /**
     * {@code PATCH /api/migrations/{id}}: replaces what the body names (name, source, target, options; absent parts stay)
     * while nothing was copied (CREATED, VALIDATION_FAILED; 409 otherwise). The last check's results are dropped, since
     * they describe the old settings: the check is run again with {@code …/validate}.
     */
    public Dtos.MigrationView edit(String id, Dtos.CreateMigrationRequest req, String actor) {
        if (req == null || (req.name() == null && req.source() == null && req.target() == null && req.options() == null)) {
            throw ApiException.badRequest("body", "name what to change: a JSON object with name, source, target or options");
        }
        List<FieldError> errors = new ArrayList<>();
        String name = req.name() == null ? null : name(req.name(), errors);
        RedisEndpoint source = req.source() == null ? null : EndpointInputs.endpoint("source", req.source(), errors);
        RedisEndpoint target = req.target() == null ? null : EndpointInputs.endpoint("target", req.target(), errors);
        MigrationOptions options = req.options() == null ? null : options(req.options(), errors);
        if (!errors.isEmpty()) {
            throw ApiException.badRequest(errors);
        }
        Journal j = MigrationTx.retryingConflicts(() -> QuarkusTransaction.requiringNew().call(() -> {
            Migration m = MigrationTx.find(id);
            if (!EDITABLE.contains(m.state)) {
                throw ApiException.conflict("cannot edit a migration in state " + m.state + ": only before a copy ("
                        + EDITABLE + "); create a new migration instead", m.state.name(), m.allowedActionNames());
            }
            List<FieldError> same = new ArrayList<>();
            EndpointInputs.sameServer(source != null ? source : EndpointInputs.address(m.sourceUri),
                    target != null ? target : EndpointInputs.address(m.targetUri), same);
            if (!same.isEmpty()) {
                throw ApiException.badRequest(same);
            }
            List<String> changed = new ArrayList<>();
            if (name != null && !name.equals(m.name)) {
                changed.add("name '" + m.name + "' → '" + name + "'");
                m.name = name;
            }
            if (source != null) {
                m.sourceUri = source.masked();
                m.sourceSealed = box.seal(source.toUri(), SecretBox.context(m.id, SecretBox.SOURCE));
                changed.add("source " + m.sourceUri);
            }
            if (target != null) {
                m.targetUri = target.masked();
                m.targetSealed = box.seal(target.toUri(), SecretBox.context(m.id, SecretBox.TARGET));
                changed.add("target " + m.targetUri);
                if (m.targetOwnKeys != null) {
                    TargetOwnKey.delete("migrationId", m.id); // another target: its own keys are recorded at the next start
                    m.targetOwnKeys = null;
                }
            }
            if (options != null) {
                m.options = Json.write(options.withDefaults());
                changed.add("options " + m.options);
            }
            m.validation = null;
            m.validatedAt = null;
            Journal journal = new Journal(m);
            journal.audit(actor, "edit", (changed.isEmpty() ? "nothing changed" : String.join(", ", changed))
                    + "; run the check again");
            return journal;
        }));
        tx.after(j);
        LOG.infof("migration %s edited by %s", id, actor);
        return queries.get(id);
    }

    private static String name(String given, List<FieldError> errors) {
        String name = given == null ? null : given.strip();
        if (name == null || name.isEmpty()) {
            errors.add(new FieldError("name", "is required"));
        } else if (name.length() > MAX_NAME) {
            errors.add(new FieldError("name", "must be at most " + MAX_NAME + " characters"));
        } else if (name.chars().anyMatch(Character::isISOControl)) {
            errors.add(new FieldError("name", "must not contain control characters"));
        }
        return name;
    }

    private static MigrationOptions options(MigrationOptions given, List<FieldError> errors) {
        MigrationOptions options = given == null ? MigrationOptions.DEFAULTS : given;
        options.problems().forEach((field, msg) -> errors.add(new FieldError("options." + field, msg)));
        return options;
    }

    /** The most keys a sample verification may pick. */
    static final long MAX_SAMPLE = 100_000_000L;

    /** A verify request checked field by field (400 naming each bad one), defaults filled in. */
    static VerifyRequest verifyRequest(Dtos.VerifyRequest body, int number, long defaultTolerance) {
        Dtos.VerifyRequest b = body == null ? new Dtos.VerifyRequest(null, null, null, null, null) : body;
        List<FieldError> errors = new ArrayList<>();
        String mode = b.mode() == null ? VerifyRequest.FULL : b.mode();
        if (!List.of(VerifyRequest.FULL, VerifyRequest.SAMPLE).contains(mode)) {
            errors.add(new FieldError("mode", "must be 'full' or 'sample'"));
        }
        if (VerifyRequest.SAMPLE.equals(mode) && (b.sample() == null || b.sample() < 1 || b.sample() > MAX_SAMPLE)) {
            errors.add(new FieldError("sample", "must be the number of keys to compare, 1 to " + MAX_SAMPLE + ", with mode 'sample'"));
        } else if (!VerifyRequest.SAMPLE.equals(mode) && b.sample() != null) {
            errors.add(new FieldError("sample", "is only used with mode 'sample'"));
        }
        new MigrationOptions(null, b.dbs(), b.keyPattern(), null, null, null, null, null).problems()
                .forEach((field, msg) -> errors.add(new FieldError(field, msg)));
        long tolerance = b.ttlToleranceMillis() == null ? defaultTolerance : b.ttlToleranceMillis();
        if (tolerance < 0 || tolerance > 86_400_000L) {
            errors.add(new FieldError("ttlToleranceMillis", "must be 0 to 86400000 (a day)"));
        }
        if (!errors.isEmpty()) {
            throw ApiException.badRequest(errors);
        }
        return new VerifyRequest(number, mode, b.sample(), b.dbs() == null ? null : List.copyOf(b.dbs()), b.keyPattern(), tolerance);
    }

    /**
     * Starts verification N+1 (a running one is superseded: its reports are ignored from now on) and forgets the
     * previous one's differences.
     */
    private static void verify(Journal j, Dtos.VerifyRequest body, String actor, long defaultTolerance) {
        Migration m = j.migration();
        VerifyRequest req = verifyRequest(body, m.verification.number + 1, defaultTolerance);
        String superseded = m.verification.running() ? ", superseding verification " + m.verification.number : "";
        VerificationDiff.delete("migrationId", m.id);
        m.verification.begin(Json.write(req), actor);
        j.audit(actor, "verify", "verification " + req.number() + ": " + req.mode() + (req.sampling() ? " of " + req.sample() + " key(s)" : "")
                + (req.dbs() == null ? "" : ", dbs " + req.dbs()) + (req.keyPattern() == null ? "" : ", keys '" + req.keyPattern() + "'")
                + ", TTL tolerance " + req.ttlToleranceMillis() + " ms" + superseded);
        j.verify(req);
    }

    /** Applies {@code action} (409 when the state does not allow it) and returns the migration as it is afterwards. */
    public Dtos.MigrationView act(String id, Action action, Object body, String actor) {
        Servers ids = action == Action.start ? servers(id) : null;
        Journal j = MigrationTx.retryingConflicts(() -> QuarkusTransaction.requiringNew().call(() -> {
            Migration m = MigrationTx.find(id);
            if (!m.allowedActionNames().contains(action.path())) {
                throw ApiException.conflict("cannot " + action.path() + " a migration in state " + m.state
                        + (m.cuttingOver() ? " during its cutover" : ""), m.state.name(), m.allowedActionNames());
            }
            MigrationState from = m.state;
            Journal journal = new Journal(m);
            switch (action) {
                case validate, restart -> {
                    m.newRun();
                    journal.transition(action == Action.validate ? Transition.VALIDATE : Transition.RESTART, actor, null);
                }
                case start -> start(journal, body, actor, maxLive, ownKeysLimit, ids);
                case stop -> {
                    m.endedAt = Instant.now();
                    if (m.cutover.phase != null && m.cutover.phase.abandonable()) {
                        m.cutover.abandon("cutover abandoned by stop; the write pause is lifted");
                    }
                    journal.transition(Transition.STOP, actor, "data already copied stays on the target");
                }
                case complete -> {
                    if (body instanceof Dtos.CompleteRequest c && Boolean.TRUE.equals(c.cutover())) {
                        // stays REPLICATING until every change captured before the write pause is applied
                        m.cutover.moveTo(CutoverPhase.PAUSING);
                        journal.audit(actor, "cutover-requested", "pausing writes on the source, then draining");
                        journal.phase(PhaseEvent.Kind.CUTOVER);
                    } else {
                        m.endedAt = Instant.now();
                        journal.transition(Transition.COMPLETE, actor, "cutover=false");
                    }
                }
                case keepReplicating -> journal.audit(actor, action.path(), "replication continues until stop or complete");
                case verify -> verify(journal, body instanceof Dtos.VerifyRequest v ? v : null, actor, verifyTtlTolerance);
            }
            LOG.infof("migration %s: %s by %s, %s -> %s", m.id, action.path(), actor, from, m.state);
            return journal;
        }));
        tx.after(j);
        return queries.get(id);
    }

    /**
     * At most one live migration per target server, and one capture per source server: two would overwrite each other's
     * keys, and a second capture would double every change. Servers are told apart by run_id, not by their names.
     */
    private static void refuseSharedServers(Migration m, Servers ids) {
        m.sourceServer = ids.source().map(ServerIdentity.Server::runId).orElse(null);
        m.targetServer = ids.target().map(ServerIdentity.Server::runId).orElse(null);
        MigrationOptions options = Journal.options(m);
        long keys = ids.target().map(t -> t.keys(options.dbs())).orElse(0L);
        if (!Boolean.TRUE.equals(options.overwrite()) && keys > 0) {
            // validation found it empty; something wrote to it since: copying over it would silently replace those keys
            throw ApiException.conflict("the target " + m.targetUri + " holds " + keys + " key(s) now (it was empty when validated): "
                    + "empty it and validate again, or create the migration with options.overwrite=true", m.state.name(),
                    m.allowedActionNames());
        }
        List<Migration> live = Migration.list("state in ?1 and id <> ?2", List.of(MigrationState.COPYING, MigrationState.REPLICATING), m.id);
        for (Migration other : live) {
            if (m.targetServer != null && m.targetServer.equals(other.targetServer)) {
                throw ApiException.conflict("the target " + m.targetUri + " is the same server as the target of live migration '"
                        + other.name + "' (" + other.id + "): one migration at a time may write to a server", m.state.name(),
                        m.allowedActionNames());
            }
            if (m.sourceServer != null && m.sourceServer.equals(other.sourceServer)) {
                throw ApiException.conflict("the source " + m.sourceUri + " is the same server as the source of live migration '"
                        + other.name + "' (" + other.id + "), which captures its changes: one capture per server", m.state.name(),
                        m.allowedActionNames());
            }
        }
    }

    /**
     * Deletes an ended migration and with it the credentials it holds; its audit trail stays (and says so). Refused
     * while the migration is active or the keeper still needs the credentials (a guard to lift, a setting to restore).
     */
    public void delete(String id, String actor) {
        Journal j = MigrationTx.retryingConflicts(() -> QuarkusTransaction.requiringNew().call(() -> {
            Migration m = MigrationTx.find(id);
            if (m.state.active()) {
                throw ApiException.conflict("cannot delete a migration in state " + m.state + ": stop it first", m.state.name(),
                        m.allowedActionNames());
            }
            if (m.guard.up() || m.capture.notifyPrevious != null) {
                throw ApiException.conflict("the orchestrator still needs this migration's credentials to "
                        + (m.guard.up() ? "lift the target write guard" : "give the source its notify-keyspace-events back")
                        + "; try again in a moment", m.state.name(), m.allowedActionNames());
            }
            Journal journal = new Journal(m);
            journal.audit(actor, "delete", "migration and its credentials deleted; this audit trail stays");
            m.delete();
            return journal;
        }));
        tx.after(j);
        LOG.infof("migration %s deleted by %s", id, actor);
    }

    private static void start(Journal j, Object body, String actor, int maxLive, int ownKeysLimit, Servers ids) {
        Migration m = j.migration();
        refuseSharedServers(m, ids);
        long live = Migration.count("state in ?1", List.of(MigrationState.COPYING, MigrationState.REPLICATING));
        if (live >= maxLive) {
            throw ApiException.conflict(live + " migrations are copying or replicating, the most this orchestrator runs at once "
                    + "(DFM_ORCHESTRATOR_MAX_LIVE_MIGRATIONS); complete or stop one first", m.state.name(), m.allowedActionNames());
        }
        boolean ack = body instanceof Dtos.StartRequest s && Boolean.TRUE.equals(s.acknowledgeWarnings());
        long warnings = ValidationHandler.count(ValidationHandler.checks(m), Severity.WARNING);
        if (warnings > 0 && !ack) {
            throw ApiException.conflict("validation left " + warnings
                    + " warning(s); read them and send {\"acknowledgeWarnings\": true} to start anyway", m.state.name(),
                    m.state.allowedActionNames());
        }
        if (m.targetOwnKeys == null && ids.targetOwn() == null) {
            m.targetOwnKeys = 0L; // the first start: the target is empty (or could not be asked), and later runs must not scan it
        } else if (m.targetOwnKeys == null) {
            if (ids.targetOwn().keys() == null) {
                throw ApiException.conflict("the target " + m.targetUri + " holds more than " + ownKeysLimit + " key(s) of its own ("
                        + ids.targetOwn().count() + " found so far); with options.overwrite dfmigrate records the target's own keys "
                        + "to tell them from migrated ones: empty the target, or raise DFM_ORCHESTRATOR_TARGET_OWN_KEYS_LIMIT",
                        m.state.name(), m.allowedActionNames());
            }
            m.targetOwnKeys = TargetOwnKeys.store(m.id, ids.targetOwn().keys());
            j.audit(actor, "target-own-keys", m.targetOwnKeys + " key(s) on the target before the migration recorded as its own: "
                    + "never deleted by a reconciliation, and those the source does not have are left out of the key counts");
        }
        m.copy.startedAt = Instant.now();
        j.transition(Transition.START, actor, warnings > 0 ? warnings + " warning(s) acknowledged" : null);
        if (Boolean.TRUE.equals(Journal.options(m).guardTarget())) {
            // the keeper guards the target first, then asks for the capture (KeeperSteps.guardApplied)
            m.guard.moveTo(GuardStatus.APPLYING);
            m.guard.detail = null;
        } else {
            // capture first: the copy starts when the replicator reports capture ready
            j.phase(PhaseEvent.Kind.CAPTURE);
        }
    }
}

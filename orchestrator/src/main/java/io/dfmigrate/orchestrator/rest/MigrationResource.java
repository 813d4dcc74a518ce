package io.dfmigrate.orchestrator.rest;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dfmigrate.orchestrator.config.OrchestratorConfig;
import io.dfmigrate.orchestrator.persistence.MigrationState.Action;
import io.dfmigrate.orchestrator.persistence.MigrationState;
import io.dfmigrate.orchestrator.service.ApiException;
import io.dfmigrate.orchestrator.service.Dtos;
import io.dfmigrate.orchestrator.service.MigrationActions;
import io.dfmigrate.orchestrator.service.MigrationQueries;
import io.dfmigrate.orchestrator.service.target.UserHandover;
import io.quarkus.vertx.http.runtime.CurrentVertxRequest;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.common.annotation.RunOnVirtualThread;
import io.smallrye.mutiny.Multi;
import io.vertx.ext.web.RoutingContext;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.PATCH;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.jboss.resteasy.reactive.RestStreamElementType;

/** The REST contract (README quickstart, OpenAPI at /q/openapi). Errors are problem+json (see {@link ProblemMappers}). */
@Path("/api/migrations")
@Produces(MediaType.APPLICATION_JSON)
public class MigrationResource {
    static final String ACTOR_HEADER = "X-DFM-Actor";
    private static final String DEFAULT_ACTOR = "operator";

    private final MigrationActions actions;
    private final MigrationQueries queries;
    private final UserHandover users;
    private final CurrentVertxRequest request;
    private final EventStreams streams;
    /** States that end a run: an event stream ends there (a restart is followed with a new stream). */
    private static final Set<String> ENDS_A_STREAM = Set.of("COMPLETED", "STOPPED", "FAILED");
    private final ObjectMapper mapper;
    private final Duration eventsInterval;

    public MigrationResource(MigrationActions actions, MigrationQueries queries, UserHandover users, ObjectMapper mapper,
                             OrchestratorConfig config, CurrentVertxRequest request) {
        this.users = users;
        this.request = request;
        this.streams = new EventStreams(config.sseMaxPerMigration(), config.sseMaxTotal());
        this.actions = actions;
        this.queries = queries;
        this.mapper = mapper;
        this.eventsInterval = config.eventsInterval();
    }

    /**
     * The audit actor: the authenticated principal ({@code operator} for the API token, or with authentication off), plus
     * a note from the optional {@value #ACTOR_HEADER} header ({@code operator:<note>}: self-declared by the caller, so
     * only ever a note next to the principal; letters, digits and {@code @._-} only, at most 64 characters).
     */
    String actor(String header) {
        RoutingContext rc = request.getCurrent();
        String principal = rc == null ? null : rc.get(ApiSecurity.PRINCIPAL);
        String who = principal != null ? principal : DEFAULT_ACTOR;
        if (header == null || header.isBlank()) {
            return who;
        }
        String clean = header.strip().replaceAll("[^A-Za-z0-9@._-]", "_");
        return who + ":" + (clean.length() > 64 ? clean.substring(0, 64) : clean);
    }

    @RunOnVirtualThread
    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    public Response create(Dtos.CreateMigrationRequest request, @HeaderParam(ACTOR_HEADER) String actor) {
        Dtos.MigrationView m = actions.create(request, actor(actor));
        return Response.created(URI.create("/api/migrations/" + m.id())).entity(m).build();
    }

    @RunOnVirtualThread
    @GET
    public Response list(@QueryParam("limit") String limit, @QueryParam("offset") String offset, @QueryParam("state") String state) {
        Set<MigrationState> states = MigrationQueries.states(state);
        return Response.ok(queries.list(number("limit", limit, 100), number("offset", offset, 0), states))
                .header("X-Total-Count", queries.count(states)).build();
    }

    /** A whole-number query parameter, {@code dflt} when absent; 400 naming it when it is not a number. */
    private static int number(String name, String value, int dflt) {
        long n = longNumber(name, value, dflt);
        if (n != (int) n) {
            throw ApiException.badRequest(name, "must be a whole number");
        }
        return (int) n;
    }

    private static long longNumber(String name, String value, long dflt) {
        if (value == null || value.isBlank()) {
            return dflt;
        }
        try {
            return Long.parseLong(value.strip());
        } catch (NumberFormatException e) {
            throw ApiException.badRequest(name, "must be a whole number");
        }
    }

    @RunOnVirtualThread
    @GET
    @Path("{id}")
    public Dtos.MigrationView get(@PathParam("id") String id) {
        return queries.get(id);
    }

    /**
     * Changes name, source, target or options (each replaces the previous one as a whole; absent ones stay) while nothing
     * was copied: CREATED or VALIDATION_FAILED, 409 otherwise. The check is then run again with {@code …/validate}.
     */
    @RunOnVirtualThread
    @PATCH
    @Path("{id}")
    @Consumes(MediaType.APPLICATION_JSON)
    public Dtos.MigrationView edit(@PathParam("id") String id, Dtos.CreateMigrationRequest request, @HeaderParam(ACTOR_HEADER) String actor) {
        return actions.edit(id, request, actor(actor));
    }

    @RunOnVirtualThread
    @GET
    @Path("{id}/audit")
    public List<Dtos.AuditView> audit(@PathParam("id") String id) {
        return queries.audit(id);
    }

    @RunOnVirtualThread
    @POST
    @Path("{id}/validate")
    public Response validate(@PathParam("id") String id, @HeaderParam(ACTOR_HEADER) String actor) {
        return accepted(actions.act(id, Action.validate, null, actor(actor)));
    }

    @RunOnVirtualThread
    @POST
    @Path("{id}/start")
    @Consumes(MediaType.WILDCARD)
    public Response start(@PathParam("id") String id, String body, @HeaderParam(ACTOR_HEADER) String actor) {
        return accepted(actions.act(id, Action.start, optionalBody(body, Dtos.StartRequest.class), actor(actor)));
    }

    @RunOnVirtualThread
    @POST
    @Path("{id}/stop")
    public Response stop(@PathParam("id") String id, @HeaderParam(ACTOR_HEADER) String actor) {
        return accepted(actions.act(id, Action.stop, null, actor(actor)));
    }

    @RunOnVirtualThread
    @POST
    @Path("{id}/complete")
    @Consumes(MediaType.WILDCARD)
    public Response complete(@PathParam("id") String id, String body, @HeaderParam(ACTOR_HEADER) String actor) {
        return accepted(actions.act(id, Action.complete, optionalBody(body, Dtos.CompleteRequest.class), actor(actor)));
    }

    /**
     * Compares source and target key by key (202; the result shows in {@code verification} of the migration, its
     * differences in {@code GET …/verification/diff}). In REPLICATING, STOPPED or COMPLETED.
     */
    @RunOnVirtualThread
    @POST
    @Path("{id}/verify")
    @Consumes(MediaType.WILDCARD)
    public Response verify(@PathParam("id") String id, String body, @HeaderParam(ACTOR_HEADER) String actor) {
        return accepted(actions.act(id, Action.verify, optionalBody(body, Dtos.VerifyRequest.class), actor(actor)));
    }

    /** Pages through the latest verification's differing keys: {@code ?after=<next of the previous page>&limit=…}. */
    @RunOnVirtualThread
    @GET
    @Path("{id}/verification/diff")
    public Dtos.DifferencePage differences(@PathParam("id") String id, @QueryParam("after") String after,
                                           @QueryParam("limit") String limit) {
        return queries.differences(id, longNumber("after", after, 0), number("limit", limit, 100));
    }

    /** Stay in REPLICATING: the decision is recorded in the audit trail; replication goes on until stop or complete. */
    @RunOnVirtualThread
    @POST
    @Path("{id}/keep-replicating")
    public Response keepReplicating(@PathParam("id") String id, @HeaderParam(ACTOR_HEADER) String actor) {
        return accepted(actions.act(id, Action.keepReplicating, null, actor(actor)));
    }

    /**
     * Server-sent events: the migration as {@code GET /api/migrations/{id}} shows it, first at once, then each time any
     * of it changes (state, counters, validation, replication lag and pending changes; checked every
     * {@code DFM_ORCHESTRATOR_EVENTS_INTERVAL}), until it is COMPLETED or the client goes away. Works with any number of
     * orchestrator replicas, since it reads the database.
     */
    @Blocking
    @GET
    @Path("{id}/events")
    @Produces(MediaType.SERVER_SENT_EVENTS)
    @RestStreamElementType(MediaType.APPLICATION_JSON)
    public Multi<Dtos.MigrationView> events(@PathParam("id") String id) {
        Dtos.MigrationView first = queries.get(id);
        if (!streams.open(id)) {
            throw ApiException.tooMany("too many event streams are open (at most " + streams.perMigration() + " per migration and "
                    + streams.total() + " in all): close one, or read GET /api/migrations/" + id);
        }
        return Multi.createFrom().<Dtos.MigrationView>emitter(em -> Thread.ofVirtual().name("sse-" + id).start(() -> {
            Dtos.MigrationView last = first;
            em.emit(first);
            while (!em.isCancelled() && !ENDS_A_STREAM.contains(last.state())) {
                try {
                    Thread.sleep(eventsInterval.toMillis());
                    Dtos.MigrationView now = queries.get(id);
                    if (!now.equals(last)) { // any field: state, counters, lag, pending changes, verification
                        em.emit(now);
                        last = now;
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                } catch (RuntimeException e) {
                    em.fail(e);
                    return;
                }
            }
            em.complete();
        })).onTermination().invoke(() -> streams.close(id));
    }

    /** Deletes an ended migration and the credentials it holds (204); its audit trail stays readable. */
    @RunOnVirtualThread
    @DELETE
    @Path("{id}")
    public Response delete(@PathParam("id") String id, @HeaderParam(ACTOR_HEADER) String actor) {
        actions.delete(id, actor(actor));
        return Response.noContent().build();
    }

    @RunOnVirtualThread
    @POST
    @Path("{id}/restart")
    public Response restart(@PathParam("id") String id, @HeaderParam(ACTOR_HEADER) String actor) {
        return accepted(actions.act(id, Action.restart, null, actor(actor)));
    }

    /** The users that have a password given for the cutover (names only; the passwords are never shown again). */
    @RunOnVirtualThread
    @GET
    @Path("{id}/users/passwords")
    public UserHandover.PasswordsView userPasswords(@PathParam("id") String id) {
        return users.names(id);
    }

    /**
     * Passwords per source ACL user ({@code {"app": "…"}}, replacing those given before; {@code {}} removes them), for a
     * target that takes no password hash (Dragonfly): the cutover makes such a user with it once its SHA-256 matches the
     * source's hash. Sealed at rest; until the migration is completed.
     */
    @RunOnVirtualThread
    @PUT
    @Path("{id}/users/passwords")
    @Consumes(MediaType.WILDCARD)
    public UserHandover.PasswordsView giveUserPasswords(@PathParam("id") String id, String body, @HeaderParam(ACTOR_HEADER) String actor) {
        return users.replace(id, optionalBody(body, JsonNode.class), actor(actor));
    }

    /**
     * The source's users as an ACL file for the target's {@code --aclfile} (password hashes included, so the operator's
     * only, and audited), read from the source now.
     */
    @RunOnVirtualThread
    @GET
    @Path("{id}/users/acl-file")
    @Produces(MediaType.TEXT_PLAIN)
    public Response aclFile(@PathParam("id") String id, @HeaderParam(ACTOR_HEADER) String actor) {
        return Response.ok(users.aclFile(id, actor(actor)))
                .header("Content-Disposition", "attachment; filename=\"dfmigrate-" + id.replaceAll("[^0-9a-fA-F-]", "") + "-users.acl\"")
                .header("Cache-Control", "no-store").build();
    }

    /** Action bodies are optional, so a plain {@code curl -X POST} works; when present they are strict JSON. */
    private <T> T optionalBody(String body, Class<T> type) {
        if (body == null || body.isBlank()) {
            return null;
        }
        try {
            return mapper.readValue(body, type);
        } catch (JsonProcessingException e) {
            throw new JsonBodyException(e);
        }
    }

    /** Carries a body's JSON error to {@link ProblemMappers}. */
    public static final class JsonBodyException extends RuntimeException {
        public JsonBodyException(JsonProcessingException cause) {
            super(cause);
        }
    }

    private static Response accepted(Dtos.MigrationView m) {
        return Response.accepted(m).build();
    }
}

package io.dfmigrate.orchestrator.rest;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dfmigrate.orchestrator.persistence.MigrationState.Action;
import io.dfmigrate.orchestrator.service.MigrationService;
import io.smallrye.common.annotation.RunOnVirtualThread;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.net.URI;
import java.util.List;

/** The REST contract of DESIGN.md §6. Errors are problem+json (see {@link ProblemMappers}). */
@Path("/api/migrations")
@Produces(MediaType.APPLICATION_JSON)
@RunOnVirtualThread
public class MigrationResource {
    private static final String ACTOR = "operator";

    private final MigrationService service;
    private final ObjectMapper mapper;

    public MigrationResource(MigrationService service, ObjectMapper mapper) {
        this.service = service;
        this.mapper = mapper;
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    public Response create(Dtos.CreateMigrationRequest request) {
        Dtos.MigrationView m = service.create(request, ACTOR);
        return Response.created(URI.create("/api/migrations/" + m.id())).entity(m).build();
    }

    @GET
    public List<Dtos.MigrationView> list() {
        return service.list();
    }

    @GET
    @Path("{id}")
    public Dtos.MigrationView get(@PathParam("id") String id) {
        return service.get(id);
    }

    @GET
    @Path("{id}/audit")
    public List<Dtos.AuditView> audit(@PathParam("id") String id) {
        return service.audit(id);
    }

    @POST
    @Path("{id}/validate")
    public Response validate(@PathParam("id") String id) {
        return accepted(service.act(id, Action.validate, null, ACTOR));
    }

    @POST
    @Path("{id}/start")
    @Consumes(MediaType.WILDCARD)
    public Response start(@PathParam("id") String id, String body) {
        return accepted(service.act(id, Action.start, optionalBody(body, Dtos.StartRequest.class), ACTOR));
    }

    @POST
    @Path("{id}/stop")
    public Response stop(@PathParam("id") String id) {
        return accepted(service.act(id, Action.stop, null, ACTOR));
    }

    @POST
    @Path("{id}/complete")
    @Consumes(MediaType.WILDCARD)
    public Response complete(@PathParam("id") String id, String body) {
        return accepted(service.act(id, Action.complete, optionalBody(body, Dtos.CompleteRequest.class), ACTOR));
    }

    @POST
    @Path("{id}/restart")
    public Response restart(@PathParam("id") String id) {
        return accepted(service.act(id, Action.restart, null, ACTOR));
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

package io.dfmigrate.orchestrator.rest;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import io.dfmigrate.orchestrator.service.ApiException;
import io.dfmigrate.orchestrator.service.MigrationTx;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import java.util.List;
import java.util.stream.Collectors;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;
import com.fasterxml.jackson.databind.exc.InvalidTypeIdException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;

/** Every error of the API as RFC 9457 problem+json; nothing reaches the client as a bare 500 or a stack trace. */
public class ProblemMappers {
    public static final String PROBLEM_JSON = "application/problem+json";
    private static final Logger LOG = Logger.getLogger(ProblemMappers.class);

    @ServerExceptionMapper
    public Response api(ApiException e, UriInfo uri) {
        return respond(problem(e, uri.getPath()));
    }

    // The subtypes are named because the JSON extension brings mappers of its own for some of them.
    @ServerExceptionMapper({JsonProcessingException.class, JsonParseException.class, JsonMappingException.class,
            MismatchedInputException.class, UnrecognizedPropertyException.class, InvalidFormatException.class,
            ValueInstantiationException.class,
            InvalidTypeIdException.class})
    public Response json(JsonProcessingException e, UriInfo uri) {
        String field = e instanceof JsonMappingException jm ? path(jm.getPath()) : null;
        String message;
        if (e instanceof UnrecognizedPropertyException u) {
            field = path(u.getPath());
            message = "is not a known field" + (u.getKnownPropertyIds() == null ? "" : " (known: "
                    + u.getKnownPropertyIds().stream().map(Object::toString).sorted().collect(Collectors.joining(", ")) + ")");
        } else if (e instanceof InvalidFormatException f) {
            message = "has the wrong type: expected " + f.getTargetType().getSimpleName().toLowerCase();
        } else if (e instanceof MismatchedInputException m) {
            message = "has the wrong type" + (m.getTargetType() == null ? "" : ": expected " + describe(m.getTargetType()));
        } else if (e instanceof JsonParseException) {
            field = "body";
            message = "is not valid JSON (" + e.getOriginalMessage() + " at line " + e.getLocation().getLineNr() + ", column "
                    + e.getLocation().getColumnNr() + ")";
        } else {
            message = "cannot be read: " + e.getOriginalMessage();
        }
        if (field == null || field.isEmpty()) {
            field = "body";
        }
        return respond(problem(ApiException.badRequest(field, message), uri.getPath()));
    }

    private static String describe(Class<?> type) {
        if (type.isRecord() || type.getName().startsWith("java.util.Map")) {
            return "an object";
        }
        if (List.class.isAssignableFrom(type) || type.isArray()) {
            return "an array";
        }
        return type.getSimpleName().toLowerCase();
    }

    private static String path(List<JsonMappingException.Reference> refs) {
        StringBuilder sb = new StringBuilder();
        for (JsonMappingException.Reference r : refs) {
            if (r.getFieldName() != null) {
                sb.append(sb.isEmpty() ? "" : ".").append(r.getFieldName());
            } else if (r.getIndex() >= 0) {
                sb.append('[').append(r.getIndex()).append(']');
            }
        }
        return sb.toString();
    }

    @ServerExceptionMapper
    public Response body(MigrationResource.JsonBodyException e, UriInfo uri) {
        return json((JsonProcessingException) e.getCause(), uri);
    }

    @ServerExceptionMapper
    public Response web(WebApplicationException e, UriInfo uri) {
        int status = e.getResponse().getStatus();
        if (e.getCause() instanceof JsonProcessingException jp) {
            return json(jp, uri);
        }
        String title = Response.Status.fromStatusCode(status) == null ? "Error" : Response.Status.fromStatusCode(status).getReasonPhrase();
        String detail = status == 404 ? "no such resource" : status == 415 ? "send Content-Type: application/json" : title;
        return respond(new Problem("about:blank", title, status, detail, uri.getPath(), null, null, null));
    }

    @ServerExceptionMapper
    public Response unexpected(Exception e, UriInfo uri) {
        if (MigrationTx.isConflict(e)) {
            return respond(new Problem("about:blank", "Conflict", 409, "the migration changed at the same moment; read it and try again",
                    uri.getPath(), null, null, null));
        }
        // Logged with its type only: messages of deep exceptions may carry data we do not want in logs.
        LOG.errorf("unexpected %s on %s", e.getClass().getName(), uri.getPath());
        LOG.debug("unexpected error", e);
        return respond(new Problem("about:blank", "Internal error", 500, "an unexpected error occurred; see the orchestrator log",
                uri.getPath(), null, null, null));
    }

    private static Problem problem(ApiException e, String instance) {
        return new Problem("about:blank", e.title(), e.status(), e.getMessage(), instance, e.errors(), e.state(), e.allowedActions());
    }

    private static Response respond(Problem p) {
        return Response.status(p.status()).type(PROBLEM_JSON).entity(p).build();
    }
}

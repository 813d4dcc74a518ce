package io.dfmigrate.orchestrator.rest;

import io.dfmigrate.orchestrator.config.OrchestratorConfig;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Optional;
import io.dfmigrate.common.event.Json;

/**
 * Guards {@code /api/*}: the optional bearer token (health, metrics and OpenAPI stay open) and a body size limit, both
 * answered with problem+json before any JSON is read.
 */
@ApplicationScoped
public class ApiSecurity {
    /** Request bodies of the API are small JSON documents. */
    public static final long MAX_BODY_BYTES = 64 * 1024;

    private final Optional<byte[]> token;

    public ApiSecurity(OrchestratorConfig config) {
        this.token = config.apiToken().filter(t -> !t.isBlank()).map(t -> t.strip().getBytes(StandardCharsets.UTF_8));
    }

    void install(@Observes Router router) {
        router.route().order(-100).handler(this::filter);
    }

    void filter(RoutingContext rc) {
        String path = rc.normalizedPath();
        if (!path.startsWith("/api/") && !path.equals("/api")) {
            rc.next();
            return;
        }
        if (token.isPresent() && !authorized(rc.request().getHeader(HttpHeaders.AUTHORIZATION))) {
            rc.response().putHeader("WWW-Authenticate", "Bearer realm=\"dfmigrate\"");
            problem(rc, 401, "Unauthorized", "send Authorization: Bearer <token> (the orchestrator's DFM_ORCHESTRATOR_API_TOKEN)");
            return;
        }
        String length = rc.request().getHeader(HttpHeaders.CONTENT_LENGTH);
        if (length != null) {
            try {
                if (Long.parseLong(length.strip()) > MAX_BODY_BYTES) {
                    problem(rc, 413, "Payload Too Large", "request bodies are limited to " + MAX_BODY_BYTES + " bytes");
                    return;
                }
            } catch (NumberFormatException e) {
                problem(rc, 400, "Bad Request", "Content-Length is not a number");
                return;
            }
        }
        rc.next();
    }

    private boolean authorized(String header) {
        if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return false;
        }
        byte[] given = header.substring(7).strip().getBytes(StandardCharsets.UTF_8);
        return MessageDigest.isEqual(given, token.get());
    }

    private static void problem(RoutingContext rc, int status, String title, String detail) {
        Problem p = new Problem("about:blank", title, status, detail, rc.normalizedPath(), null, null, null);
        rc.response().setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, ProblemMappers.PROBLEM_JSON)
                .end(Json.write(p));
    }
}

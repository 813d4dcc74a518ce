package io.dfmigrate.orchestrator.rest;

import io.dfmigrate.common.event.Json;
import io.dfmigrate.orchestrator.config.OrchestratorConfig;
import io.dfmigrate.orchestrator.config.OrchestratorConfig.AuthMode;
import io.dfmigrate.orchestrator.config.OrchestratorConfig.PublicEndpoint;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.jboss.logging.Logger;

/**
 * Guards every HTTP path before any JSON is read, deny by default: only {@code /q/health*} (and, when the operator says
 * so, {@code /q/metrics} and {@code /q/openapi}) is open; everything else needs {@code Authorization: Bearer <token>},
 * the operator's token (every action) or the viewer's (reading only). The caller's role becomes the request's principal,
 * which the audit trail records. Also the body size limit. Answers are problem+json.
 */
@ApplicationScoped
public class ApiSecurity {
    private static final Logger LOG = Logger.getLogger(ApiSecurity.class);
    /** Request bodies of the API are small JSON documents. */
    public static final long MAX_BODY_BYTES = 64 * 1024;
    /** The routing-context key of the authenticated principal (the {@link Role} name). */
    static final String PRINCIPAL = "dfm.principal";

    private final AuthMode mode;
    private final Optional<byte[]> operatorToken;
    private final Optional<byte[]> viewerToken;
    private final List<String> openPrefixes = new ArrayList<>(List.of("/q/health"));

    /** What a caller may do: an operator acts, a viewer reads; the name is the request's principal. */
    enum Role {
        operator, viewer
    }

    public ApiSecurity(OrchestratorConfig config) {
        this.mode = config.auth();
        this.operatorToken = bytes(config.apiToken());
        this.viewerToken = bytes(config.viewerToken());
        Set<PublicEndpoint> open = config.publicEndpoints().orElse(Set.of());
        if (open.contains(PublicEndpoint.metrics)) {
            openPrefixes.add("/q/metrics");
        }
        if (open.contains(PublicEndpoint.openapi)) {
            openPrefixes.add("/q/openapi");
            openPrefixes.add("/q/swagger-ui");
        }
    }

    private static Optional<byte[]> bytes(Optional<String> token) {
        return token.map(String::strip).filter(t -> !t.isEmpty()).map(t -> t.getBytes(StandardCharsets.UTF_8));
    }

    /** Refuses to start without a way in; says loudly when the operator opted out of authentication. */
    void check(@Observes StartupEvent start) {
        if (mode == AuthMode.none) {
            LOG.warn("DFM_ORCHESTRATOR_AUTH=none: the API, the console and the metrics are open to anyone who can reach this "
                    + "port; use it only behind your own authentication");
        } else if (operatorToken.isEmpty()) {
            throw new IllegalStateException("no API token: set DFM_ORCHESTRATOR_API_TOKEN (deploy/local/run.sh generates one into "
                    + "its state directory), or DFM_ORCHESTRATOR_AUTH=none to run without authentication");
        } else if (operatorToken.get().length < 16) {
            throw new IllegalStateException("DFM_ORCHESTRATOR_API_TOKEN is shorter than 16 characters: use a long random token");
        }
    }

    void install(@Observes Router router) {
        router.route().order(-100).handler(this::filter);
    }

    void filter(RoutingContext rc) {
        if (!open(rc.normalizedPath())) {
            Role role = mode == AuthMode.none ? Role.operator : role(rc.request().getHeader(HttpHeaders.AUTHORIZATION));
            if (role == null) {
                rc.response().putHeader("WWW-Authenticate", "Bearer realm=\"dfmigrate\"");
                problem(rc, 401, "Unauthorized", "send Authorization: Bearer <token> (the orchestrator's DFM_ORCHESTRATOR_API_TOKEN, "
                        + "or its DFM_ORCHESTRATOR_VIEWER_TOKEN for reading)");
                return;
            }
            HttpMethod method = rc.request().method();
            if (role == Role.viewer && method != HttpMethod.GET && method != HttpMethod.HEAD) {
                problem(rc, 403, "Forbidden", "the viewer token may read, not act: use the operator's token");
                return;
            }
            rc.put(PRINCIPAL, role.name());
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

    /** Open paths match exactly or as a prefix followed by '/': {@code /q/healthy} or {@code /q/health%2F..} are not open. */
    private boolean open(String path) {
        return openPrefixes.stream().anyMatch(p -> path.equals(p) || path.startsWith(p + "/"));
    }

    private Role role(String header) {
        if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return null;
        }
        byte[] given = header.substring(7).strip().getBytes(StandardCharsets.UTF_8);
        if (operatorToken.isPresent() && MessageDigest.isEqual(given, operatorToken.get())) {
            return Role.operator;
        }
        if (viewerToken.isPresent() && MessageDigest.isEqual(given, viewerToken.get())) {
            return Role.viewer;
        }
        return null;
    }

    private static void problem(RoutingContext rc, int status, String title, String detail) {
        Problem p = new Problem("about:blank", title, status, detail, rc.normalizedPath(), null, null, null);
        rc.response().setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, ProblemMappers.PROBLEM_JSON)
                .end(Json.write(p));
    }
}

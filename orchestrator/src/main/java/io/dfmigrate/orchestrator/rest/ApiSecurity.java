package io.dfmigrate.orchestrator.rest;

import io.dfmigrate.common.event.Json;
import io.dfmigrate.orchestrator.config.OrchestratorConfig.AuthMode;
import io.dfmigrate.orchestrator.config.OrchestratorConfig.PublicEndpoint;
import io.dfmigrate.orchestrator.config.OrchestratorConfig;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.vertx.http.runtime.security.HttpAuthenticator;
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
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Guards every HTTP path before any JSON is read, deny by default: only {@code /q/health*} (and, when the operator says
 * so, {@code /q/metrics} and {@code /q/openapi}) is open; everything else needs {@code Authorization: Bearer <token>}:
 * the operator's or the viewer's static token ({@code auth=token}), or a token of the team's identity provider verified
 * by quarkus-oidc ({@code auth=oidc}) whose roles include the operator role (every action) or the viewer role (reading
 * only). The principal (the static token's role name, or the OIDC user's name) is what the audit trail records. Also
 * the body size limit. Answers are problem+json.
 */
@ApplicationScoped
public class ApiSecurity {
    private static final Logger LOG = Logger.getLogger(ApiSecurity.class);
    /** Request bodies of the API are small JSON documents. */
    public static final long MAX_BODY_BYTES = 64 * 1024;
    /** The routing-context key of the authenticated principal: the static token's {@link Role} name, or {@code oidc:<user>}. */
    static final String PRINCIPAL = "dfm.principal";
    /** The one read a viewer may not do: the ACL file holds password hashes. */
    static final String OPERATOR_ONLY_READ = "/users/acl-file";

    private final Set<AuthMode> modes;
    private final boolean oidcTenantEnabled;
    /** The audiences a token must name ({@code aud}); quarkus-oidc checks it, start-up refuses OIDC without one. */
    private final List<String> oidcAudience;
    private final HttpAuthenticator authenticator;
    private final String oidcOperatorRole;
    private final String oidcViewerRole;
    private final Optional<byte[]> operatorToken;
    private final Optional<byte[]> viewerToken;
    private final List<String> openPrefixes = new ArrayList<>(List.of("/q/health"));

    /** What a caller may do: an operator acts, a viewer reads; the name is the request's principal. */
    enum Role {
        operator, viewer
    }

    public ApiSecurity(OrchestratorConfig config, HttpAuthenticator authenticator,
                       @ConfigProperty(name = "quarkus.oidc.tenant-enabled", defaultValue = "true") boolean oidcTenantEnabled,
                       @ConfigProperty(name = "quarkus.oidc.token.audience") Optional<List<String>> oidcAudience) {
        this.modes = config.auth();
        this.oidcAudience = oidcAudience.orElse(List.of()).stream().map(String::strip).filter(a -> !a.isEmpty()).toList();
        this.authenticator = authenticator;
        this.oidcTenantEnabled = oidcTenantEnabled;
        this.oidcOperatorRole = config.oidcOperatorRole();
        this.oidcViewerRole = config.oidcViewerRole();
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
        if (modes.contains(AuthMode.none)) {
            if (modes.size() > 1) {
                throw new IllegalStateException("DFM_ORCHESTRATOR_AUTH=" + modes + ": 'none' cannot be combined with a way in");
            }
            LOG.warn("DFM_ORCHESTRATOR_AUTH=none: the API, the console and the metrics are open to anyone who can reach this "
                    + "port; use it only behind your own authentication");
            return;
        }
        if (modes.contains(AuthMode.oidc) != oidcTenantEnabled) {
            throw new IllegalStateException(modes.contains(AuthMode.oidc)
                    ? "DFM_ORCHESTRATOR_AUTH includes oidc: also set QUARKUS_OIDC_TENANT_ENABLED=true and your identity provider "
                            + "(QUARKUS_OIDC_AUTH_SERVER_URL, QUARKUS_OIDC_CLIENT_ID; docs/security.md)"
                    : "QUARKUS_OIDC_TENANT_ENABLED=true but DFM_ORCHESTRATOR_AUTH does not include oidc: add it (e.g. token,oidc)");
        }
        if (modes.contains(AuthMode.oidc) && oidcAudience.isEmpty()) {
            // without it, any token the identity provider issued for another application of the realm would be accepted here
            throw new IllegalStateException("DFM_ORCHESTRATOR_AUTH includes oidc: set QUARKUS_OIDC_TOKEN_AUDIENCE to the audience "
                    + "your identity provider puts in the tokens it issues for dfmigrate (the aud claim; docs/security.md)");
        }
        if (!modes.contains(AuthMode.token)) {
            return;
        }
        if (operatorToken.isEmpty()) {
            throw new IllegalStateException("no API token: set DFM_ORCHESTRATOR_API_TOKEN (deploy/local/run.sh generates one into "
                    + "its state directory), or DFM_ORCHESTRATOR_AUTH=none to run without authentication");
        } else if (operatorToken.get().length < 16) {
            throw new IllegalStateException("DFM_ORCHESTRATOR_API_TOKEN is shorter than 16 characters: use a long random token");
        }
    }

    /**
     * The web console's files (HTML, script, style: no data; every call they make goes to {@code /api} with the
     * user's token) are served to anyone, with a policy that allows only this origin's scripts, styles and calls.
     */
    static final String CONSOLE = "/console";
    static final String CONSOLE_POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            + "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

    void install(@Observes Router router) {
        router.route().order(-100).handler(this::filter);
    }

    void filter(RoutingContext rc) {
        String path = rc.normalizedPath();
        if (path.equals(CONSOLE) || path.startsWith(CONSOLE + "/")) {
            rc.response().putHeader("Content-Security-Policy", CONSOLE_POLICY).putHeader("X-Content-Type-Options", "nosniff")
                    .putHeader("Referrer-Policy", "no-referrer").putHeader("Cache-Control", "no-cache");
            if (path.equals(CONSOLE)) {
                rc.redirect(CONSOLE + "/");
                return;
            }
            afterAuthentication(rc);
            return;
        }
        if (path.equals("/") && (rc.request().method() == HttpMethod.GET || rc.request().method() == HttpMethod.HEAD)) {
            rc.redirect(CONSOLE + "/");
            return;
        }
        if (open(path) || modes.contains(AuthMode.none)) {
            afterAuthentication(rc);
            return;
        }
        String header = rc.request().getHeader(HttpHeaders.AUTHORIZATION);
        Role role = modes.contains(AuthMode.token) ? role(header) : null;
        if (role != null) {
            authorized(rc, role, role.name());
        } else if (modes.contains(AuthMode.oidc) && bearer(header) != null) {
            oidc(rc);
        } else {
            unauthorized(rc);
        }
    }

    /** Verifies the bearer token with quarkus-oidc (signature, issuer, expiry; the provider's keys are cached). */
    private void oidc(RoutingContext rc) {
        if (!rc.request().isEnded()) {
            rc.request().pause(); // the body waits for the decision
        }
        authenticator.attemptAuthentication(rc).subscribe().with(identity -> {
            if (!rc.request().isEnded()) {
                rc.request().resume();
            }
            if (identity == null || identity.isAnonymous()) {
                unauthorized(rc);
            } else if (identity.hasRole(oidcOperatorRole)) {
                authorized(rc, Role.operator, oidcPrincipal(identity.getPrincipal().getName()));
            } else if (identity.hasRole(oidcViewerRole)) {
                authorized(rc, Role.viewer, oidcPrincipal(identity.getPrincipal().getName()));
            } else {
                problem(rc, 403, "Forbidden", "the token has neither the '" + oidcOperatorRole + "' nor the '" + oidcViewerRole
                        + "' role");
            }
        }, failure -> {
            if (!rc.request().isEnded()) {
                rc.request().resume();
            }
            LOG.debugf("OIDC bearer token refused: %s", failure.toString());
            unauthorized(rc);
        });
    }

    /** {@code oidc:<user>}, the user name reduced to letters, digits and {@code @._-}, at most 128 characters. */
    static String oidcPrincipal(String name) {
        String clean = name == null || name.isBlank() ? "unknown" : name.strip().replaceAll("[^A-Za-z0-9@._-]", "_");
        return "oidc:" + (clean.length() > 128 ? clean.substring(0, 128) : clean);
    }

    private void unauthorized(RoutingContext rc) {
        rc.response().putHeader("WWW-Authenticate", "Bearer realm=\"dfmigrate\"");
        problem(rc, 401, "Unauthorized", "send Authorization: Bearer <token> ("
                + (modes.contains(AuthMode.token) ? "the orchestrator's DFM_ORCHESTRATOR_API_TOKEN, or its DFM_ORCHESTRATOR_VIEWER_TOKEN "
                + "for reading" : "") + (modes.size() > 1 ? "; or " : "")
                + (modes.contains(AuthMode.oidc) ? "a valid token of the identity provider" : "") + ")");
    }

    private void authorized(RoutingContext rc, Role role, String principal) {
        HttpMethod method = rc.request().method();
        if (role == Role.viewer && method != HttpMethod.GET && method != HttpMethod.HEAD) {
            problem(rc, 403, "Forbidden", "a viewer may read, not act: use the operator's token or role");
            return;
        }
        if (role == Role.viewer && rc.normalizedPath().endsWith(OPERATOR_ONLY_READ)) {
            problem(rc, 403, "Forbidden", "the ACL file holds the source users' password hashes: use the operator's token or role");
            return;
        }
        rc.put(PRINCIPAL, principal);
        afterAuthentication(rc);
    }

    private void afterAuthentication(RoutingContext rc) {
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

    private static String bearer(String header) {
        if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return null;
        }
        String token = header.substring(7).strip();
        return token.isEmpty() ? null : token;
    }

    private Role role(String header) {
        String token = bearer(header);
        if (token == null) {
            return null;
        }
        byte[] given = token.getBytes(StandardCharsets.UTF_8);
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

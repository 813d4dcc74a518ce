package io.dfmigrate.orchestrator.rest;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dfmigrate.orchestrator.config.OrchestratorConfig;
import io.dfmigrate.orchestrator.config.OrchestratorConfig.AuthMode;
import io.smallrye.config.WithDefault;
import java.lang.reflect.Proxy;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Authentication is on unless the operator turns it off: without a token the orchestrator does not start. */
class ApiSecurityStartTest {
    static final Optional<java.util.List<String>> AUD = Optional.of(java.util.List.of("dfmigrate-api"));

    static OrchestratorConfig config(AuthMode mode, String token) {
        return config(Set.of(mode), token);
    }

    static OrchestratorConfig config(Set<AuthMode> modes, String token) {
        Map<String, Object> values = Map.of("auth", modes, "apiToken", Optional.ofNullable(token), "viewerToken", Optional.empty(),
                "publicEndpoints", Optional.empty(), "oidcOperatorRole", "operator", "oidcViewerRole", "viewer");
        return (OrchestratorConfig) Proxy.newProxyInstance(OrchestratorConfig.class.getClassLoader(), new Class<?>[] {OrchestratorConfig.class},
                (proxy, method, args) -> values.get(method.getName()));
    }

    @Test
    void theDefaultNeedsATokenAndSaysHowToGetOne() throws Exception {
        assertEquals("token", OrchestratorConfig.class.getMethod("auth").getAnnotation(WithDefault.class).value());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> new ApiSecurity(config(AuthMode.token, null), null, false, AUD).check(null));
        assertTrue(e.getMessage().contains("DFM_ORCHESTRATOR_API_TOKEN") && e.getMessage().contains("DFM_ORCHESTRATOR_AUTH=none"),
                e.getMessage());
        assertThrows(IllegalStateException.class, () -> new ApiSecurity(config(AuthMode.token, "short"), null, false, AUD).check(null));
        assertDoesNotThrow(() -> new ApiSecurity(config(AuthMode.token, "a-long-random-token-123"), null, false, AUD).check(null));
        assertDoesNotThrow(() -> new ApiSecurity(config(AuthMode.none, null), null, false, AUD).check(null));
    }

    @Test
    void oidcNeedsItsTenantAndNoneStandsAlone() {
        assertTrue(assertThrows(IllegalStateException.class, () -> new ApiSecurity(config(AuthMode.oidc, null), null, false, AUD).check(null))
                .getMessage().contains("QUARKUS_OIDC_TENANT_ENABLED=true"));
        assertThrows(IllegalStateException.class, () -> new ApiSecurity(config(AuthMode.token, "a-long-random-token-123"), null, true, AUD)
                .check(null), "a tenant configured but not used is a mistake worth stopping for");
        assertDoesNotThrow(() -> new ApiSecurity(config(AuthMode.oidc, null), null, true, AUD).check(null), "OIDC alone needs no static token");
        assertThrows(IllegalStateException.class, () -> new ApiSecurity(config(Set.of(AuthMode.token, AuthMode.oidc), null), null, true, AUD)
                .check(null), "with token in the list the operator token is still required");
        assertThrows(IllegalStateException.class, () -> new ApiSecurity(config(Set.of(AuthMode.none, AuthMode.oidc), null), null, true, AUD)
                .check(null));
        assertEquals("oidc:alice_smith@example.com", ApiSecurity.oidcPrincipal("alice smith@example.com"));
        IllegalStateException noAudience = assertThrows(IllegalStateException.class, () -> new ApiSecurity(config(AuthMode.oidc, null), null,
                true, Optional.empty()).check(null), "without an audience any token of the realm would do");
        assertTrue(noAudience.getMessage().contains("QUARKUS_OIDC_TOKEN_AUDIENCE"), noAudience.getMessage());
        assertThrows(IllegalStateException.class, () -> new ApiSecurity(config(AuthMode.oidc, null), null, true,
                Optional.of(java.util.List.of(" "))).check(null));
    }
}

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
import org.junit.jupiter.api.Test;

/** Authentication is on unless the operator turns it off: without a token the orchestrator does not start. */
class ApiSecurityStartTest {
    static OrchestratorConfig config(AuthMode mode, String token) {
        Map<String, Object> values = Map.of("auth", mode, "apiToken", Optional.ofNullable(token), "viewerToken", Optional.empty(),
                "publicEndpoints", Optional.empty());
        return (OrchestratorConfig) Proxy.newProxyInstance(OrchestratorConfig.class.getClassLoader(), new Class<?>[] {OrchestratorConfig.class},
                (proxy, method, args) -> values.get(method.getName()));
    }

    @Test
    void theDefaultNeedsATokenAndSaysHowToGetOne() throws Exception {
        assertEquals("token", OrchestratorConfig.class.getMethod("auth").getAnnotation(WithDefault.class).value());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> new ApiSecurity(config(AuthMode.token, null)).check(null));
        assertTrue(e.getMessage().contains("DFM_ORCHESTRATOR_API_TOKEN") && e.getMessage().contains("DFM_ORCHESTRATOR_AUTH=none"),
                e.getMessage());
        assertThrows(IllegalStateException.class, () -> new ApiSecurity(config(AuthMode.token, "short")).check(null));
        assertDoesNotThrow(() -> new ApiSecurity(config(AuthMode.token, "a-long-random-token-123")).check(null));
        assertDoesNotThrow(() -> new ApiSecurity(config(AuthMode.none, null)).check(null));
    }
}

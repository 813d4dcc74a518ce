package io.dfmigrate.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.dfmigrate.common.testing.ServiceImage;
import io.dfmigrate.localstack.LocalStack;
import io.dfmigrate.localstack.Ports;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The orchestrator's container image (built after package): starts from its settings in the environment (port, Kafka,
 * PostgreSQL, keys, API token), migrates its schema, gets ready and demands the token it was given.
 */
class OrchestratorImageIT {
    @Test
    void theImageStartsFromItsEnvironmentAsANonRootUserAndDemandsItsToken() throws Exception {
        String image = ServiceImage.build("orchestrator");
        try (LocalStack infra = new LocalStack(LocalStack.Config.forTests(ServiceImage.home(), LocalStack.testStateDir(Path.of("target"))))
                .startInfrastructure()) {
            Map<String, String> env = infra.serviceEnv("orchestrator");
            int port = Ports.free();
            try (var c = ServiceImage.assertStartsFromTheEnvironment(image, env, port)) {
                HttpClient http = HttpClient.newHttpClient();
                URI api = URI.create("http://127.0.0.1:" + port + "/api/migrations");
                assertEquals(401, http.send(HttpRequest.newBuilder(api).build(), HttpResponse.BodyHandlers.discarding()).statusCode());
                HttpResponse<String> listed = http.send(HttpRequest.newBuilder(api)
                        .header("Authorization", "Bearer " + env.get("DFM_ORCHESTRATOR_API_TOKEN")).build(), HttpResponse.BodyHandlers.ofString());
                assertEquals(200, listed.statusCode(), listed.body());
            }
        }
    }
}

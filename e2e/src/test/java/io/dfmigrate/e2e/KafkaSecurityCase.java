package io.dfmigrate.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.dfmigrate.localstack.LocalStack;
import io.dfmigrate.localstack.RedisServer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The stack with a broker that wants its clients authenticated: the four services connect with the kafka.* settings
 * they are given (KAFKA_SECURITY_PROTOCOL and the rest), a client without them is refused, and a migration with live
 * writes still completes with a verified cutover. One subclass per way of authenticating.
 */
abstract class KafkaSecurityCase {
    /** The subclass's stack ({@code @RegisterExtension static final E2eStack STACK = E2eStack.of(…)}). */
    abstract E2eStack stackOfThisCase();

    /** Settings of clients the broker must refuse (besides the bootstrap servers). */
    abstract List<Map<String, String>> refusedClients();

    @Test
    void aMigrationRunsOverTheSecuredBrokerThatRefusesOtherClients() {
        LocalStack stack = stackOfThisCase().stack();
        Api api = stackOfThisCase().api();
        for (Map<String, String> settings : refusedClients()) {
            Properties client = new Properties();
            client.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafka().bootstrapServers());
            client.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 5000);
            client.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 3000);
            client.putAll(settings);
            try (Admin admin = Admin.create(client)) {
                assertThrows(ExecutionException.class, () -> admin.listTopics().names().get(20, TimeUnit.SECONDS),
                        "a client with " + settings.keySet() + " gets nothing from the broker");
            }
        }

        try (RedisServer source = RedisServer.start(); RedisServer target = RedisServer.start()) {
            source.cli("DEBUG", "POPULATE", "2000", "k", "32");
            source.cli("-n", "1", "HSET", "h", "a", "1");
            source.cli("CONFIG", "SET", "notify-keyspace-events", "KEA");
            String id = api.create("secured-kafka", source.uri(), target.uri(), null);
            assertEquals(202, api.post("/api/migrations/" + id + "/validate", null).status());
            assertEquals("VALIDATED", api.await(id, m -> !m.path("state").asText().equals("VALIDATING"), Duration.ofSeconds(60))
                    .get("state").asText());
            assertEquals(202, api.post("/api/migrations/" + id + "/start", null).status());
            JsonNode copied = api.await(id, m -> m.path("state").asText().matches("REPLICATING|FAILED"), Duration.ofSeconds(120));
            assertEquals("REPLICATING", copied.get("state").asText(), copied.toString());

            for (int i = 0; i < 50; i++) {
                source.cli("SET", "live:" + i, Integer.toString(i)); // through the capture, dfm.changes and an applier
            }
            source.cli("DEL", "k:7");
            JsonNode replicated = api.await(id, m -> m.at("/replication/appliedChanges").asLong() >= 51, Duration.ofSeconds(60));
            assertTrue(replicated.at("/replication/appliedChanges").asLong() >= 51, replicated.toString());

            assertEquals(202, api.post("/api/migrations/" + id + "/complete", "{\"cutover\":true}").status());
            JsonNode done = api.await(id, m -> m.path("state").asText().matches("COMPLETED|FAILED"), Duration.ofSeconds(60));
            assertEquals("COMPLETED", done.get("state").asText(), done.toString());
            assertEquals(source.cli("DEBUG", "DIGEST"), target.cli("DEBUG", "DIGEST"));
            api.assertVerifiedEqual(id); // its batches and reports travel over the secured broker too
        }
    }
}

package io.dfmigrate.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.dfmigrate.localstack.LocalStack;
import io.dfmigrate.localstack.RedisServer;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The stack with a broker that accepts only SCRAM-SHA-512 logins (DFM_KAFKA_SASL=scram): the four services connect
 * with the kafka.* settings they are given (KAFKA_SECURITY_PROTOCOL, KAFKA_SASL_MECHANISM, KAFKA_SASL_JAAS_CONFIG),
 * a client without them is refused, and a migration with live writes still completes with a verified cutover.
 */
class KafkaSaslTest {
    static LocalStack stack;
    static Api api;

    @BeforeAll
    static void startStack() {
        stack = E2e.startStack(Map.of("DFM_KAFKA_SASL", "scram"));
        api = new Api(stack);
    }

    @AfterAll
    static void stopStack() {
        if (stack != null) {
            stack.close();
        }
    }

    @Test
    void aMigrationRunsOverAnAuthenticatedBrokerThatRefusesAnonymousClients() {
        Properties anonymous = new Properties();
        anonymous.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafka().bootstrapServers());
        anonymous.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 5000);
        anonymous.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 3000);
        try (Admin admin = Admin.create(anonymous)) {
            assertThrows(ExecutionException.class, () -> admin.listTopics().names().get(20, TimeUnit.SECONDS),
                    "a client that does not log in gets nothing from the broker");
        }

        try (RedisServer source = RedisServer.start(); RedisServer target = RedisServer.start()) {
            source.cli("DEBUG", "POPULATE", "2000", "k", "32");
            source.cli("-n", "1", "HSET", "h", "a", "1");
            source.cli("CONFIG", "SET", "notify-keyspace-events", "KEA");
            String id = api.create("sasl", source.uri(), target.uri(), null);
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
            api.assertVerifiedEqual(id); // its batches and reports travel over SASL too
        }
    }
}

package io.dfmigrate.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.dfmigrate.common.testing.Waits;
import io.dfmigrate.localstack.KafkaBroker;
import io.dfmigrate.localstack.LocalCertificates;
import io.dfmigrate.localstack.LocalStack;
import io.dfmigrate.localstack.Ports;
import io.dfmigrate.localstack.RedisServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The stack with a broker that wants its clients authenticated twice over: {@code DFM_KAFKA_SASL=scram} with
 * {@code DFM_KAFKA_TLS=mtls} is SCRAM-SHA-512 logins over TLS with client certificates of the local CA ({@code SASL_SSL}).
 * The four services connect with the kafka.* settings they are given (KAFKA_SECURITY_PROTOCOL, the login, the trust and
 * key stores); a client with only one of the two, or none, is refused; a migration with live writes still completes with
 * a verified cutover. Each way alone (SCRAM over plaintext, mutual TLS) is checked on a broker of its own, without
 * services (one stack instead of three: the services pass the same settings on whatever they are).
 */
class KafkaSecurityTest {
    @RegisterExtension
    static final E2eStack STACK = E2eStack.of(Map.of("DFM_KAFKA_SASL", "scram", "DFM_KAFKA_TLS", "mtls"));

    @Test
    void aMigrationRunsOverABrokerThatWantsALoginAndACertificateAndRefusesClientsWithOnlyOne() {
        LocalStack stack = STACK.stack();
        Api api = STACK.api();
        Map<String, String> services = stack.kafka().clientProperties();
        assertEquals("SASL_SSL", services.get("security.protocol"));
        Map<String, String> login = Map.of("sasl.mechanism", services.get("sasl.mechanism"), "sasl.jaas.config", services.get("sasl.jaas.config"));
        Map<String, String> trust = Map.of("ssl.truststore.type", "PKCS12", "ssl.truststore.location", services.get("ssl.truststore.location"),
                "ssl.truststore.password", services.get("ssl.truststore.password"));
        Map<String, String> certificate = Map.of("ssl.keystore.type", "PKCS12", "ssl.keystore.location", services.get("ssl.keystore.location"),
                "ssl.keystore.password", services.get("ssl.keystore.password"), "ssl.key.password", services.get("ssl.key.password"));
        assertAdmitted(stack.kafka().bootstrapServers(), services);
        assertRefused(stack.kafka().bootstrapServers(), List.of(
                Map.of(),
                with(Map.of("security.protocol", "SASL_PLAINTEXT"), login),
                with(Map.of("security.protocol", "SSL"), trust, certificate),
                with(Map.of("security.protocol", "SASL_SSL"), login, trust)));

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

    /**
     * {@code DFM_KAFKA_SASL=scram} alone: SCRAM over plaintext, an anonymous client refused; {@code DFM_KAFKA_TLS=mtls}
     * alone: TLS only, a plaintext client and a TLS client without a certificate refused. Each with what the services get.
     */
    @Test
    void eachWayAloneAdmitsWhatTheServicesAreGivenAndRefusesTheRest() throws Exception {
        Path dir = Files.createTempDirectory(Path.of("target").toAbsolutePath(), "kafka-ways");
        KafkaBroker.Scram scram = new KafkaBroker.Scram("dfmigrate", "pw-" + System.nanoTime());
        // the stack's certificates (made once by keytool), and both brokers started at once: each is a JVM start
        Path stores = Path.of(STACK.stack().kafka().clientProperties().get("ssl.truststore.location")).getParent();
        KafkaBroker.MutualTls mtls = new KafkaBroker.MutualTls(LocalCertificates.in(stores));
        try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
            Future<KafkaBroker> scramBroker = pool.submit(() -> new KafkaBroker(dir.resolve("scram"), Ports.free(), Ports.free(), scram).start());
            Future<KafkaBroker> mtlsBroker = pool.submit(() -> new KafkaBroker(dir.resolve("mtls"), Ports.free(), Ports.free(), mtls).start());
            try (KafkaBroker broker = scramBroker.get()) {
                assertAdmitted(broker.bootstrapServers(), broker.clientProperties());
                assertEquals("SASL_PLAINTEXT", broker.clientProperties().get("security.protocol"));
                assertRefused(broker.bootstrapServers(), List.of(Map.of()));
            }
            try (KafkaBroker broker = mtlsBroker.get()) {
                Map<String, String> given = broker.clientProperties();
                assertAdmitted(broker.bootstrapServers(), given);
                assertEquals("SSL", given.get("security.protocol"));
                assertRefused(broker.bootstrapServers(), List.of(Map.of(), Map.of("security.protocol", "SSL",
                        "ssl.truststore.type", "PKCS12", "ssl.truststore.location", given.get("ssl.truststore.location"),
                        "ssl.truststore.password", given.get("ssl.truststore.password"))));
            }
        }
    }

    @SafeVarargs
    static Map<String, String> with(Map<String, String>... parts) {
        Map<String, String> all = new HashMap<>();
        for (Map<String, String> p : parts) {
            all.putAll(p);
        }
        return all;
    }

    static Admin admin(String bootstrap, Map<String, String> settings) {
        Properties client = new Properties();
        client.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        client.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 5000);
        client.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 3000);
        client.putAll(settings);
        return Admin.create(client);
    }

    static void assertAdmitted(String bootstrap, Map<String, String> settings) {
        try (Admin admin = admin(bootstrap, settings)) {
            Waits.await(() -> {
                try {
                    admin.listTopics().names().get(20, TimeUnit.SECONDS);
                    return true;
                } catch (Exception e) {
                    return false;
                }
            }, Duration.ofSeconds(60), "a client with " + settings.keySet() + " listing the topics");
        }
    }

    static void assertRefused(String bootstrap, List<Map<String, String>> clients) {
        for (Map<String, String> settings : clients) {
            try (Admin admin = admin(bootstrap, settings)) {
                assertThrows(ExecutionException.class, () -> admin.listTopics().names().get(20, TimeUnit.SECONDS),
                        "a client with " + settings.keySet() + " gets nothing from the broker");
            }
        }
    }
}

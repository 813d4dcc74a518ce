package io.dfmigrate.e2e;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;

/** A broker that accepts only SCRAM-SHA-512 logins (DFM_KAFKA_SASL=scram); an anonymous client is refused. */
class KafkaSaslTest extends KafkaSecurityCase {
    @BeforeAll
    static void start() {
        startStack(Map.of("DFM_KAFKA_SASL", "scram"));
    }

    @Override
    List<Map<String, String>> refusedClients() {
        return List.of(Map.of());
    }
}

package io.dfmigrate.e2e;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A broker that accepts only SCRAM-SHA-512 logins (DFM_KAFKA_SASL=scram); an anonymous client is refused. */
class KafkaSaslTest extends KafkaSecurityCase {
    @RegisterExtension
    static final E2eStack STACK = E2eStack.of(Map.of("DFM_KAFKA_SASL", "scram"));

    @Override
    E2eStack stackOfThisCase() {
        return STACK;
    }

    @Override
    List<Map<String, String>> refusedClients() {
        return List.of(Map.of());
    }
}

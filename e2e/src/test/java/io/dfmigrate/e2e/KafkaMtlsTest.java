package io.dfmigrate.e2e;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A broker that speaks only TLS and wants a client certificate of the local CA (DFM_KAFKA_TLS=mtls): the services
 * connect with KAFKA_SECURITY_PROTOCOL=SSL and their trust and key stores; a plaintext client and a TLS client that
 * trusts the broker but has no certificate of its own are both refused.
 */
class KafkaMtlsTest extends KafkaSecurityCase {
    @RegisterExtension
    static final E2eStack STACK = E2eStack.of(Map.of("DFM_KAFKA_TLS", "mtls"));

    @Override
    E2eStack stackOfThisCase() {
        return STACK;
    }

    @Override
    List<Map<String, String>> refusedClients() {
        Map<String, String> services = STACK.stack().kafka().clientProperties();
        return List.of(Map.of(), Map.of("security.protocol", "SSL",
                "ssl.truststore.type", "PKCS12",
                "ssl.truststore.location", services.get("ssl.truststore.location"),
                "ssl.truststore.password", services.get("ssl.truststore.password")));
    }
}

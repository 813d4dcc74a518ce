package io.dfmigrate.validator;

import io.dfmigrate.common.testing.ServiceImage;
import io.dfmigrate.localstack.LocalStack;
import io.dfmigrate.localstack.Ports;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** The validator's container image (built after package): starts from its settings in the environment and gets ready. */
class ValidatorImageIT {
    @Test
    void theImageStartsFromItsEnvironmentAsANonRootUserAndGetsReady() throws Exception {
        String image = ServiceImage.build("validator");
        try (LocalStack infra = new LocalStack(LocalStack.Config.forTests(ServiceImage.home(), LocalStack.testStateDir(Path.of("target"))))
                .startInfrastructure();
             var c = ServiceImage.assertStartsFromTheEnvironment(image, infra.serviceEnv("validator"), Ports.free())) {
            // ready on QUARKUS_MANAGEMENT_PORT means its Kafka channels reached KAFKA_BOOTSTRAP_SERVERS, both from the environment
            assertTrue(c.isRunning());
        }
    }
}

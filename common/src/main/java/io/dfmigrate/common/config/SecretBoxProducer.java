package io.dfmigrate.common.config;

import io.dfmigrate.common.secret.SecretBox;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.util.List;

/** The service's {@link SecretBox}; start-up fails with a clear message when a key is missing or malformed. */
@ApplicationScoped
public class SecretBoxProducer {
    @Produces
    @Singleton
    SecretBox secretBox(SecretConfig config) {
        return SecretBox.of(config.key(), config.previousKeys().orElse(List.of()));
    }
}

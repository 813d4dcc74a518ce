package io.dfmigrate.common.config;

import io.dfmigrate.common.secret.SecretBox;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

/** The service's {@link SecretBox}; start-up fails with a clear message when the key is missing or malformed. */
@ApplicationScoped
public class SecretBoxProducer {
    @Produces
    @Singleton
    SecretBox secretBox(SecretConfig config) {
        return SecretBox.fromBase64Key(config.key());
    }
}

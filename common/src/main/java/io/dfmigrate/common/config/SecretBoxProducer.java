package io.dfmigrate.common.config;

import io.dfmigrate.common.secret.SecretBox;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.util.List;

/**
 * The service's {@link SecretBox}, created at start-up (not at first use, minutes later), so that a
 * missing or malformed key stops the service at once with a message naming the setting.
 */
@ApplicationScoped
public class SecretBoxProducer {
    @Produces
    @Singleton
    SecretBox secretBox(SecretConfig config) {
        return SecretBox.of(config.key(), config.previousKeys().orElse(List.of()));
    }

    /** Start-up creates the box: a bad key fails here. */
    void atStartup(@Observes StartupEvent started, SecretBox box) {
        // creating it checked the keys
    }
}

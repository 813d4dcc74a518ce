package io.dfmigrate.validator.config;

import io.dfmigrate.common.messaging.StatusPublisher;
import io.smallrye.reactive.messaging.MutinyEmitter;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.reactive.messaging.Channel;

@ApplicationScoped
public class WorkerConfig {
    @Produces
    @Singleton
    StatusPublisher statusPublisher(@Channel("status-out") MutinyEmitter<String> emitter,
                                    @ConfigProperty(name = "dfm.instance") String instance) {
        return new StatusPublisher(emitter, "validator", instance);
    }
}

package io.dfmigrate.common.config;

import io.dfmigrate.common.messaging.EventSignatures;
import io.dfmigrate.common.messaging.StatusPublisher;
import io.dfmigrate.common.redis.RedisConnections;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.time.Duration;
import org.eclipse.microprofile.config.Config;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.reactive.messaging.Channel;

/**
 * What every worker service (validator, copier, replicator) shares: its {@code dfm.status} publisher, named
 * {@code <service>/<instance>} after {@code quarkus.application.name} without its {@code dfm-} prefix, and its pooled
 * Redis connections, bounded by the service's own {@code dfm.<service>.timeout}. The orchestrator, which publishes no
 * status, leaves this class out ({@code quarkus.arc.exclude-types}).
 */
@ApplicationScoped
public class WorkerProducers {
    @Produces
    @Singleton
    StatusPublisher statusPublisher(@Channel("status-out") MutinyEmitter<String> emitter, EventSignatures signatures,
                                    @ConfigProperty(name = "quarkus.application.name") String application,
                                    @ConfigProperty(name = "dfm.instance") String instance) {
        return new StatusPublisher(emitter, signatures, service(application), instance);
    }

    @Produces
    @Singleton
    RedisConnections connections(Vertx vertx, Config config, @ConfigProperty(name = "quarkus.application.name") String application) {
        return new RedisConnections(vertx, config.getValue("dfm." + service(application) + ".timeout", Duration.class));
    }

    void close(@Disposes RedisConnections connections) {
        connections.close();
    }

    static String service(String application) {
        return application.startsWith("dfm-") ? application.substring(4) : application;
    }
}

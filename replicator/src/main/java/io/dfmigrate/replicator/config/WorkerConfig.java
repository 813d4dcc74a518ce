package io.dfmigrate.replicator.config;

import io.dfmigrate.common.messaging.StatusPublisher;
import io.dfmigrate.common.redis.RedisConnections;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Disposes;
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
        return new StatusPublisher(emitter, "replicator", instance);
    }

    @Produces
    @Singleton
    RedisConnections connections(Vertx vertx, ReplicatorConfig config) {
        return new RedisConnections(vertx, config.timeout());
    }

    void close(@Disposes RedisConnections connections) {
        connections.close();
    }
}

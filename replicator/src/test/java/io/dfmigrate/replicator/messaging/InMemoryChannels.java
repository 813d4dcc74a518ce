package io.dfmigrate.replicator.messaging;

import io.dfmigrate.localstack.KafkaBroker;
import io.dfmigrate.localstack.StackException;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.smallrye.reactive.messaging.memory.InMemoryConnector;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * The replicator's SmallRye channels in memory (the test plays the orchestrator: it sends the phase commands and reads
 * the status reports), and a real Kafka broker for {@code dfm.changes}, which the capture and the appliers use directly.
 */
public class InMemoryChannels implements QuarkusTestResourceLifecycleManager {
    private KafkaBroker kafka;

    @Override
    public Map<String, String> start() {
        try {
            Path dir = Files.createDirectories(Path.of("target").toAbsolutePath()).resolve("kafka-flow-" + System.nanoTime());
            kafka = StackException.onFreePorts((port, controller) -> new KafkaBroker(dir, port, controller).start());
            kafka.createTopics();
        } catch (Exception e) {
            throw new IllegalStateException("Kafka for the replicator test did not start: " + e, e);
        }
        Map<String, String> config = new HashMap<>();
        config.putAll(InMemoryConnector.switchIncomingChannelsToInMemory("phases-in", "control-in"));
        config.putAll(InMemoryConnector.switchOutgoingChannelsToInMemory("status-out"));
        config.put("kafka.bootstrap.servers", kafka.bootstrapServers());
        return config;
    }

    @Override
    public void stop() {
        InMemoryConnector.clear();
        if (kafka != null) {
            kafka.close();
        }
    }
}

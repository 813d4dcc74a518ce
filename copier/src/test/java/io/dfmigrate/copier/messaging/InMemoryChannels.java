package io.dfmigrate.copier.messaging;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.smallrye.reactive.messaging.memory.InMemoryConnector;
import java.util.HashMap;
import java.util.Map;

/** Every channel of the copier in memory: the test plays the orchestrator and Kafka's batch topic. */
public class InMemoryChannels implements QuarkusTestResourceLifecycleManager {
    @Override
    public Map<String, String> start() {
        Map<String, String> config = new HashMap<>();
        config.putAll(InMemoryConnector.switchIncomingChannelsToInMemory("phases-in", "control-in", "batches-in"));
        config.putAll(InMemoryConnector.switchOutgoingChannelsToInMemory("batches-out", "status-out"));
        // small batches and a low big-key threshold, so a small source has several batches and a chunked big key
        config.put("dfm.copier.batch-size", "50");
        config.put("dfm.copier.snapshot-batch-keys", "50");
        config.put("dfm.copier.big-key-bytes", "4096");
        config.put("dfm.copier.chunk-elements", "100");
        return config;
    }

    @Override
    public void stop() {
        InMemoryConnector.clear();
    }
}

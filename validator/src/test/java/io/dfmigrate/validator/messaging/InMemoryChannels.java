package io.dfmigrate.validator.messaging;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.smallrye.reactive.messaging.memory.InMemoryConnector;
import java.util.HashMap;
import java.util.Map;

/** The validator's channels in memory: the test plays the orchestrator. */
public class InMemoryChannels implements QuarkusTestResourceLifecycleManager {
    @Override
    public Map<String, String> start() {
        Map<String, String> config = new HashMap<>(InMemoryConnector.switchIncomingChannelsToInMemory("phases-in"));
        config.putAll(InMemoryConnector.switchOutgoingChannelsToInMemory("status-out"));
        return config;
    }

    @Override
    public void stop() {
        InMemoryConnector.clear();
    }
}

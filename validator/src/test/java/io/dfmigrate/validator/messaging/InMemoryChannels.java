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
        config.put("dfm.allowed-endpoints", "127.0.0.1/32"); // loopback neighbours are outside the allowlist
        return config;
    }

    @Override
    public void stop() {
        InMemoryConnector.clear();
    }
}

package io.dfmigrate.replicator.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

@ConfigMapping(prefix = "dfm.replicator")
public interface ReplicatorConfig {
    /** Bound of each connect and pipeline. */
    @WithDefault("30s")
    Duration timeout();

    /** How often capture and appliers report counters, lag and liveness. */
    @WithDefault("1s")
    Duration reportInterval();
}

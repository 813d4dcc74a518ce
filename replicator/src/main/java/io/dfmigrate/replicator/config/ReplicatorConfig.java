package io.dfmigrate.replicator.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

@ConfigMapping(prefix = "dfm.replicator")
public interface ReplicatorConfig {
    /** Bound of each connect and pipeline. */
    @WithDefault("30s")
    Duration timeout();

    /** Longest write pause of a cutover: if the drain has not finished by then, the pause ends and the cutover is aborted. */
    @WithDefault("30s")
    Duration cutoverMaxPause();

    /** How often capture and appliers report counters, lag and liveness. */
    @WithDefault("1s")
    Duration reportInterval();
}

package io.dfmigrate.validator.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

@ConfigMapping(prefix = "dfm.validator")
public interface ValidatorConfig {
    /** Bound of every network call (connect, each command) of a validation run. */
    @WithDefault("5s")
    Duration timeout();

    /** Keys sampled per source database for the data checks (type, TTL, size). */
    @WithDefault("2000")
    int sampleKeys();

    /** A key with more elements than this, or more bytes than {@link #bigKeyBytes()}, is a big key. */
    @WithDefault("100000")
    long bigKeyElements();

    @WithDefault("67108864")
    long bigKeyBytes();

    /** Dragonfly's string limit (256 MB). */
    @WithDefault("268435456")
    long maxStringBytes();

    /** Dragonfly's TTL limit (8 years). */
    @WithDefault("P2922D")
    Duration maxTtl();

    /** Round trips above this are reported as a WARNING. */
    @WithDefault("50ms")
    Duration latencyWarning();

    /** How long the source's write rate is measured (in parallel with the other probes). */
    @WithDefault("3s")
    Duration writeRateWindow();

    /** Changes per second one replicator's capture was measured to carry on the reference machine (docs/benchmarks.md). */
    @WithDefault("40000")
    long captureCapacity();
}

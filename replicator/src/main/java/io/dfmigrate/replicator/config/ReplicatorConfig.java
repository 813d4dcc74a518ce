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

    /**
     * While writes are paused, the cutover verifies (docs/verification.md) every key changed in this window before the
     * pause, as captured; a difference fails the cutover.
     */
    @WithDefault("60s")
    Duration cutoverVerifyWindow();

    /** Keys a capture remembers for that verification at most (the most recently changed). */
    @WithDefault("100000")
    int cutoverVerifyRecentKeys();

    /** A source with at most this many keys is verified whole at the cutover (0: only the recently changed keys). */
    @WithDefault("10000")
    long cutoverVerifyAllBelow();

    /**
     * Before the cutover's pause, how long the search for the source's streams (SCAN … TYPE stream) may take: their
     * consumer groups are given to the target again while writes are paused (docs/architecture.md).
     */
    @WithDefault("60s")
    Duration cutoverStreamSearch();

    /**
     * After the capture's subscription broke, how long it tries to subscribe again (every second) before the migration
     * fails: long enough for a Sentinel failover (down-after-milliseconds plus the election) or a source's restart.
     */
    @WithDefault("60s")
    Duration captureResubscribe();

    /**
     * Distinct keys a capture buffers for Kafka at most; at this size it stops reading the source's notifications until
     * the buffer is half empty (the source holds them meanwhile, up to its pubsub output buffer limit).
     */
    @WithDefault("100000")
    int captureBufferKeys();

    /** Distinct keys an applier collects (coalescing repeated changes of a key) before it syncs them and commits. */
    @WithDefault("20000")
    int applyBatchKeys();

    /** Records an applier reads from dfm.changes per poll. */
    @WithDefault("5000")
    int applyPollRecords();

    /** How often capture and appliers report counters, lag and liveness. */
    @WithDefault("1s")
    Duration reportInterval();
}

package io.dfmigrate.copier.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.List;

@ConfigMapping(prefix = "dfm.copier")
public interface CopierConfig {
    /** Batches one instance copies at once. */
    @WithDefault("8")
    int concurrency();

    /** Key names per batch: bigger batches mean fewer Kafka messages and acknowledgements per key. */
    @WithDefault("10000")
    int batchSize();

    /** Upper bound of key-name bytes per batch (base64 in JSON must stay under Kafka's 1 MB message limit). */
    @WithDefault("524288")
    int batchMaxBytes();

    /** SCAN COUNT hint. */
    @WithDefault("1000")
    int scanCount();

    /** Keys larger than this (MEMORY USAGE) are copied by type in chunks into a temporary key, then RENAMEd. */
    @WithDefault("67108864")
    long bigKeyBytes();

    /** Elements per chunk of a structural copy. */
    @WithDefault("1000")
    int chunkElements();

    /** Bound of each connect and pipeline. */
    @WithDefault("30s")
    Duration timeout();

    /** How often an instance reports its live copy totals per run ({@code dfm.status.copy.progress.v1}). */
    @WithDefault("1s")
    Duration progressInterval();

    /** While an instance works on a migration run it says so this often (the orchestrator fails silent migrations). */
    @WithDefault("5s")
    Duration heartbeatInterval();

    /**
     * Verification: the pauses before each re-check of keys that differ (a change on the source reaches the target in
     * about the replication lag); only keys that differ after the last one are reported.
     */
    @WithDefault("500ms,2s,5s")
    List<Duration> verifyRecheckDelays();

    /**
     * Verification while the migration replicates: how long a batch waits for the run's appliers to apply every change
     * captured so far before it compares the keys still differing once more (longer: their difference is not proven,
     * they are reported as unsettled).
     */
    @WithDefault("2m")
    Duration verifyAppliedWait();

    /** Verification: differences per status report (a batch with more is reported in several parts, under Kafka's limit). */
    @WithDefault("200")
    int verifyDifferencesPerReport();

    /** copyMode=snapshot: batches of keys from the snapshot written to the target at once (each one RESTORE pipeline). */
    @WithDefault("2")
    int snapshotWriters();

    /**
     * copyMode=snapshot: keys per batch (a snapshot's batch is no Kafka message: only its acknowledgement is, so it can be
     * bigger than a scanned one; 20,000 instead of 10,000 halved the orchestrator's bookkeeping, docs/benchmarks.md).
     */
    @WithDefault("20000")
    int snapshotBatchKeys();

    /** copyMode=snapshot: upper bound of DUMP payload bytes per batch (bounds the copier's memory with snapshotBatchKeys). */
    @WithDefault("8388608")
    int snapshotBatchBytes();

    /**
     * copyMode=snapshot: the largest key (its snapshot bytes) the reader holds whole; a bigger one stops the copy with
     * what to do (copyMode=scan copies big keys in chunks). 64 MiB: a key takes about three times its size in the heap
     * while it is held and written, and the local stack gives each service 256 MB.
     */
    @WithDefault("67108864")
    long snapshotMaxKeyBytes();

    /** Attempts of a batch whose source or target connection failed, before the migration is failed. */
    @WithDefault("3")
    int retries();

    /**
     * A source whose masters can change (a Redis Cluster, a Sentinel-managed master): a scan or batch that fails there
     * is tried again, each time asking anew for the masters, for up to this long (a failover's detection and election)
     * even past {@code retries}.
     */
    @WithDefault("60s")
    Duration failoverWait();
}

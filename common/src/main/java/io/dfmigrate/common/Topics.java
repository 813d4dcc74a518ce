package io.dfmigrate.common;

/** Kafka topic names shared by every service (docs/events.md). */
public final class Topics {
    /** orchestrator → workers: phase commands, keyed by migration id. */
    public static final String PHASES = "dfm.phases";
    /** workers → orchestrator: progress, completion, failure, validation reports; keyed by migration id. */
    public static final String STATUS = "dfm.status";
    /** copier scanner → copier workers: key-name batches (never values), keyed by batch id. */
    public static final String COPY_BATCHES = "dfm.copy.batches";
    /** replicator capture → appliers: changed key names, keyed by db + key. */
    public static final String CHANGES = "dfm.changes";
    /** orchestrator → external consumers: every transition and operator action. */
    public static final String AUDIT = "dfm.audit";
    /**
     * orchestrator → every copier and replicator instance: the control commands of the live runs (replicate, reconcile,
     * cutover, stop, complete), compacted, keyed by {@link #runStateKey}. An instance reads it from the beginning when it
     * starts: the latest command of each kind per run, in the order they were given, whatever the retention of
     * {@link #PHASES}; an ended run's replicate, reconcile and cutover commands are deleted (tombstones).
     */
    public static final String RUNS = "dfm.runs";

    /** The key of a command on {@link #RUNS}: {@code <migration id>:<run>|<kind>}; partitioned by the migration id. */
    public static String runStateKey(String migrationId, int run, String kind) {
        return migrationId + ":" + run + "|" + kind;
    }

    /** Topic settings the local stack and the manifests give a topic besides its partitions (compaction for {@link #RUNS}). */
    public static java.util.Map<String, String> configs(String topic) {
        return topic.equals(RUNS)
                ? java.util.Map.of("cleanup.policy", "compact", "segment.ms", "3600000", "min.cleanable.dirty.ratio", "0.1",
                        "delete.retention.ms", "86400000")
                : java.util.Map.of();
    }

    /** Partitions each topic gets when the local stack creates it. */
    public static int defaultPartitions(String topic) {
        return switch (topic) {
            case COPY_BATCHES, CHANGES -> 12;
            default -> 3;
        };
    }

    /**
     * The consumer group that applies the changes of one migration run from {@link #CHANGES}: it exists (with committed
     * offsets on every partition) from the start of the run's capture until the run ends.
     */
    public static String applierGroup(String migrationId, int run) {
        return "dfm-apply-" + migrationId + "-" + run;
    }

    public static final String[] ALL = {PHASES, STATUS, COPY_BATCHES, CHANGES, AUDIT, RUNS};

    private Topics() {
    }
}

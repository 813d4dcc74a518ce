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

    public static final String[] ALL = {PHASES, STATUS, COPY_BATCHES, CHANGES, AUDIT};

    private Topics() {
    }
}

package io.dfmigrate.orchestrator.persistence;

/**
 * One master of a Redis Cluster source in the current run (JSON in {@code migration.shards}, keyed by host:port): its
 * share of the copy, of the replication and of the cutover. Null fields are not known yet.
 */
public class ShardState {
    /** The copy: key names and batches its scan published, batches acknowledged, keys copied and failed. */
    public Long keysTotal;
    public Long batchesTotal;
    public long batchesDone;
    public long keysCopied;
    public long keysFailed;
    /** Replication: changes captured from it (the capture's count), whether it is subscribed, changes applied, their age. */
    public Long captured;
    public Boolean subscribed;
    public long applied;
    public Long lagMillis;
    /** The cutover: writes paused on it, its keys while paused, keys of it found different on the target. */
    public Boolean paused;
    public Long cutoverKeys;
    public Long cutoverDiffer;
}

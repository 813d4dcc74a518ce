package io.dfmigrate.common.event;

import java.util.List;

/**
 * Key names of one database to copy, on {@code dfm.copy.batches} keyed by batch id. Keys are bytes (base64 in
 * JSON); values never travel through Kafka. {@code batchId} is unique within a run and is the idempotency key
 * of its acknowledgement. {@code pass} is null for the initial copy, N for reconciliation pass N. {@code shard}: the
 * master (host:port) of a Redis Cluster source whose scan found the names (null for other sources), echoed in the batch's
 * report for per-shard progress.
 */
public record CopyBatch(
        String type,
        String batchId,
        String migrationId,
        int run,
        int db,
        List<byte[]> keys,
        EndpointRef source,
        EndpointRef target,
        MigrationOptions options,
        Integer pass,
        String shard) implements BatchRecord {

    public CopyBatch(String type, String batchId, String migrationId, int run, int db, List<byte[]> keys, EndpointRef source,
                     EndpointRef target, MigrationOptions options, Integer pass) {
        this(type, batchId, migrationId, run, db, keys, source, target, options, pass, null);
    }
}

package io.dfmigrate.common.event;

import java.util.List;

/**
 * Key names of one database to verify, on {@code dfm.copy.batches} (type {@code dfm.verify.batch.v1}) keyed by batch
 * id: {@code side} {@code s} for keys scanned on the source (compared in full), {@code t} for keys scanned on the
 * target (looked for on the source only: extra keys). Values never travel through Kafka.
 */
public record VerifyBatch(
        String type,
        String batchId,
        String migrationId,
        int run,
        int db,
        String side,
        List<byte[]> keys,
        EndpointRef source,
        EndpointRef target,
        MigrationOptions options,
        VerifyRequest verify) implements BatchRecord {

    public static final String SOURCE_SIDE = "s";
    public static final String TARGET_SIDE = "t";
}

package io.dfmigrate.common.redis;

import java.util.List;

/**
 * A source's keys as a copy reads them: batches of one database each, in the source's order. {@link KeyScanner} gives
 * names (their values are read back per batch: copyMode scan); {@link SnapshotReader} gives each key's payload and
 * absolute expiry as the source's RDB snapshot holds them (copyMode snapshot). A cluster source (a reader per master)
 * and the sync mode (the snapshot half of a replica link) read through the same interface.
 */
public sealed interface SourceReader permits KeyScanner, SnapshotReader {

    /**
     * Keys of database {@code db}. Names only ({@link #namesOnly()}: {@code expireAtMillis} and {@code payloads} are
     * null), or with each key's expiry (Unix ms on the source's clock, -1 without one) and DUMP payload, index for index.
     * {@code bytes}: the names' bytes, plus the payloads' when there are any.
     */
    record Batch(int db, List<byte[]> keys, List<Long> expireAtMillis, List<byte[]> payloads, long bytes) {
        public boolean namesOnly() {
            return payloads == null;
        }
    }

    /** Receives the batches; may block (back-pressure: the reader waits) or throw to stop the read (the exception as thrown). */
    @FunctionalInterface
    interface Sink {
        void accept(Batch batch) throws Exception;
    }

    /**
     * Reads everything the reader covers, handing over batches of at most {@code batchKeys} keys and about
     * {@code batchBytes} bytes; returns the number of keys handed over. Fails with a {@link RedisCommandException} that
     * names the endpoint and never a credential, or with the sink's own exception.
     */
    long read(int batchKeys, long batchBytes, Sink sink);

    /** A sink's checked exception on its way out of a reader: runtime ones pass as they are. */
    static RuntimeException rethrown(Exception e) {
        if (e instanceof RuntimeException re) {
            return re;
        }
        if (e instanceof InterruptedException) {
            Thread.currentThread().interrupt();
        }
        return new RedisCommandException(e.toString(), e);
    }
}

package io.dfmigrate.common.redis;

import com.moilioncircle.redis.replicator.Configuration;
import com.moilioncircle.redis.replicator.FileType;
import com.moilioncircle.redis.replicator.RedisReplicator;
import com.moilioncircle.redis.replicator.event.PostRdbSyncEvent;
import com.moilioncircle.redis.replicator.rdb.datatype.ExpiredType;
import com.moilioncircle.redis.replicator.rdb.dump.DumpRdbVisitor;
import com.moilioncircle.redis.replicator.rdb.dump.datatype.DumpKeyValuePair;
import io.dfmigrate.common.endpoint.RedisEndpoint;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code options.copyMode=snapshot}: the source's keys as of one moment, read from the RDB snapshot the source streams to
 * a new replica ({@code PSYNC ? -1}, a full sync) instead of a DUMP per key, parsed by redis-replicator's
 * {@link DumpRdbVisitor} (with what RDB 12 adds: {@link SnapshotRdbVisitor}) into one DUMP payload per key (type byte, value, RDB version, CRC: what DUMP returns). The
 * connection is our own socket (credentials, TLS, SNI and CA as every other connection; the endpoint policy applies), so
 * nothing of the library's own replica (retries, its logging of AUTH) is used: a {@link ReplicationLink}, closed right
 * after the snapshot: the source's replication stream is not read (change capture carries the changes, as in scan mode).
 *
 * <p>The source pays one fork (copy-on-write memory while the snapshot is written, as for any replica's full sync or
 * BGSAVE) and sends the data once, sequentially; its main thread does no per-key work. It lists a replica with port 0
 * for as long as the snapshot streams.
 */
public final class SnapshotReader implements SourceReader {
    /** One key: {@code expireAtMillis} is Unix ms on the source's clock, -1 without a TTL. */
    public record Entry(int db, byte[] key, long expireAtMillis, byte[] payload) {
    }

    /** Receives the keys one by one in snapshot order; may block or throw to abort. */
    @FunctionalInterface
    private interface EntrySink {
        void accept(Entry entry) throws Exception;
    }

    /** The highest RDB version the parser reads (Redis 7.4 to 8.x, hash-field TTLs included); newer ones need copyMode scan. */
    public static final int MAX_RDB_VERSION = SnapshotRdbVisitor.MAX_VERSION;


    private final RedisEndpoint source;
    private final Duration timeout;
    private final long maxKeyBytes;

    /**
     * A reader of {@code source}'s snapshot: {@code timeout} bounds connecting and every read (the source sends keep-alive
     * newlines while it prepares the snapshot). The parser builds each key's payload whole (and the caller writes it with
     * one RESTORE): {@code maxKeyBytes} bounds the snapshot bytes one key may take, so a single huge key fails the read
     * with a {@link KeyTooLarge} that says what to do, instead of exhausting the worker's heap (holding such a key takes
     * about twice its size).
     */
    public SnapshotReader(RedisEndpoint source, Duration timeout, long maxKeyBytes) {
        this.source = source;
        this.timeout = timeout;
        this.maxKeyBytes = maxKeyBytes;
    }

    /**
     * Reads the whole snapshot: every database's keys, one database after the other as the snapshot holds them, in
     * batches of one database. Fails with a {@link RedisCommandException} that names the endpoint and never a credential,
     * or with the sink's own exception as it was thrown.
     */
    @Override
    public long read(int batchKeys, long batchBytes, Sink sink) {
        Open open = new Open(batchKeys);
        long keys = entries(entry -> {
            if (!open.keys.isEmpty() && open.db != entry.db()) {
                open.handOver(sink); // the previous database is complete
            }
            open.db = entry.db();
            open.keys.add(entry.key());
            open.expireAt.add(entry.expireAtMillis());
            open.payloads.add(entry.payload());
            open.bytes += entry.key().length + entry.payload().length;
            if (open.keys.size() >= batchKeys || open.bytes >= batchBytes) {
                open.handOver(sink);
            }
        });
        if (!open.keys.isEmpty()) {
            try {
                open.handOver(sink);
            } catch (Exception e) {
                throw SourceReader.rethrown(e);
            }
        }
        return keys;
    }

    /** The batch being filled. */
    private static final class Open {
        private final int capacity;
        int db;
        List<byte[]> keys;
        List<Long> expireAt;
        List<byte[]> payloads;
        long bytes;

        Open(int batchKeys) {
            this.capacity = Math.min(batchKeys, 16_384); // a batch is cut by bytes first when its values are big
            reset();
        }

        void handOver(Sink sink) throws Exception {
            Batch b = new Batch(db, keys, expireAt, payloads, bytes);
            reset();
            sink.accept(b);
        }

        private void reset() {
            keys = new ArrayList<>(capacity);
            expireAt = new ArrayList<>(capacity);
            payloads = new ArrayList<>(capacity);
            bytes = 0;
        }
    }

    private long entries(EntrySink sink) {
        // a full sync's snapshot over our own replica link; closed right after it (change capture carries the changes)
        try (ReplicationLink link = ReplicationLink.open(source, null, 0, timeout)) {
            return parse(new KeyBound(link.snapshot(), maxKeyBytes), sink, source);
        } catch (KeyTooLarge e) {
            throw new RedisCommandException(source.address() + ": " + e.getMessage(), e);
        } catch (IOException e) {
            throw new RedisCommandException(source.address() + ": the snapshot could not be read: " + e.getMessage(), e);
        }
    }

    private static long parse(KeyBound rdb, EntrySink sink, RedisEndpoint source) throws IOException {
        long[] keys = {0};
        Exception[] failed = {null};
        RuntimeException[] sinkFailed = {null};
        boolean[] ended = {false};
        RedisReplicator replicator = new RedisReplicator(rdb, FileType.RDB, Configuration.defaultSetting().setUseDefaultExceptionListener(false));
        try {
            replicator.setRdbVisitor(new SnapshotRdbVisitor(replicator, -1, 256)); // 256: each value's first buffer (8 KB by default)
            replicator.addEventListener((r, event) -> {
                if (event instanceof PostRdbSyncEvent) {
                    ended[0] = true; // the parser met the snapshot's end marker (a cut stream ends quietly without it)
                }
                if (failed[0] != null || !(event instanceof DumpKeyValuePair kv)) {
                    return;
                }
                rdb.keyRead((int) kv.getDb().getDbNumber(), kv.getKey());
                long expireAt = kv.getExpiredType() == ExpiredType.NONE ? -1
                        : kv.getExpiredType() == ExpiredType.SECOND ? kv.getExpiredValue() * 1000 : kv.getExpiredValue();
                try {
                    sink.accept(new Entry((int) kv.getDb().getDbNumber(), kv.getKey(), expireAt, kv.getValue()));
                    keys[0]++;
                } catch (Exception e) {
                    failed[0] = e;
                    sinkFailed[0] = e instanceof RuntimeException re ? re : null;
                    try {
                        r.close(); // stops the parser: nothing more is read
                    } catch (IOException ignored) {
                        // closing
                    }
                }
            });
            replicator.addExceptionListener((r, error, event) -> {
                if (failed[0] == null) {
                    failed[0] = error instanceof Exception ex ? ex : new IOException(error);
                }
            });
            replicator.open();
        } catch (RuntimeException e) {
            if (failed[0] == null) {
                failed[0] = e;
            }
        } finally {
            replicator.close();
        }
        if (sinkFailed[0] != null) {
            throw sinkFailed[0]; // the sink's own reason (e.g. the run ended, a write failed), as it was thrown
        }
        for (Throwable t = failed[0]; t != null; t = t.getCause()) {
            if (t instanceof KeyTooLarge tooLarge) {
                throw tooLarge;
            }
        }
        if (failed[0] != null) {
            throw new RedisCommandException(source.address() + ": the snapshot could not be read: " + failed[0], failed[0]);
        }
        if (!ended[0]) {
            throw new RedisCommandException(source.address() + ": the source closed the link before the snapshot ended (after "
                    + keys[0] + " key(s))");
        }
        return keys[0];
    }

    /** A key whose snapshot bytes passed the bound: the read stops before its payload is held whole. */
    public static final class KeyTooLarge extends IOException {
        KeyTooLarge(String message) {
            super(message);
        }
    }

    /**
     * Counts the snapshot bytes read since the last key ended (a key's value follows its name; the parser's read-ahead
     * makes the count a few KB early, never late) and stops the parser once they pass the bound.
     */
    private static final class KeyBound extends FilterInputStream {
        private final long max;
        private long sinceKey;
        private long keys;
        private int db;
        private byte[] lastKey;

        KeyBound(InputStream in, long max) {
            super(in);
            this.max = max;
        }

        void keyRead(int db, byte[] key) {
            this.db = db;
            this.lastKey = key;
            keys++;
            sinceKey = 0;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            count(b < 0 ? 0 : 1);
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            count(Math.max(0, n));
            return n;
        }

        private void count(int n) throws KeyTooLarge {
            sinceKey += n;
            if (sinceKey > max) {
                throw new KeyTooLarge("a key of the snapshot is larger than " + max + " bytes ("
                        + (lastKey == null ? "the first key" : "the key after '" + BlockingRedis.cut(KeySync.printable(lastKey)) + "' of db " + db)
                        + ", " + keys + " key(s) read before it): copyMode=snapshot holds each key whole; use copyMode=scan, which"
                        + " copies big keys by type in chunks, or raise DFM_COPIER_SNAPSHOT_MAX_KEY_BYTES together with the"
                        + " copier's heap (a key takes about three times its size while it is held and written)");
            }
        }
    }
}

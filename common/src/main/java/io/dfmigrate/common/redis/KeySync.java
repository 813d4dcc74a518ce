package io.dfmigrate.common.redis;

import io.dfmigrate.common.event.KeyFailure;
import io.vertx.core.buffer.Buffer;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The key-sync engine shared by copier and replicator: makes the target's copy of each key equal to the source's
 * current state. Per batch the source is read ({@link SourceRead}: one read-only script call returns the source's TIME,
 * {@code PTTL} and {@code DUMP} of every key; sources that refuse scripts get pipelines), the payloads are made
 * restorable on the target ({@link PayloadAdapter}: re-stamped or converted), and one pipeline of
 * {@code RESTORE key deadline payload ABSTTL REPLACE} (or {@code DEL} for a key that is gone; without REPLACE and without
 * DEL for the initial copy without overwrite, {@link #keepingExisting}) goes to the target. Small keys whose payload the
 * target still refuses are written by type many at once ({@link TypedCopy}), big keys by type in chunks
 * ({@link StructuralCopy}). What one batch has done and has still to do is its {@link BatchWork}; TTLs are deadlines
 * ({@link Deadlines}). Keys and values are bytes end to end. Idempotent: syncing a key twice leaves the same result.
 */
public final class KeySync {
    // RESTORE's constant arguments, encoded once (a request keeps a byte[] argument as it is; never modified)
    private static final byte[] NO_TTL = {'0'};
    private static final byte[] ABSTTL = "ABSTTL".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] REPLACE = "REPLACE".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] RESTORE = "RESTORE".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] DEL = "DEL".getBytes(StandardCharsets.US_ASCII);

    /** The source's read script ({@link SourceRead#SCRIPT}); the validator tries it on the source. */
    public static final String READ_SCRIPT = SourceRead.SCRIPT;
    /** A refused payload at most this long is a small key: read and written by type in pipelines, not one by one. */
    static final int SMALL_TYPED_BYTES = 64 * 1024;

    private final BlockingRedis source;
    private final BlockingRedis target;
    private final Limits limits;
    private final Deadlines deadlines;
    private final PayloadAdapter adapter;
    private CopyProgress progress;
    private boolean keepExisting;
    private String tmpPrefix = StructuralCopy.TMP_PREFIX;

    /**
     * {@code bigKeyBytes}: above it a key is copied by type in chunks of {@code chunk} elements; {@code sourceOps}: optional
     * rate limit; {@code pipelineBytes}: values DUMPed in one pipeline at most (a batch is sliced to stay under it).
     */
    public record Limits(long bigKeyBytes, int chunk, RateLimiter sourceOps, long pipelineBytes) {
        public static final Limits DEFAULT = new Limits(64L << 20, 1000, null, 32L << 20);

        public Limits(long bigKeyBytes, int chunk) {
            this(bigKeyBytes, chunk, null, DEFAULT.pipelineBytes());
        }

        public Limits(long bigKeyBytes, int chunk, RateLimiter sourceOps) {
            this(bigKeyBytes, chunk, sourceOps, DEFAULT.pipelineBytes());
        }
    }

    /**
     * Outcome of one batch. {@code written} keys were restored (by RESTORE or structurally), {@code deleted} were gone
     * on the source, {@code structural} of the written ones were copied by type (big keys, refused DUMP payloads).
     */
    public record Result(long written, long deleted, long bytes, long structural, List<KeyFailure> failures) {
        public static final Result NONE = new Result(0, 0, 0, 0, List.of());

        public long failed() {
            return failures.size();
        }

        /** Both results together (the groups of one batch synced from the servers of a cluster, one by one). */
        public Result plus(Result other) {
            List<KeyFailure> all = new java.util.ArrayList<>(failures);
            all.addAll(other.failures);
            return new Result(written + other.written, deleted + other.deleted, bytes + other.bytes, structural + other.structural,
                    List.copyOf(all));
        }
    }

    public KeySync(BlockingRedis source, BlockingRedis target) {
        this(source, target, Limits.DEFAULT);
    }

    public KeySync(BlockingRedis source, BlockingRedis target, Limits limits) {
        if (source.db() != target.db()) {
            throw new IllegalArgumentException("source db " + source.db() + " and target db " + target.db() + " differ");
        }
        this.source = source;
        this.target = target;
        this.limits = limits;
        this.deadlines = new Deadlines(source, target);
        this.adapter = new PayloadAdapter(target);
    }

    /** Keys this engine sent with a payload re-stamped for the target's RDB version ({@link DumpPayload}). */
    public long restamped() {
        return adapter.restamped();
    }

    /** Keys this engine sent with a payload converted to an older encoding for the target ({@link DumpConversion}). */
    public long converted() {
        return adapter.converted();
    }

    /**
     * Payloads newer than the target are not converted ({@link DumpConversion}), only re-stamped or copied by type: for
     * tests of the by-type paths, which payloads that cannot be converted (hash-field TTLs into Dragonfly) take.
     */
    KeySync withoutConversion() {
        adapter.withoutConversion();
        return this;
    }

    /** Counts written keys, bytes, failures and big-key elements into {@code progress} as the work goes (live progress). */
    public KeySync reporting(CopyProgress progress) {
        this.progress = progress;
        return this;
    }

    /**
     * The initial copy without {@code options.overwrite}: a key the target already has is never replaced or deleted.
     * RESTORE goes without REPLACE; a key it finds ({@code BUSYKEY}) holding the same payload, or (on a target that
     * re-encodes what it restores, e.g. Dragonfly or a converted payload) the same value and TTL as the source, is this
     * copy's own earlier write (a retried batch) and counts as written; one holding anything else is a conflict, reported
     * as a failure of that key and left as it is. Keys gone from the source are not deleted on the target (change capture deletes what
     * this migration wrote). Structural copies put the key in place with RENAMENX.
     */
    public KeySync keepingExisting(boolean keep) {
        this.keepExisting = keep;
        return this;
    }

    /** Names the temporary keys of structural copies after the run ({@code dfm:tmp:<migration>:<run>:…}), for the sweep at its end. */
    public KeySync forRun(String migrationId, int run) {
        this.tmpPrefix = StructuralCopy.tmpPrefix(migrationId, run);
        return this;
    }

    /** A retried batch's keys compared once, as the verification compares them (values, TTLs within a second). */
    private static final KeyVerifier.Settings SAME_VALUE = new KeyVerifier.Settings(1000, 1000, List.of(), null);

    /** Of {@code keys}, those the target does not hold with the source's value and TTL (compared once, as the verification does). */
    static Set<ByteBuffer> differFromSource(BlockingRedis source, BlockingRedis target, List<byte[]> keys) {
        Set<ByteBuffer> differ = new HashSet<>();
        new KeyVerifier(source, target, SAME_VALUE).verify(keys, true).differences().forEach(d -> differ.add(ByteBuffer.wrap(d.key())));
        return differ;
    }

    /** The failure reason of a key the target already had, which the copy without overwrite keeps. */
    public static final String CONFLICT = "the target already has this key with another value; options.overwrite=false keeps it";

    /**
     * Error replies that are about the server, not about one key: out of memory, read-only replica, missing permission,
     * loading, a failed background save, a busy script, cluster or replica trouble. A batch that meets one is not done:
     * it fails as a whole (retried, then the migration fails with the server's reason), never as per-key failures.
     */
    private static final Pattern SERVER_FAULT = Pattern.compile(
            "(^|[\\s:])(OOM|READONLY|NOPERM|LOADING|MISCONF|MASTERDOWN|NOAUTH|WRONGPASS|CLUSTERDOWN|TRYAGAIN|MOVED|ASK|NOREPLICAS|BUSY)\\b");

    static boolean serverFault(String error) {
        // NOPERM about "one of the keys" is an ACL key pattern refusing this key, not the user's rights as a whole
        return error != null && SERVER_FAULT.matcher(error).find() && !(error.contains("NOPERM") && error.contains("of the keys"));
    }

    /** Throws when {@code error}, a reply of {@code side}, is about the server rather than one key. */
    static void failOnServerFault(BlockingRedis side, String role, String error) {
        if (serverFault(error)) {
            throw new RedisCommandException(side.endpoint().address() + ": the " + role + " refused the batch: " + error);
        }
    }

    /** RESTORE errors that mean "this payload cannot be restored here", not "this key is broken". */
    static boolean formatRefused(String error) {
        String e = error.toUpperCase();
        return e.contains("PAYLOAD VERSION") || e.contains("CHECKSUM") || e.contains("BAD DATA FORMAT");
    }

    public Result sync(List<byte[]> keys) {
        if (keys.isEmpty()) {
            return new Result(0, 0, 0, 0, List.of());
        }
        BatchWork w = new BatchWork();
        new SourceRead(source, limits, deadlines, this::write).read(keys, w);
        return finish(w);
    }

    /**
     * Keys whose DUMP payloads were read elsewhere ({@link SnapshotReader}, {@code copyMode=snapshot}), each with its expiry
     * as Unix ms on this machine's clock (-1: no TTL; the caller converts the source's clock). Written exactly as
     * {@link #sync} writes what it reads: payloads adapted to the target's format, what the target refuses and payloads
     * over {@code bigKeyBytes} copied by type from the live source (in chunks), {@link #keepingExisting} honoured,
     * failures per key. Expired keys are not passed in.
     */
    public Result restore(List<byte[]> keys, List<Long> expireAtMillis, List<Buffer> payloads) {
        if (keys.isEmpty()) {
            return new Result(0, 0, 0, 0, List.of());
        }
        BatchWork w = new BatchWork();
        long wallMinusNow = System.currentTimeMillis() - Deadlines.now();
        List<byte[]> small = new ArrayList<>(keys.size());
        List<Long> smallTtl = new ArrayList<>(keys.size());
        List<Buffer> smallPayloads = new ArrayList<>(keys.size());
        for (int i = 0; i < keys.size(); i++) {
            long deadline = Deadlines.fromWallClock(expireAtMillis.get(i), wallMinusNow);
            if (payloads.get(i).length() > limits.bigKeyBytes()) {
                w.structural(keys.get(i), deadline);
            } else {
                small.add(keys.get(i));
                smallTtl.add(deadline);
                smallPayloads.add(payloads.get(i));
            }
        }
        write(small, smallTtl, smallPayloads, new ArrayList<>(), w);
        return finish(w);
    }

    /** After the RESTOREs: the small keys the target refused by type, then the big ones in chunks; the batch's result. */
    private Result finish(BatchWork w) {
        new TypedCopy(source, target, limits, deadlines, progress).copy(w);
        for (int i = 0; i < w.structural.size(); i++) {
            String error;
            try {
                long deadline = w.structuralTtl.get(i);
                error = StructuralCopy.copy(source, target, w.structural.get(i), () -> deadlines.targetAtNow(deadline), limits.chunk(),
                        progress == null ? n -> { } : progress.elements::add, keepExisting, tmpPrefix);
            } catch (RedisCommandException e) {
                throw e;
            } catch (RuntimeException e) {
                error = "structural copy failed: " + e.getMessage();
            }
            if (error == null) {
                w.writtenByType(progress);
            } else {
                w.fail(target.db(), w.structural.get(i), error);
            }
        }
        Result result = w.result();
        if (progress != null) {
            progress.failed.add(result.failed());
        }
        return result;
    }

    /**
     * One pipeline to the target: RESTORE … REPLACE of each payload with its deadline, DEL of each key gone from the
     * source. A payload the target refuses for its format goes by type.
     */
    private void write(List<byte[]> keys, List<Long> ttls, List<Buffer> read, List<byte[]> gone, BatchWork w) {
        List<Buffer> payloads = adapter.adapted(read);
        List<byte[][]> writes = new ArrayList<>(keys.size() + gone.size());
        List<byte[]> writtenKeys = new ArrayList<>(keys.size() + gone.size());
        List<Long> writtenTtl = new ArrayList<>(keys.size() + gone.size());
        List<Buffer> writtenPayloads = new ArrayList<>(keys.size());
        List<Buffer> writtenAsRead = read == payloads ? writtenPayloads : new ArrayList<>(keys.size());
        for (int i = 0; i < keys.size(); i++) {
            long ttl = deadlines.remaining(ttls.get(i));
            if (ttl == 0) {
                // PTTL 0: it expires within the millisecond; RESTORE with TTL 0 would make it persistent
                gone.add(keys.get(i));
                continue;
            }
            Buffer value = payloads.get(i);
            w.bytes += value.length();
            byte[] key = keys.get(i);
            byte[] payload = PayloadAdapter.bytes(value);
            byte[] at = ttl > 0 ? Long.toString(deadlines.targetAt(ttls.get(i))).getBytes(StandardCharsets.US_ASCII) : NO_TTL;
            writes.add(ttl > 0
                    ? (keepExisting ? new byte[][] {RESTORE, key, at, payload, ABSTTL} : new byte[][] {RESTORE, key, at, payload, ABSTTL, REPLACE})
                    : (keepExisting ? new byte[][] {RESTORE, key, at, payload} : new byte[][] {RESTORE, key, at, payload, REPLACE}));
            writtenKeys.add(key);
            writtenTtl.add(ttls.get(i));
            writtenPayloads.add(value);
            if (writtenAsRead != writtenPayloads) {
                writtenAsRead.add(read.get(i));
            }
        }
        int restores = writes.size();
        for (byte[] key : keepExisting ? List.<byte[]>of() : gone) {
            // gone (deleted or expired) on the source: it must be gone on the target too
            writes.add(new byte[][] {DEL, key});
            writtenKeys.add(key);
            writtenTtl.add(-2L);
        }
        List<BlockingRedis.Result> written = target.write(writes);
        long before = w.restored + w.deleted;
        List<byte[]> convertedStreams = new ArrayList<>();
        List<Integer> busy = new ArrayList<>();
        for (int i = 0; i < written.size(); i++) {
            BlockingRedis.Result r = written.get(i);
            boolean isRestore = i < restores;
            if (r.ok()) {
                if (isRestore) {
                    w.restored++;
                    if (PayloadAdapter.convertedStream(writtenAsRead.get(i), writtenPayloads.get(i))) {
                        convertedStreams.add(writtenKeys.get(i));
                    }
                } else {
                    w.deleted++;
                }
            } else if (isRestore && formatRefused(r.error())) {
                // neither re-stamped nor converted (adapted), or the target's format is unknown: by type, small ones many at
                // once, big ones (or without overwrite) key by key
                if (!keepExisting && writtenPayloads.get(i).length() <= SMALL_TYPED_BYTES) {
                    w.typed(writtenKeys.get(i), writtenTtl.get(i));
                } else {
                    w.structural(writtenKeys.get(i), writtenTtl.get(i));
                }
            } else if (isRestore && keepExisting && r.error().startsWith("BUSYKEY")) {
                busy.add(i);
            } else {
                failOnServerFault(target, "target", r.error());
                w.fail(target.db(), writtenKeys.get(i), "target: " + r.error());
            }
        }
        restoreStreamGroups(convertedStreams, w);
        if (!busy.isEmpty()) {
            keptOrConflicting(busy, writtenKeys, writtenPayloads, w);
        }
        if (progress != null) {
            progress.keys.add(w.restored + w.deleted - before);
            progress.bytes.add(payloads.stream().mapToLong(Buffer::length).sum());
        }
    }

    /**
     * Keys the target already has (RESTORE without REPLACE refused them): the same payload is this copy's own earlier
     * write, and so is the source's value and TTL on a target that re-encodes what it restores (Dragonfly, a converted
     * payload); anything else is a conflict.
     */
    private void keptOrConflicting(List<Integer> busy, List<byte[]> writtenKeys, List<Buffer> writtenPayloads, BatchWork w) {
        List<Request> dumps = busy.stream().map(i -> Request.cmd(Command.DUMP).arg(writtenKeys.get(i))).toList();
        List<BlockingRedis.Result> there = target.pipeline(dumps);
        List<byte[]> otherPayload = new ArrayList<>();
        for (int j = 0; j < busy.size(); j++) {
            int i = busy.get(j);
            BlockingRedis.Result d = there.get(j);
            if (d.ok() && d.response() != null && d.response().toBuffer().equals(writtenPayloads.get(i))) {
                w.restored++;
            } else {
                otherPayload.add(writtenKeys.get(i));
            }
        }
        if (otherPayload.isEmpty()) {
            return;
        }
        Set<ByteBuffer> differ = differFromSource(source, target, otherPayload);
        for (byte[] key : otherPayload) {
            if (differ.contains(ByteBuffer.wrap(key))) {
                w.fail(target.db(), key, "target: " + CONFLICT);
            } else {
                w.restored++;
            }
        }
    }

    /**
     * The source's stream counters and consumer groups onto streams whose payload was converted (each in one MULTI/EXEC).
     * Read from the source now: a stream that changed since its payload was read is synced again by the change capture.
     */
    private void restoreStreamGroups(List<byte[]> streams, BatchWork w) {
        for (byte[] key : streams) {
            try {
                StreamGroups.State state = StreamGroups.read(source, key);
                if (state == null) {
                    continue; // gone from the source meanwhile: its deletion is captured and applied
                }
                long unclaimed = StreamGroups.apply(target, key, state, StreamGroups.counters(target));
                if (unclaimed > 0 || !state.complete()) {
                    w.fail(target.db(), key, "target: " + (unclaimed > 0 ? unclaimed
                            + " pending entries of deleted messages cannot be recreated (XCLAIM needs the message)"
                            : "a consumer group has more than " + StreamGroups.MAX_PENDING + " pending entries: only that many were copied"));
                }
            } catch (RedisCommandException e) {
                if (!BlockingRedis.isReplyError(e.getCause()) && !e.getMessage().startsWith("target refused")) {
                    throw e;
                }
                failOnServerFault(target, "target", e.getMessage());
                w.fail(target.db(), key, "stream groups: " + e.getMessage());
            }
        }
    }

    /** Waits for {@code ops} source operations when a rate limit is set (options.maxSourceOpsPerSecond). */
    static void throttle(Limits limits, long ops) {
        if (limits.sourceOps() != null && ops > 0) {
            limits.sourceOps().acquire(ops);
        }
    }

    /** A key for reports: its UTF-8 text when it is valid UTF-8, else {@code b64:<base64>}. */
    public static String printable(byte[] key) {
        try {
            return StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(key)).toString();
        } catch (CharacterCodingException e) {
            return "b64:" + Base64.getEncoder().encodeToString(key);
        }
    }
}

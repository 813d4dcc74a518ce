package io.dfmigrate.common.redis;

import io.dfmigrate.common.event.KeyFailure;
import io.vertx.core.buffer.Buffer;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * The key-sync engine shared by copier and replicator: makes the target's copy of each key equal to the source's
 * current state. Per batch: a pipeline of {@code PTTL} + {@code MEMORY USAGE} and a pipeline of {@code DUMP} to the
 * source, one pipeline of {@code RESTORE key ttl payload REPLACE} (or {@code DEL} for a key that is gone) to the
 * target. Big keys, and keys whose payload the target refuses (another RDB version), are copied by type in chunks
 * ({@link StructuralCopy}). Keys and values are bytes end to end. Idempotent: syncing a key twice leaves the same result.
 */
public final class KeySync {
    /** Keys above {@code bigKeyBytes} (MEMORY USAGE) are copied structurally in chunks of {@code chunk} elements. */
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

    private final BlockingRedis source;
    private final BlockingRedis target;
    private final Limits limits;

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
    }

    /**
     * Outcome of one batch. {@code written} keys were restored (by RESTORE or structurally), {@code deleted} were gone
     * on the source, {@code structural} of the written ones were copied by type (big keys, refused DUMP payloads).
     */
    public record Result(long written, long deleted, long bytes, long structural, List<KeyFailure> failures) {
        public long failed() {
            return failures.size();
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
        // 1. TTL and (approximate) size: big keys are never DUMPed whole
        List<Request> probes = new ArrayList<>(keys.size() * 2);
        for (byte[] key : keys) {
            probes.add(Request.cmd(Command.PTTL).arg(Buffer.buffer(key)));
            probes.add(Request.cmd(Command.MEMORY).arg("USAGE").arg(Buffer.buffer(key)).arg("SAMPLES").arg(1));
        }
        throttle(probes.size());
        List<BlockingRedis.Result> probed = source.pipeline(probes);
        List<KeyFailure> failures = new ArrayList<>();
        List<byte[]> small = new ArrayList<>(keys.size());
        List<Long> smallTtl = new ArrayList<>(keys.size());
        List<Long> smallBytes = new ArrayList<>(keys.size());
        List<byte[]> structural = new ArrayList<>();
        List<Long> structuralTtl = new ArrayList<>();
        List<byte[]> gone = new ArrayList<>();
        for (int i = 0; i < keys.size(); i++) {
            BlockingRedis.Result pttl = probed.get(2 * i);
            BlockingRedis.Result usage = probed.get(2 * i + 1);
            if (!pttl.ok()) {
                failures.add(new KeyFailure(source.db(), printable(keys.get(i)), "source: " + pttl.error()));
                continue;
            }
            long ttl = pttl.response() == null ? -2 : pttl.response().toLong();
            long bytes = usage.ok() && usage.response() != null ? usage.response().toLong() : 0;
            if (ttl == -2) {
                gone.add(keys.get(i));
            } else if (bytes > limits.bigKeyBytes()) {
                structural.add(keys.get(i));
                structuralTtl.add(ttl);
            } else {
                small.add(keys.get(i));
                smallTtl.add(ttl);
                smallBytes.add(bytes);
            }
        }
        long[] totals = {0, 0, 0};
        // 2. the small keys in slices of at most limits.pipelineBytes() of values, so memory stays bounded whatever the batch
        int from = 0;
        while (from < small.size()) {
            int to = from;
            long sum = 0;
            while (to < small.size() && (to == from || sum + smallBytes.get(to) <= limits.pipelineBytes())) {
                sum += smallBytes.get(to);
                to++;
            }
            restore(small.subList(from, to), smallTtl.subList(from, to), failures, structural, structuralTtl, totals);
            from = to;
        }
        restore(List.of(), List.of(), failures, structural, structuralTtl, totals, gone);
        long restored = totals[0];
        long deleted = totals[1];
        long bytes = totals[2];
        // 3. big keys and refused payloads, by type, in chunks
        long viaStructure = 0;
        for (int i = 0; i < structural.size(); i++) {
            String error;
            try {
                error = StructuralCopy.copy(source, target, structural.get(i), structuralTtl.get(i), limits.chunk());
            } catch (RedisCommandException e) {
                throw e;
            } catch (RuntimeException e) {
                error = "structural copy failed: " + e.getMessage();
            }
            if (error == null) {
                viaStructure++;
                restored++;
            } else {
                failures.add(new KeyFailure(target.db(), printable(structural.get(i)), error));
            }
        }
        return new Result(restored, deleted, bytes, viaStructure, failures);
    }
    private void restore(List<byte[]> small, List<Long> smallTtl, List<KeyFailure> failures, List<byte[]> structural,
                         List<Long> structuralTtl, long[] totals) {
        restore(small, smallTtl, failures, structural, structuralTtl, totals, new ArrayList<>());
    }

    /** DUMP {@code small} in one pipeline, then RESTORE them (and DEL {@code gone}) in one pipeline; totals: restored, deleted, bytes. */
    private void restore(List<byte[]> small, List<Long> smallTtl, List<KeyFailure> failures, List<byte[]> structural,
                         List<Long> structuralTtl, long[] totals, List<byte[]> gone) {
        List<Request> dumps = new ArrayList<>(small.size());
        for (byte[] key : small) {
            dumps.add(Request.cmd(Command.DUMP).arg(Buffer.buffer(key)));
        }
        throttle(dumps.size());
        List<BlockingRedis.Result> dumped = source.pipeline(dumps);
        List<Request> writes = new ArrayList<>(small.size() + gone.size());
        List<byte[]> writtenKeys = new ArrayList<>(small.size() + gone.size());
        List<Long> writtenTtl = new ArrayList<>();
        for (int i = 0; i < small.size(); i++) {
            byte[] key = small.get(i);
            BlockingRedis.Result dump = dumped.get(i);
            if (!dump.ok()) {
                failures.add(new KeyFailure(source.db(), printable(key), "source: " + dump.error()));
                continue;
            }
            if (dump.response() == null) {
                gone.add(key); // expired or deleted between the two pipelines
                continue;
            }
            Buffer value = dump.response().toBuffer();
            totals[2] += value.length();
            writes.add(Request.cmd(Command.RESTORE).arg(Buffer.buffer(key)).arg(Math.max(smallTtl.get(i), 0)).arg(value).arg("REPLACE"));
            writtenKeys.add(key);
            writtenTtl.add(smallTtl.get(i));
        }
        for (byte[] key : gone) {
            // gone (deleted or expired) on the source: it must be gone on the target too
            writes.add(Request.cmd(Command.DEL).arg(Buffer.buffer(key)));
            writtenKeys.add(key);
            writtenTtl.add(-2L);
        }
        List<BlockingRedis.Result> written = target.pipeline(writes);
        for (int i = 0; i < written.size(); i++) {
            BlockingRedis.Result r = written.get(i);
            boolean isRestore = writes.get(i).command() == Command.RESTORE;
            if (r.ok()) {
                if (isRestore) {
                    totals[0]++;
                } else {
                    totals[1]++;
                }
            } else if (isRestore && formatRefused(r.error())) {
                structural.add(writtenKeys.get(i));
                structuralTtl.add(writtenTtl.get(i));
            } else {
                failures.add(new KeyFailure(target.db(), printable(writtenKeys.get(i)), "target: " + r.error()));
            }
        }
    }

    /** Waits for {@code ops} source operations when a rate limit is set (options.maxSourceOpsPerSecond). */
    private void throttle(long ops) {
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

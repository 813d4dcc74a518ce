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
 * current state. Per batch: one pipeline of {@code PTTL}+{@code DUMP} to the source, one pipeline of
 * {@code RESTORE key ttl payload REPLACE} (or {@code DEL} for a key that is gone) to the target. Keys and values
 * are bytes end to end. Idempotent: syncing the same key twice leaves the same result.
 */
public final class KeySync {
    private final BlockingRedis source;
    private final BlockingRedis target;

    public KeySync(BlockingRedis source, BlockingRedis target) {
        if (source.db() != target.db()) {
            throw new IllegalArgumentException("source db " + source.db() + " and target db " + target.db() + " differ");
        }
        this.source = source;
        this.target = target;
    }

    /** Outcome of one batch. {@code written} keys were restored, {@code deleted} were gone on the source. */
    public record Result(long written, long deleted, long bytes, List<KeyFailure> failures) {
        public long failed() {
            return failures.size();
        }
    }

    public Result sync(List<byte[]> keys) {
        if (keys.isEmpty()) {
            return new Result(0, 0, 0, List.of());
        }
        List<Request> reads = new ArrayList<>(keys.size() * 2);
        for (byte[] key : keys) {
            reads.add(Request.cmd(Command.PTTL).arg(Buffer.buffer(key)));
            reads.add(Request.cmd(Command.DUMP).arg(Buffer.buffer(key)));
        }
        List<BlockingRedis.Result> read = source.pipeline(reads);

        List<Request> writes = new ArrayList<>(keys.size());
        List<byte[]> writtenKeys = new ArrayList<>(keys.size());
        List<KeyFailure> failures = new ArrayList<>();
        long bytes = 0;
        int deletes = 0;
        for (int i = 0; i < keys.size(); i++) {
            byte[] key = keys.get(i);
            BlockingRedis.Result pttl = read.get(2 * i);
            BlockingRedis.Result dump = read.get(2 * i + 1);
            if (!pttl.ok() || !dump.ok()) {
                failures.add(new KeyFailure(source.db(), printable(key), "source: " + (pttl.ok() ? dump.error() : pttl.error())));
                continue;
            }
            long ttl = pttl.response() == null ? -2 : pttl.response().toLong();
            Response payload = dump.response();
            if (ttl == -2 || payload == null) {
                // Gone (deleted or expired) on the source: it must be gone on the target too.
                writes.add(Request.cmd(Command.DEL).arg(Buffer.buffer(key)));
                deletes++;
            } else {
                Buffer value = payload.toBuffer();
                bytes += value.length();
                writes.add(Request.cmd(Command.RESTORE).arg(Buffer.buffer(key)).arg(Math.max(ttl, 0)).arg(value).arg("REPLACE"));
            }
            writtenKeys.add(key);
        }
        List<BlockingRedis.Result> written = target.pipeline(writes);
        long restored = 0;
        for (int i = 0; i < written.size(); i++) {
            BlockingRedis.Result r = written.get(i);
            if (!r.ok()) {
                failures.add(new KeyFailure(target.db(), printable(writtenKeys.get(i)), "target: " + r.error()));
            } else if (writes.get(i).command() == Command.RESTORE) {
                restored++;
            }
        }
        return new Result(restored, deletes, bytes, failures);
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

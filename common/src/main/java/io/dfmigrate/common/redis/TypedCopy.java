package io.dfmigrate.common.redis;

import io.vertx.core.buffer.Buffer;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.List;

/**
 * Small keys whose payload the target refused (another RDB version), by type, many at once: one pipeline of TYPE, one of
 * reads (GET, or HSCAN/SSCAN/ZSCAN/LRANGE that a small key answers in one reply), then one pipeline with a MULTI/EXEC per
 * key (DEL, the writes, PEXPIREAT with the key's deadline), so the target never shows a half key and no temporary key or
 * RENAME is needed. Streams, keys that changed type or grew meanwhile go to the per-key structural copy.
 */
final class TypedCopy {
    /** Keys per slice: a slice's TTLs are turned into writes and sent within a few ms, and memory stays bounded. */
    static final int SLICE = 500;

    private final BlockingRedis source;
    private final BlockingRedis target;
    private final KeySync.Limits limits;
    private final Deadlines deadlines;
    private final CopyProgress progress;

    TypedCopy(BlockingRedis source, BlockingRedis target, KeySync.Limits limits, Deadlines deadlines, CopyProgress progress) {
        this.source = source;
        this.target = target;
        this.limits = limits;
        this.deadlines = deadlines;
        this.progress = progress;
    }

    /** Copies {@code w.typed}; what cannot go this way is added to {@code w.structural}. */
    void copy(BatchWork w) {
        for (int from = 0; from < w.typed.size(); from += SLICE) {
            int to = Math.min(w.typed.size(), from + SLICE);
            copy(w.typed.subList(from, to), w.typedTtl.subList(from, to), w);
        }
    }

    private void copy(List<byte[]> typed, List<Long> typedTtl, BatchWork w) {
        int n = typed.size();
        KeySync.throttle(limits, 2L * n);
        List<BlockingRedis.Result> types = source.pipeline(typed.stream().map(k -> Request.cmd(Command.TYPE).arg(k)).toList());
        List<Request> reads = new ArrayList<>(n);
        List<Integer> readOf = new ArrayList<>(n);
        List<String> typeOf = new ArrayList<>(n);
        List<byte[]> gone = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Buffer k = Buffer.buffer(typed.get(i));
            String type = types.get(i).ok() ? types.get(i).response().toString() : "?";
            Request read = switch (type) {
                case "string" -> Request.cmd(Command.GET).arg(k);
                case "hash" -> Request.cmd(Command.HSCAN).arg(k).arg(0).arg("COUNT").arg(limits.chunk());
                case "set" -> Request.cmd(Command.SSCAN).arg(k).arg(0).arg("COUNT").arg(limits.chunk());
                case "zset" -> Request.cmd(Command.ZSCAN).arg(k).arg(0).arg("COUNT").arg(limits.chunk());
                case "list" -> Request.cmd(Command.LRANGE).arg(k).arg(0).arg(limits.chunk()); // one more: longer goes key by key
                default -> null;
            };
            if ("none".equals(type)) {
                gone.add(typed.get(i));
            } else if (read == null) {
                w.structural(typed.get(i), typedTtl.get(i));
            } else {
                reads.add(read);
                readOf.add(i);
                typeOf.add(type);
            }
        }
        List<BlockingRedis.Result> values = source.pipeline(reads);
        List<Request> writes = new ArrayList<>();
        List<Integer> writeOf = new ArrayList<>(); // per key written: its index in typed
        List<int[]> span = new ArrayList<>(); // per key written: [first, last] index of its requests in writes
        for (int r = 0; r < reads.size(); r++) {
            int i = readOf.get(r);
            Buffer k = Buffer.buffer(typed.get(i));
            BlockingRedis.Result v = values.get(r);
            Request write = v.ok() ? write(typeOf.get(r), k, v.response(), limits.chunk()) : null;
            if (v.ok() && v.response() == null || v.ok() && write == null && isEmptyRead(typeOf.get(r), v.response())) {
                gone.add(typed.get(i)); // deleted between TYPE and the read
                continue;
            }
            if (write == null) {
                w.structural(typed.get(i), typedTtl.get(i)); // changed type, or more than one reply holds: key by key
                continue;
            }
            long ttl = deadlines.remaining(typedTtl.get(i));
            if (ttl == 0) {
                gone.add(typed.get(i)); // expired meanwhile
                continue;
            }
            int first = writes.size();
            writes.add(Request.cmd(Command.MULTI));
            writes.add(Request.cmd(Command.DEL).arg(k));
            writes.add(write);
            if (ttl > 0) {
                writes.add(Request.cmd(Command.PEXPIREAT).arg(k).arg(deadlines.targetAt(typedTtl.get(i))));
            }
            writes.add(Request.cmd(Command.EXEC));
            writeOf.add(i);
            span.add(new int[] {first, writes.size() - 1});
        }
        for (byte[] key : gone) {
            writes.add(Request.cmd(Command.DEL).arg(key));
        }
        List<BlockingRedis.Result> done = target.pipeline(writes);
        for (int x = 0; x < writeOf.size(); x++) {
            String error = null;
            for (int j = span.get(x)[0]; j <= span.get(x)[1] && error == null; j++) {
                error = done.get(j).error();
            }
            if (error == null) {
                w.writtenByType(progress);
            } else {
                KeySync.failOnServerFault(target, "target", error);
                w.fail(target.db(), typed.get(writeOf.get(x)), "target: " + error);
            }
        }
        for (int j = writes.size() - gone.size(); j < writes.size(); j++) {
            if (done.get(j).ok()) {
                w.deleted++;
            } else {
                KeySync.failOnServerFault(target, "target", done.get(j).error());
            }
        }
    }

    /** The one write that recreates a small key from its read, or null when the read does not hold all of it. */
    private static Request write(String type, Buffer k, Response v, int maxElements) {
        if (v == null) {
            return null;
        }
        switch (type) {
            case "string":
                return Request.cmd(Command.SET).arg(k).arg(v.toBuffer());
            case "list": {
                if (v.size() == 0 || v.size() > maxElements) {
                    return null;
                }
                Request w = Request.cmd(Command.RPUSH).arg(k);
                v.forEach(x -> w.arg(x.toBuffer()));
                return w;
            }
            default: {
                // [cursor, items]: only a cursor of 0 means the one reply holds every element
                if (!"0".equals(v.get(0).toString()) || v.get(1).size() == 0) {
                    return null;
                }
                Response items = v.get(1);
                Request w = Request.cmd(type.equals("hash") ? Command.HSET : type.equals("set") ? Command.SADD : Command.ZADD).arg(k);
                for (int i = 0; i < items.size(); i++) {
                    if (type.equals("zset")) {
                        w.arg(items.get(i + 1).toBuffer()).arg(items.get(i).toBuffer()); // ZSCAN: member, score; ZADD: score, member
                        i++;
                    } else {
                        w.arg(items.get(i).toBuffer());
                    }
                }
                return w;
            }
        }
    }

    /** The read found nothing: the key is gone (an empty LRANGE, or a SCAN with cursor 0 and no elements). */
    private static boolean isEmptyRead(String type, Response v) {
        if (v == null) {
            return true;
        }
        if (type.equals("list")) {
            return v.size() == 0;
        }
        return !type.equals("string") && "0".equals(v.get(0).toString()) && v.get(1).size() == 0;
    }
}

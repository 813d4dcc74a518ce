package io.dfmigrate.common.redis;

import io.vertx.core.buffer.Buffer;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The reading half of {@link KeyVerifier}: one side's keys as {@link KeyVerifier.State}s — TYPE, PTTL, the length and a
 * canonical type-aware digest computed the same way from either side's replies (pipelined; big strings, lists and streams
 * window by window; big hashes, sets and sorted sets are left to the element-by-element comparison).
 */
final class KeyReads {
    /** Bound of one pipeline of value reads: elements (or string bytes / 64) of the keys read at once. */
    private static final long READ_BUDGET = 200_000;

    private final KeyVerifier.Settings settings;
    /** Whether both servers keep the stream counters, asked at the first stream (each server answers once). */
    private final java.util.function.BooleanSupplier bothKeepStreamCounters;
    private Boolean streamCounters;

    KeyReads(KeyVerifier.Settings settings, java.util.function.BooleanSupplier bothKeepStreamCounters) {
        this.settings = settings;
        this.bothKeepStreamCounters = bothKeepStreamCounters;
    }

    private boolean streamCounters() {
        if (streamCounters == null) {
            streamCounters = bothKeepStreamCounters.getAsBoolean();
        }
        return streamCounters;
    }

    /** TYPE, PTTL, the length, and the digest of every key (pipelined; big ordered keys window by window). */
    List<KeyVerifier.State> read(BlockingRedis r, List<byte[]> keys, boolean isSource) {
        int n = keys.size();
        List<Request> meta = new ArrayList<>(2 * n);
        for (byte[] k : keys) {
            meta.add(Request.cmd(Command.TYPE).arg(k));
            meta.add(Request.cmd(Command.PTTL).arg(k));
        }
        if (isSource) {
            throttle(meta.size());
        }
        List<BlockingRedis.Result> m = r.pipeline(meta);
        long readNanos = System.nanoTime();
        String[] types = new String[n];
        long[] ttls = new long[n];
        String[] errors = new String[n];
        List<Request> lengths = new ArrayList<>();
        List<Integer> lengthOf = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            BlockingRedis.Result type = m.get(2 * i);
            BlockingRedis.Result ttl = m.get(2 * i + 1);
            if (!type.ok() || !ttl.ok()) {
                errors[i] = type.ok() ? ttl.error() : type.error();
                // about the server, not the key (a Redis Cluster's slot moved since its owner was asked, LOADING, …): the
                // batch is read again (the caller asks the cluster's masters anew), never reported as a difference
                KeySync.failOnServerFault(r, isSource ? "source" : "target", errors[i]);
                continue;
            }
            types[i] = type.response().toString();
            ttls[i] = ttl.response().toLong();
            Command len = lengthCommand(types[i]);
            if (len != null) {
                lengths.add(Request.cmd(len).arg(keys.get(i)));
                lengthOf.add(i);
            }
        }
        if (isSource) {
            throttle(lengths.size());
        }
        List<BlockingRedis.Result> l = r.pipeline(lengths);
        long[] length = new long[n];
        Arrays.fill(length, -1);
        for (int j = 0; j < lengthOf.size(); j++) {
            if (l.get(j).ok()) {
                length[lengthOf.get(j)] = l.get(j).response().toLong();
            } else {
                types[lengthOf.get(j)] = "?"; // it changed type in between: the next round reads it again
            }
        }
        byte[][] digests = digests(r, keys, types, length, isSource);
        List<KeyVerifier.State> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(new KeyVerifier.State(types[i], ttls[i], readNanos, length[i], digests[i], errors[i]));
        }
        return out;
    }

    private static Command lengthCommand(String type) {
        return switch (type) {
            case "string" -> Command.STRLEN;
            case "hash" -> Command.HLEN;
            case "list" -> Command.LLEN;
            case "set" -> Command.SCARD;
            case "zset" -> Command.ZCARD;
            case "stream" -> Command.XLEN;
            default -> null;
        };
    }

    /** The canonical digest of each key; pipelined for keys one reply holds, in budgeted slices. */
    private byte[][] digests(BlockingRedis r, List<byte[]> keys, String[] types, long[] length, boolean isSource) {
        int n = keys.size();
        byte[][] out = new byte[n][];
        List<Integer> slice = new ArrayList<>();
        long cost = 0;
        for (int i = 0; i < n; i++) {
            if (types[i] == null || length[i] < 0) {
                continue; // missing, unknown type (a module's): compared by type and TTL only
            }
            if (!fitsOneReply(types[i], length[i])) {
                if (!KeyVerifier.isUnordered(types[i])) {
                    out[i] = windowedDigest(r, Buffer.buffer(keys.get(i)), types[i], isSource);
                }
                continue; // a big hash, set or zset: element by element in compare()
            }
            long c = types[i].equals("string") ? length[i] / 64 + 1 : length[i] + 1;
            if (cost + c > READ_BUDGET && !slice.isEmpty()) {
                digestSlice(r, keys, types, slice, out, isSource);
                slice.clear();
                cost = 0;
            }
            slice.add(i);
            cost += c;
        }
        digestSlice(r, keys, types, slice, out, isSource);
        return out;
    }

    private boolean fitsOneReply(String type, long length) {
        return type.equals("string") ? length <= KeyVerifier.STRING_WINDOW : length <= settings.chunk();
    }

    private void digestSlice(BlockingRedis r, List<byte[]> keys, String[] types, List<Integer> slice, byte[][] out, boolean isSource) {
        if (slice.isEmpty()) {
            return;
        }
        List<Request> reads = new ArrayList<>();
        List<int[]> span = new ArrayList<>();
        for (int i : slice) {
            Buffer k = Buffer.buffer(keys.get(i));
            int first = reads.size();
            switch (types[i]) {
                case "string" -> reads.add(Request.cmd(Command.GET).arg(k));
                case "list" -> reads.add(Request.cmd(Command.LRANGE).arg(k).arg(0).arg(-1));
                case "hash" -> reads.add(Request.cmd(Command.HSCAN).arg(k).arg(0).arg("COUNT").arg(settings.chunk()));
                case "set" -> reads.add(Request.cmd(Command.SSCAN).arg(k).arg(0).arg("COUNT").arg(settings.chunk()));
                case "zset" -> reads.add(Request.cmd(Command.ZSCAN).arg(k).arg(0).arg("COUNT").arg(settings.chunk()));
                case "stream" -> reads.add(Request.cmd(Command.XRANGE).arg(k).arg("-").arg("+"));
                default -> {
                    continue;
                }
            }
            span.add(new int[] {i, first, reads.size()});
        }
        if (isSource) {
            throttle(reads.size());
        }
        List<BlockingRedis.Result> replies = r.pipeline(reads);
        for (int[] s : span) {
            int i = s[0];
            BlockingRedis.Result a = replies.get(s[1]);
            if (!a.ok()) {
                types[i] = "?"; // changed type in between: compared again in the next round
                continue;
            }
            Digest d = new Digest(types[i]);
            switch (types[i]) {
                case "string" -> d.bytes(a.response() == null ? new byte[0] : a.response().toBytes());
                case "list" -> d.items(a.response(), 0, 1);
                case "stream" -> {
                    d.entries(a.response());
                    if (isSource) {
                        throttle(1);
                    }
                    d.groups(StreamGroups.read(r, keys.get(i)), streamCounters());
                }
                default -> {
                    Response page = a.response();
                    if (!"0".equals(page.get(0).toString())) {
                        continue; // more than one reply holds: element by element
                    }
                    d.unordered(page.get(1), types[i]);
                }
            }
            out[i] = d.finish();
        }
    }

    /** A string, list or stream too long for one reply, read window by window into the same digest. */
    private byte[] windowedDigest(BlockingRedis r, Buffer k, String type, boolean isSource) {
        Digest d = new Digest(type);
        int chunk = settings.chunk();
        switch (type) {
            case "string" -> {
                for (long at = 0; ; at += KeyVerifier.STRING_WINDOW) {
                    throttleIf(isSource, 1);
                    byte[] part = r.send(Request.cmd(Command.GETRANGE).arg(k).arg(at).arg(at + KeyVerifier.STRING_WINDOW - 1)).toBytes();
                    d.raw(part);
                    if (part.length < KeyVerifier.STRING_WINDOW) {
                        break;
                    }
                }
            }
            case "list" -> {
                for (long at = 0; ; at += chunk) {
                    throttleIf(isSource, 1);
                    Response items = r.send(Request.cmd(Command.LRANGE).arg(k).arg(at).arg(at + chunk - 1));
                    d.items(items, 0, 1);
                    if (items == null || items.size() < chunk) {
                        break;
                    }
                }
            }
            case "stream" -> {
                String from = "-";
                while (true) {
                    throttleIf(isSource, 1);
                    Response entries = r.send(Request.cmd(Command.XRANGE).arg(k).arg(from).arg("+").arg("COUNT").arg(chunk));
                    d.entries(entries);
                    if (entries == null || entries.size() < chunk) {
                        break;
                    }
                    from = "(" + entries.get(entries.size() - 1).get(0).toString();
                }
                throttleIf(isSource, 1);
                d.groups(StreamGroups.read(r, k.getBytes()), streamCounters());
            }
            default -> {
                return null;
            }
        }
        return d.finish();
    }

    /** A score as a number, so "1" and "1.0" (or one engine's 17 digits and another's shortest form) are the same. */
    static double score(String s) {
        return switch (s.toLowerCase()) {
            case "inf", "+inf", "infinity", "+infinity" -> Double.POSITIVE_INFINITY;
            case "-inf", "-infinity" -> Double.NEGATIVE_INFINITY;
            default -> Double.parseDouble(s) + 0.0; // -0.0 and 0.0 alike
        };
    }

    /**
     * The canonical encoding: the type, then each item length-prefixed; unordered members sorted (unsigned bytes), scores
     * as IEEE 754 bits, stream entries as id then fields, consumer groups sorted by name with their last-delivered id,
     * consumers and pending entries.
     */
    static final class Digest {
        private final MessageDigest sha;

        Digest(String type) {
            try {
                sha = MessageDigest.getInstance("SHA-256");
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
            item(type.getBytes(StandardCharsets.UTF_8));
        }

        void item(byte[] b) {
            sha.update(ByteBuffer.allocate(8).putLong(b.length).array());
            sha.update(b);
        }

        /** A whole string value. */
        void bytes(byte[] b) {
            item(b);
        }

        /** A window of a long string: the windows together hash like one item of unknown length would not, so raw bytes. */
        void raw(byte[] b) {
            sha.update(b);
        }

        void items(Response list, int from, int step) {
            if (list == null) {
                return;
            }
            for (int i = from; i < list.size(); i += step) {
                item(list.get(i).toBytes());
            }
        }

        void entries(Response entries) {
            if (entries == null) {
                return;
            }
            for (Response e : entries) {
                item(e.get(0).toBytes());
                Response fields = e.get(1);
                item(ByteBuffer.allocate(4).putInt(fields == null ? 0 : fields.size()).array());
                items(fields, 0, 1);
            }
        }

        /** The consumer groups as {@link StreamGroups#canonical} puts them (null: the stream went meanwhile). */
        void groups(StreamGroups.State state, boolean counters) {
            item(state == null ? "groups:?".getBytes(StandardCharsets.UTF_8) : StreamGroups.canonical(state, counters));
        }

        /** One complete SCAN reply of a hash, set or zset: sorted by member, duplicates dropped. */
        void unordered(Response items, String type) {
            int step = type.equals("set") ? 1 : 2;
            Map<ByteBuffer, byte[]> members = new HashMap<>();
            for (int i = 0; i + step - 1 < items.size(); i += step) {
                byte[] value = step == 1 ? new byte[0]
                        : type.equals("zset") ? ByteBuffer.allocate(8).putLong(Double.doubleToLongBits(score(items.get(i + 1).toString()))).array()
                        : items.get(i + 1).toBytes();
                members.put(ByteBuffer.wrap(items.get(i).toBytes()), value);
            }
            List<ByteBuffer> sorted = new ArrayList<>(members.keySet());
            sorted.sort(ByteBuffer::compareTo); // ByteBuffer compares bytes as signed: any total order does, both sides use it
            for (ByteBuffer m : sorted) {
                item(m.array());
                item(members.get(m));
            }
        }

        byte[] finish() {
            return sha.digest();
        }
    }

    private void throttleIf(boolean isSource, long ops) {
        if (isSource) {
            throttle(ops);
        }
    }

    private void throttle(long ops) {
        if (settings.sourceOps() != null && ops > 0) {
            settings.sourceOps().acquire(ops);
        }
    }
}

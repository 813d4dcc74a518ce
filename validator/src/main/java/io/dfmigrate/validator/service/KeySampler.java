package io.dfmigrate.validator.service;

import io.dfmigrate.common.endpoint.RedisEndpoint;
import io.dfmigrate.common.redis.BlockingRedis;
import io.dfmigrate.common.redis.KeySync;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;

/**
 * Reads a sample of the source's keys (SCAN, then pipelined TYPE, PTTL, MEMORY USAGE and the element count), to find
 * data the target cannot hold and big keys. Read-only; at most {@code perDb} keys per database.
 */
final class KeySampler {
    static final Set<String> CORE_TYPES = Set.of("string", "list", "set", "zset", "hash", "stream");

    /** One sampled key. {@code elements} is the length for collections, the byte length for strings. */
    record Sample(int db, byte[] key, String type, long pttl, long bytes, long elements) {
        String name() {
            return KeySync.printable(key);
        }
    }

    static List<Sample> sample(Vertx vertx, RedisEndpoint source, Collection<Integer> dbs, int perDb, Duration timeout) {
        List<Sample> out = new ArrayList<>();
        for (int db : dbs) {
            try (BlockingRedis r = BlockingRedis.connect(vertx, source, db, timeout)) {
                List<byte[]> keys = new ArrayList<>();
                String cursor = "0";
                do {
                    Response reply = r.send(Request.cmd(Command.SCAN).arg(cursor).arg("COUNT").arg(1000));
                    cursor = reply.get(0).toString();
                    for (Response k : reply.get(1)) {
                        if (keys.size() < perDb) {
                            keys.add(k.toBytes());
                        }
                    }
                } while (!"0".equals(cursor) && keys.size() < perDb);
                out.addAll(describe(r, db, keys));
            }
        }
        return out;
    }

    private static List<Sample> describe(BlockingRedis r, int db, List<byte[]> keys) {
        List<Request> first = new ArrayList<>();
        for (byte[] k : keys) {
            first.add(Request.cmd(Command.TYPE).arg(Buffer.buffer(k)));
            first.add(Request.cmd(Command.PTTL).arg(Buffer.buffer(k)));
            first.add(Request.cmd(Command.MEMORY).arg("USAGE").arg(Buffer.buffer(k)));
        }
        List<BlockingRedis.Result> res = r.pipeline(first);
        List<Request> sizes = new ArrayList<>();
        List<String> types = new ArrayList<>();
        for (int i = 0; i < keys.size(); i++) {
            BlockingRedis.Result t = res.get(3 * i);
            String type = t.ok() && t.response() != null ? t.response().toString() : "none";
            types.add(type);
            Command size = switch (type) {
                case "string" -> Command.STRLEN;
                case "list" -> Command.LLEN;
                case "set" -> Command.SCARD;
                case "zset" -> Command.ZCARD;
                case "hash" -> Command.HLEN;
                case "stream" -> Command.XLEN;
                default -> Command.EXISTS;
            };
            sizes.add(Request.cmd(size).arg(Buffer.buffer(keys.get(i))));
        }
        List<BlockingRedis.Result> sized = r.pipeline(sizes);
        List<Sample> out = new ArrayList<>();
        for (int i = 0; i < keys.size(); i++) {
            if (types.get(i).equals("none")) {
                continue; // gone since the scan
            }
            out.add(new Sample(db, keys.get(i), types.get(i), longOf(res.get(3 * i + 1), -1), longOf(res.get(3 * i + 2), 0),
                    longOf(sized.get(i), 0)));
        }
        return out;
    }

    private static long longOf(BlockingRedis.Result r, long dflt) {
        try {
            return r.ok() && r.response() != null ? r.response().toLong() : dflt;
        } catch (RuntimeException e) {
            return dflt;
        }
    }

    private KeySampler() {
    }
}

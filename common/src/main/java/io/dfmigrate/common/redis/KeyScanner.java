package io.dfmigrate.common.redis;

import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.Map;
import java.util.TreeMap;

/** SCANs one database of a source and hands over key names (bytes) in batches of at most {@code batchSize}. */
public final class KeyScanner implements SourceReader {
    private final BlockingRedis redis;
    private final String pattern;
    private final int count;
    private Predicate<byte[]> keep = k -> true;

    public KeyScanner(BlockingRedis redis, String pattern, int count) {
        this.redis = redis;
        this.pattern = pattern == null ? "*" : pattern;
        this.count = count;
    }

    /** Hands over (and counts) only the names {@code keep} accepts, e.g. a random sample. */
    public KeyScanner keeping(Predicate<byte[]> keep) {
        this.keep = keep;
        return this;
    }

    /**
     * Scans the whole database, handing over batches of at most {@code batchSize} names and about {@code maxBatchBytes}
     * of name bytes; returns the number of names handed over (a key may repeat, as SCAN allows).
     */
    public long scan(int batchSize, int maxBatchBytes, Consumer<List<byte[]>> batches) {
        return read(batchSize, maxBatchBytes, batch -> batches.accept(batch.keys()));
    }

    /** {@link #scan} as a {@link SourceReader}: names only, of the connection's database. */
    @Override
    public long read(int batchKeys, long batchBytes, Sink sink) {
        String cursor = "0";
        List<byte[]> pending = new ArrayList<>(batchKeys);
        long total = 0;
        long pendingBytes = 0;
        try {
            do {
                Request req = Request.cmd(Command.SCAN).arg(cursor).arg("COUNT").arg(count);
                if (!"*".equals(pattern)) {
                    req.arg("MATCH").arg(pattern);
                }
                Response reply = redis.send(req);
                cursor = reply.get(0).toString();
                for (Response key : reply.get(1)) {
                    byte[] name = key.toBytes();
                    if (!keep.test(name)) {
                        continue;
                    }
                    pending.add(name);
                    pendingBytes += name.length;
                    total++;
                    if (pending.size() >= batchKeys || pendingBytes >= batchBytes) {
                        sink.accept(new Batch(redis.db(), pending, null, null, pendingBytes));
                        pending = new ArrayList<>(batchKeys);
                        pendingBytes = 0;
                    }
                }
            } while (!"0".equals(cursor));
            if (!pending.isEmpty()) {
                sink.accept(new Batch(redis.db(), pending, null, null, pendingBytes));
            }
        } catch (Exception e) {
            throw SourceReader.rethrown(e);
        }
        return total;
    }

    /** Database index → {keys, keys with a TTL}, from {@code INFO keyspace}. */
    public static Map<Integer, long[]> keyspaceWithExpires(BlockingRedis redis) {
        String info = redis.send(Request.cmd(Command.INFO).arg("keyspace")).toString();
        var out = new TreeMap<Integer, long[]>();
        for (String line : info.split("\r?\n")) {
            // db0:keys=12,expires=3,avg_ttl=0
            if (line.startsWith("db") && line.contains(":keys=")) {
                int colon = line.indexOf(':');
                long keys = 0;
                long expires = 0;
                for (String kv : line.substring(colon + 1).split(",")) {
                    String[] p = kv.split("=");
                    if (p.length == 2 && p[0].equals("keys")) {
                        keys = Long.parseLong(p[1].strip());
                    } else if (p.length == 2 && p[0].equals("expires")) {
                        expires = Long.parseLong(p[1].strip());
                    }
                }
                out.put(Integer.parseInt(line.substring(2, colon)), new long[] {keys, expires});
            }
        }
        return out;
    }

    /** Database index → key count, from {@code INFO keyspace}. */
    public static Map<Integer, Long> keyspace(BlockingRedis redis) {
        String info = redis.send(Request.cmd(Command.INFO).arg("keyspace")).toString();
        var out = new TreeMap<Integer, Long>();
        for (String line : info.split("\r?\n")) {
            // db0:keys=12,expires=0,avg_ttl=0
            if (line.startsWith("db") && line.contains(":keys=")) {
                int colon = line.indexOf(':');
                int db = Integer.parseInt(line.substring(2, colon));
                String rest = line.substring(colon + 1 + "keys=".length());
                int comma = rest.indexOf(',');
                out.put(db, Long.parseLong(comma < 0 ? rest : rest.substring(0, comma)));
            }
        }
        return out;
    }
}

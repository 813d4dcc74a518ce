package io.dfmigrate.common.redis;

import io.vertx.core.buffer.Buffer;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.function.LongConsumer;
import java.util.function.LongSupplier;

/**
 * Copies one key by reading its contents by type, in chunks, into a temporary key on the target that is then RENAMEd
 * into place (with its TTL), so the target never shows a half key and memory stays bounded by one chunk. Used for
 * keys whose DUMP the target refuses (another RDB version, unknown encodings) and for big keys. Not atomic on the
 * source: a key written while it is read is synced again by change capture.
 */
public final class StructuralCopy {
    private static final int STRING_CHUNK = 1 << 20;

    /**
     * Temporary keys are named {@code dfm:tmp:<migration>:<run>:<uuid>} ({@link #tmpPrefix}; {@code dfm:tmp:<uuid>} outside a
     * run), so the orchestrator can sweep a run's leftovers when it ends, and live at most this long after their last chunk.
     */
    static final String TMP_PREFIX = "dfm:tmp:";
    static final long SAFETY_TTL_MILLIS = 3_600_000;

    private StructuralCopy() {
    }

    /** The prefix of the temporary keys of a migration's run: {@code dfm:tmp:<migration>:<run>:}. */
    public static String tmpPrefix(String migrationId, int run) {
        return TMP_PREFIX + migrationId + ":" + run + ":";
    }

    /**
     * Returns null on success, else the reason. {@code expireAt}: asked right before the finished key is put in place,
     * when the key expires as an absolute time on the target's clock (Unix ms; -1: no TTL; 0 or -2: it expired or went
     * meanwhile, so it is not written). {@code keepExisting}: a key the target
     * already has is left as it is (RENAMENX; a conflict) and a key gone from the source is not deleted on the target.
     */
    static String copy(BlockingRedis src, BlockingRedis tgt, byte[] key, LongSupplier expireAt, int chunk, LongConsumer elements,
                       boolean keepExisting, String tmpPrefix) {
        Buffer k = Buffer.buffer(key);
        String type = src.send(Request.cmd(Command.TYPE).arg(k)).toString();
        Buffer tmp = Buffer.buffer(tmpPrefix + UUID.randomUUID());
        // while it is being built the temporary key has a safety TTL, renewed with every chunk: if the copier dies half way,
        // the target forgets the half key by itself
        LongConsumer chunkDone = n -> {
            tgt.send(Request.cmd(Command.PEXPIRE).arg(tmp).arg(SAFETY_TTL_MILLIS));
            elements.accept(n);
        };
        try {
            boolean wrote = switch (type) {
                case "none" -> false;
                case "string" -> copyString(src, tgt, k, tmp, chunkDone);
                case "hash" -> scan(src, tgt, Command.HSCAN, k, tmp, chunk, Command.HSET, 2, false, chunkDone);
                case "set" -> scan(src, tgt, Command.SSCAN, k, tmp, chunk, Command.SADD, 1, false, chunkDone);
                case "zset" -> scan(src, tgt, Command.ZSCAN, k, tmp, chunk, Command.ZADD, 2, true, chunkDone);
                case "list" -> copyList(src, tgt, k, tmp, chunk, chunkDone);
                case "stream" -> copyStream(src, tgt, k, tmp, chunk, chunkDone);
                default -> throw new IllegalStateException("type " + type + " has no structural copy");
            };
            if (!wrote) {
                // gone on the source meanwhile: so is the half-built temporary key, and (unless kept) the target's key
                Request del = Request.cmd(Command.DEL).arg(tmp);
                tgt.send(keepExisting ? del : del.arg(k));
                return null;
            }
            // the key's own TTL as it is now (the copy took time), or none: the safety TTL must not survive the rename
            long ttl = expireAt.getAsLong();
            if (ttl == 0 || ttl == -2) {
                Request del = Request.cmd(Command.DEL).arg(tmp); // it expired on the source while it was copied
                tgt.send(keepExisting ? del : del.arg(k));
                return null;
            }
            tgt.send(ttl > 0 ? Request.cmd(Command.PEXPIREAT).arg(tmp).arg(ttl) : Request.cmd(Command.PERSIST).arg(tmp));
            if (!keepExisting) {
                try {
                    tgt.send(Request.cmd(Command.RENAME).arg(tmp).arg(k));
                } catch (RedisCommandException e) {
                    if (!BlockingRedis.isReplyError(e.getCause()) || !e.getMessage().toLowerCase(Locale.ROOT).contains("no such key")) {
                        throw e;
                    }
                    tgt.send(Request.cmd(Command.DEL).arg(k)); // its time ran out on the target before the rename: expired
                }
            } else if (tgt.send(Request.cmd(Command.RENAMENX).arg(tmp).arg(k)).toLong() == 0) {
                tgt.send(Request.cmd(Command.DEL).arg(tmp));
                // the key there already: this copy's own write in an earlier attempt of the batch when it holds the source's value
                return KeySync.differFromSource(src, tgt, List.of(key)).isEmpty() ? null : "target: " + KeySync.CONFLICT;
            }
            return null;
        } catch (RedisCommandException | IllegalStateException e) {
            if (e instanceof RedisCommandException rce && (!BlockingRedis.isReplyError(rce.getCause()) || KeySync.serverFault(e.getMessage()))) {
                throw rce; // a lost connection, a timeout or a server-wide refusal fails the batch, not this one key
            }
            try {
                tgt.send(Request.cmd(Command.DEL).arg(tmp));
            } catch (RedisCommandException ignored) {
                // the temporary key is left; it has no TTL but a recognisable name
            }
            return "structural copy of a " + type + " failed: " + e.getMessage();
        }
    }

    private static boolean copyString(BlockingRedis src, BlockingRedis tgt, Buffer k, Buffer tmp, LongConsumer chunkDone) {
        long len = src.send(Request.cmd(Command.STRLEN).arg(k)).toLong();
        tgt.send(Request.cmd(Command.SET).arg(tmp).arg(""));
        chunkDone.accept(0);
        for (long off = 0; off < len; off += STRING_CHUNK) {
            Response part = src.send(Request.cmd(Command.GETRANGE).arg(k).arg(off).arg(Math.min(len, off + STRING_CHUNK) - 1));
            tgt.send(Request.cmd(Command.APPEND).arg(tmp).arg(part.toBuffer()));
            chunkDone.accept(0);
        }
        return src.send(Request.cmd(Command.EXISTS).arg(k)).toLong() > 0;
    }

    /** HSCAN/SSCAN/ZSCAN the source key, writing each page with {@code write}; ZSCAN pairs are member, score. */
    private static boolean scan(BlockingRedis src, BlockingRedis tgt, Command scan, Buffer k, Buffer tmp, int chunk, Command write,
                                int width, boolean scoreSecond, LongConsumer elements) {
        String cursor = "0";
        boolean any = false;
        do {
            Response page = src.send(Request.cmd(scan).arg(k).arg(cursor).arg("COUNT").arg(chunk));
            cursor = page.get(0).toString();
            Response items = page.get(1);
            if (items.size() > 0) {
                Request w = Request.cmd(write).arg(tmp);
                for (int i = 0; i + width - 1 < items.size(); i += width) {
                    if (scoreSecond) {
                        w.arg(items.get(i + 1).toBuffer()).arg(items.get(i).toBuffer());
                    } else {
                        for (int j = 0; j < width; j++) {
                            w.arg(items.get(i + j).toBuffer());
                        }
                    }
                }
                tgt.send(w);
                elements.accept(items.size() / width);
                any = true;
            }
        } while (!"0".equals(cursor));
        return any;
    }

    private static boolean copyList(BlockingRedis src, BlockingRedis tgt, Buffer k, Buffer tmp, int chunk, LongConsumer elements) {
        boolean any = false;
        for (long start = 0; ; start += chunk) {
            Response items = src.send(Request.cmd(Command.LRANGE).arg(k).arg(start).arg(start + chunk - 1));
            if (items == null || items.size() == 0) {
                return any;
            }
            Request w = Request.cmd(Command.RPUSH).arg(tmp);
            items.forEach(x -> w.arg(x.toBuffer()));
            tgt.send(w);
            elements.accept(items.size());
            any = true;
            if (items.size() < chunk) {
                return true;
            }
        }
    }

    /**
     * Entries with their ids, then the stream's counters and consumer groups as the source has them once the entries are
     * in ({@link StreamGroups}: consumers, pending entries with owner, delivery count and time, entries-read). An empty
     * stream (its entries deleted, or made by XGROUP CREATE … MKSTREAM) is made empty on the target too.
     */
    private static boolean copyStream(BlockingRedis src, BlockingRedis tgt, Buffer k, Buffer tmp, int chunk, LongConsumer elements) {
        String from = "-";
        boolean any = false;
        while (true) {
            Response entries = src.send(Request.cmd(Command.XRANGE).arg(k).arg(from).arg("+").arg("COUNT").arg(chunk));
            if (entries == null || entries.size() == 0) {
                break;
            }
            String last = null;
            for (Response e : entries) {
                last = e.get(0).toString();
                Request w = Request.cmd(Command.XADD).arg(tmp).arg(last);
                Response fields = e.get(1);
                for (int i = 0; i < fields.size(); i++) {
                    w.arg(fields.get(i).toBuffer());
                }
                tgt.send(w);
                any = true;
            }
            elements.accept(entries.size());
            if (entries.size() < chunk) {
                break;
            }
            from = "(" + last;
        }
        StreamGroups.State state = StreamGroups.read(src, k.getBytes());
        if (state == null) {
            return false; // gone (or no longer a stream) on the source meanwhile
        }
        if (!any) {
            // an empty stream: made by a placeholder group, which the source's groups then replace
            tgt.send(Request.cmd(Command.XGROUP).arg("CREATE").arg(tmp).arg(StreamGroups.PLACEHOLDER).arg("0").arg("MKSTREAM"));
        }
        StreamGroups.apply(tgt, tmp.getBytes(), state, StreamGroups.counters(tgt));
        return true;
    }

    /** A field of a reply that is a map (RESP3) or a flat list of name, value (RESP2), e.g. of XINFO GROUPS. */
    static String field(Response map, String name) {
        if (map.containsKey(name)) {
            return map.get(name).toString();
        }
        for (int i = 0; i + 1 < map.size(); i += 2) {
            if (name.equals(map.get(i).toString())) {
                return map.get(i + 1).toString();
            }
        }
        return null;
    }
}

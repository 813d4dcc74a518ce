package io.dfmigrate.common.redis;

import io.dfmigrate.common.event.KeyDifference;
import io.vertx.core.buffer.Buffer;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * Compares keys of one database of source and target, on any RESP server (only TYPE, PTTL, the length commands, GET /
 * GETRANGE, LRANGE, HSCAN / SSCAN / ZSCAN, XRANGE, XINFO STREAM FULL (or XINFO GROUPS, CONSUMERS and XPENDING), HMGET, SMISMEMBER and ZMSCORE: no DEBUG, no OBJECT,
 * no MEMORY). Per key: exists on both, same type, same length, same value by a canonical type-aware SHA-256 computed
 * the same way from either side's replies (members of hashes, sets and sorted sets sorted, scores as numbers, stream
 * entries with their ids and the consumer groups with their last-delivered ids), TTLs within a tolerance. Hashes, sets
 * and sorted sets too big for one SCAN reply are compared element by element instead (each source chunk looked up on
 * the target), so memory stays bounded by a chunk.
 *
 * <p>Live writes must not make false differences: a key that differs is compared again after each re-check delay, and
 * is reported as different only if it still differs while its source value held still over a whole delay (so any change
 * made before had the delay to be applied); one found equal in any round is equal; one whose source kept moving is
 * reported as {@value #UNSETTLED}: neither proven different nor equal.
 */
public final class KeyVerifier {
    private static final org.jboss.logging.Logger LOG = org.jboss.logging.Logger.getLogger(KeyVerifier.class);
    public static final String MISSING = "missing-on-target";
    public static final String EXTRA = "extra-on-target";
    public static final String TYPE = "type";
    public static final String VALUE = "value";
    public static final String TTL = "ttl";
    public static final String UNSETTLED = "unsettled";
    public static final String ERROR = "error";
    /** The reasons, in the order the API lists their counts. */
    public static final List<String> REASONS = List.of(MISSING, EXTRA, TYPE, VALUE, TTL, UNSETTLED, ERROR);

    /** Strings up to this size are read with one GET; longer ones in GETRANGE windows of this size. */
    static final int STRING_WINDOW = 1 << 20;

    /**
     * {@code ttlToleranceMillis}: how far apart the two sides' expiry may be; {@code chunk}: elements per read of a big
     * key; {@code recheckDelays}: the pauses before each re-check of keys that differ; {@code sourceOps}: the migration's
     * rate limit on the source (or null); {@code applied}: while the migration replicates, waits until every change
     * captured so far has been applied to the target and says whether it was (null: nothing is replicating).
     */
    public record Settings(long ttlToleranceMillis, int chunk, List<Duration> recheckDelays, RateLimiter sourceOps, BooleanSupplier applied) {
        public static final Settings DEFAULT = new Settings(1000, 1000,
                List.of(Duration.ofMillis(500), Duration.ofSeconds(2), Duration.ofSeconds(5)), null);

        public Settings(long ttlToleranceMillis, int chunk, List<Duration> recheckDelays, RateLimiter sourceOps) {
            this(ttlToleranceMillis, chunk, recheckDelays, sourceOps, null);
        }

        public Settings withApplied(BooleanSupplier applied) {
            return new Settings(ttlToleranceMillis, chunk, recheckDelays, sourceOps, applied);
        }
    }

    /** Keys compared (of target-side names: those the source lacks) and the differences left after the re-checks. */
    public record Result(long checked, List<KeyDifference> differences) {
        public static final Result NONE = new Result(0, List.of());

        /** Both results together (the groups of one batch read from the servers of a cluster, one by one). */
        public Result plus(Result other) {
            List<KeyDifference> all = new java.util.ArrayList<>(differences);
            all.addAll(other.differences);
            return new Result(checked + other.checked, List.copyOf(all));
        }
    }

    /** A key on one side when it was read: its digest is null for a hash, set or zset too big for one SCAN reply. */
    record State(String type, long ttl, long readNanos, long length, byte[] digest, String error) {
        boolean exists() {
            return error == null && !"none".equals(type);
        }

        /** The expiry as a point on the monotonic clock (Long.MAX_VALUE without TTL). */
        long deadline() {
            return ttl < 0 ? Long.MAX_VALUE : readNanos + ttl * 1_000_000;
        }

        KeyDifference.Side side() {
            return error != null ? new KeyDifference.Side("?", -2, -1) : new KeyDifference.Side(type, exists() ? ttl : -2, exists() ? length : 0);
        }
    }

    private enum Verdict { EQUAL, DIFFERENT, CHANGING }

    private final BlockingRedis source;
    private final BlockingRedis target;
    private final Settings settings;
    private final KeyReads reads;

    public KeyVerifier(BlockingRedis source, BlockingRedis target, Settings settings) {
        this.source = source;
        this.target = target;
        this.settings = settings;
        // Redis 7's stream counters (entries-added, max-deleted-id, each group's entries-read) are compared only when both
        // servers keep them: a 6.2 side has none, and a copy into it cannot carry them
        this.reads = new KeyReads(settings, () -> StreamGroups.counters(source) && StreamGroups.counters(target));
    }

    /**
     * Compares {@code keys} (all of them when {@code fromSource}; when the names were scanned on the target, only those
     * the source does not have: the source's own scan compares the others) and returns what still differs after the
     * re-checks.
     */
    public Result verify(List<byte[]> keys, boolean fromSource) {
        List<byte[]> todo = keys;
        if (!fromSource) {
            todo = new ArrayList<>();
            for (int from = 0; from < keys.size(); from += SLICE) {
                List<byte[]> slice = keys.subList(from, Math.min(keys.size(), from + SLICE));
                throttle(slice.size());
                List<BlockingRedis.Result> exists = source.pipeline(slice.stream().map(k -> Request.cmd(Command.EXISTS).arg(k)).toList());
                for (int i = 0; i < slice.size(); i++) {
                    if (!exists.get(i).ok() || exists.get(i).response().toLong() == 0) {
                        todo.add(slice.get(i));
                    }
                }
            }
        }
        Map<Key, Outcome> open = new LinkedHashMap<>();
        round(todo, open, Map.of());
        for (Duration delay : settings.recheckDelays()) {
            if (open.isEmpty()) {
                break;
            }
            sleep(delay);
            Map<Key, Outcome> previous = open;
            open = new LinkedHashMap<>();
            round(previous.keySet().stream().map(Key::bytes).toList(), open, previous);
        }
        open = afterApplied(open);
        List<KeyDifference> differences = new ArrayList<>(open.size());
        for (var e : open.entrySet()) {
            Outcome o = e.getValue();
            String reason = o.verdict == Verdict.CHANGING ? UNSETTLED : o.reason;
            differences.add(new KeyDifference(source.db(), e.getKey().bytes(), reason, o.source.side(), o.target.side()));
        }
        return new Result(todo.size(), differences);
    }

    /**
     * The keys that held still on the source and still differ may have a change on its way (replication behind by more
     * than the re-check delays): once every change captured until now is applied, they are compared once more. When
     * that cannot be confirmed in time they are not proven different and count as unsettled.
     */
    private Map<Key, Outcome> afterApplied(Map<Key, Outcome> open) {
        if (settings.applied() == null || open.values().stream().noneMatch(Outcome::candidate)) {
            return open;
        }
        boolean applied = settings.applied().getAsBoolean();
        Map<Key, Outcome> after = new LinkedHashMap<>();
        List<byte[]> again = new ArrayList<>();
        open.forEach((k, o) -> {
            if (o.candidate()) {
                if (applied) {
                    again.add(k.bytes());
                } else {
                    after.put(k, new Outcome(Verdict.CHANGING, o.reason, o.source, o.target, o.mismatch));
                }
            } else {
                after.put(k, o);
            }
        });
        round(again, after, open);
        return after;
    }

    private record Key(byte[] bytes) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && Arrays.equals(bytes, k.bytes);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(bytes);
        }
    }

    /** {@code mismatch}: for a big hash, set or zset, the first element that differed (name and source value). */
    private record Outcome(Verdict verdict, String reason, State source, State target, byte[] mismatch) {
        /** Different with a source that held still, but maybe only behind the replication: compared again once applied. */
        boolean candidate() {
            return verdict == Verdict.DIFFERENT && !reason.equals(ERROR);
        }
    }

    /** Set by {@link #sameElements}: the element that differed, so the next round can tell a still key from a moving one. */
    private byte[] mismatch;

    /**
     * Keys compared per pipeline: a batch's reads share a pooled connection with the other batches in flight, whose
     * client holds at most 65,536 waiting replies; slices of 1,000 keys (2,000 commands) keep well under it.
     */
    static final int SLICE = 1000;

    /** One comparison of {@code keys}, slice by slice: those that are not equal go into {@code open}. */
    private void round(List<byte[]> keys, Map<Key, Outcome> open, Map<Key, Outcome> previous) {
        for (int from = 0; from < keys.size(); from += SLICE) {
            roundSlice(keys.subList(from, Math.min(keys.size(), from + SLICE)), open, previous);
        }
    }

    private void roundSlice(List<byte[]> keys, Map<Key, Outcome> open, Map<Key, Outcome> previous) {
        if (keys.isEmpty()) {
            return;
        }
        List<State> first = reads.read(source, keys, true);
        List<State> tgt = reads.read(target, keys, false);
        List<Integer> differing = new ArrayList<>();
        List<String> reasons = new ArrayList<>();
        List<byte[]> mismatches = new ArrayList<>();
        for (int i = 0; i < keys.size(); i++) {
            mismatch = null;
            String reason = compare(keys.get(i), first.get(i), tgt.get(i));
            if (reason != null) {
                differing.add(i);
                reasons.add(reason);
                mismatches.add(mismatch);
            }
        }
        if (differing.isEmpty()) {
            return;
        }
        logFirstError(keys, first, tgt);
        // read the source again: a key that moved while it was compared is changing, not (yet) different
        List<State> second = reads.read(source, differing.stream().map(keys::get).toList(), true);
        for (int d = 0; d < differing.size(); d++) {
            int i = differing.get(d);
            Key key = new Key(keys.get(i));
            State a = first.get(i);
            State b = second.get(d);
            // proven different only when the source held still since the previous round, a whole re-check delay in
            // which any change made before it was applied; without re-checks, since the read just before the target's
            Outcome before = previous.get(key);
            // (a big hash, set or zset has no digest: the same element must differ with the same source value)
            boolean still = settings.recheckDelays().isEmpty() ? same(a, b)
                    : before != null && same(before.source(), a) && same(a, b) && Arrays.equals(before.mismatch(), mismatches.get(d));
            Verdict v = reasons.get(d).equals(ERROR) || still ? Verdict.DIFFERENT : Verdict.CHANGING;
            open.put(key, new Outcome(v, reasons.get(d), b, tgt.get(i), mismatches.get(d)));
        }
    }

    /** Whether two reads of the source show the same key (type, length, value and expiry). */
    private boolean same(State a, State b) {
        return a.error == null && b.error == null && a.type.equals(b.type) && a.length == b.length && Arrays.equals(a.digest, b.digest)
                && Math.abs(a.deadline() - b.deadline()) <= settings.ttlToleranceMillis() * 1_000_000L
                && (a.ttl < 0) == (b.ttl < 0);
    }

    /** A key that could not be read says why in the log (the difference itself only says {@value #ERROR}). */
    private void logFirstError(List<byte[]> keys, List<State> src, List<State> tgt) {
        for (int i = 0; i < keys.size(); i++) {
            String error = src.get(i).error != null ? "source " + source.endpoint().address() + ": " + src.get(i).error
                    : tgt.get(i).error != null ? "target: " + tgt.get(i).error : null;
            if (error != null) {
                LOG.warnf("key '%s' could not be read for the comparison: %s", KeySync.printable(keys.get(i)), error);
                return;
            }
        }
    }

    /** The reason {@code key} differs, or null when both sides hold the same. */
    private String compare(byte[] key, State s, State t) {
        if (s.error != null || t.error != null) {
            return ERROR;
        }
        if (!s.exists() && !t.exists()) {
            return null;
        }
        if (!t.exists()) {
            return MISSING;
        }
        if (!s.exists()) {
            return EXTRA;
        }
        if (!s.type.equals(t.type)) {
            return TYPE;
        }
        if (s.length != t.length) {
            return VALUE;
        }
        if (s.digest != null || t.digest != null) {
            if (!Arrays.equals(s.digest, t.digest)) {
                return VALUE;
            }
        } else if (isUnordered(s.type) && !sameElements(Buffer.buffer(key), s.type)) {
            return VALUE;
        }
        if ((s.ttl < 0) != (t.ttl < 0)) {
            return TTL;
        }
        if (s.ttl >= 0 && Math.abs(s.deadline() - t.deadline()) > settings.ttlToleranceMillis() * 1_000_000L) {
            return TTL;
        }
        return null;
    }

    static boolean isUnordered(String type) {
        return type.equals("hash") || type.equals("set") || type.equals("zset");
    }

    /**
     * A big hash, set or zset of equal length on both sides: each chunk of the source's SCAN is looked up on the target
     * (HMGET, SMISMEMBER, ZMSCORE). Equal lengths and every source element found equal means equal contents.
     */
    private boolean sameElements(Buffer k, String type) {
        Command scan = switch (type) {
            case "hash" -> Command.HSCAN;
            case "set" -> Command.SSCAN;
            default -> Command.ZSCAN;
        };
        String cursor = "0";
        do {
            throttle(1);
            Response page = source.send(Request.cmd(scan).arg(k).arg(cursor).arg("COUNT").arg(settings.chunk()));
            cursor = page.get(0).toString();
            Response items = page.get(1);
            int step = type.equals("set") ? 1 : 2;
            if (items.size() == 0) {
                continue;
            }
            Request lookup = Request.cmd(switch (type) {
                case "hash" -> Command.HMGET;
                case "set" -> Command.SMISMEMBER;
                default -> Command.ZMSCORE;
            }).arg(k);
            for (int i = 0; i < items.size(); i += step) {
                lookup.arg(items.get(i).toBuffer());
            }
            Response found = target.send(lookup);
            for (int i = 0, j = 0; i < items.size(); i += step, j++) {
                Response f = found.get(j);
                boolean equal = switch (type) {
                    case "hash" -> f != null && Arrays.equals(f.toBytes(), items.get(i + 1).toBytes());
                    case "set" -> f != null && f.toLong() == 1;
                    default -> f != null && KeyReads.score(f.toString()) == KeyReads.score(items.get(i + 1).toString());
                };
                if (!equal) {
                    byte[] name = items.get(i).toBytes();
                    byte[] value = step == 1 ? new byte[0] : items.get(i + 1).toBytes();
                    mismatch = ByteBuffer.allocate(8 + name.length + value.length).putInt(name.length).put(name)
                            .putInt(value.length).put(value).array();
                    return false;
                }
            }
        } while (!"0".equals(cursor));
        return true;
    }

    private void throttle(long ops) {
        if (settings.sourceOps() != null && ops > 0) {
            settings.sourceOps().acquire(ops);
        }
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RedisCommandException("interrupted while verifying");
        }
    }
}

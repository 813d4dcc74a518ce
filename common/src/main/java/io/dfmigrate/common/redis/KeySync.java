package io.dfmigrate.common.redis;

import io.dfmigrate.common.event.KeyFailure;
import io.netty.buffer.ByteBuf;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.buffer.impl.BufferImpl;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import io.vertx.redis.client.ResponseType;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * The key-sync engine shared by copier and replicator: makes the target's copy of each key equal to the source's
 * current state. Per batch: one read-only script call to the source returns {@code PTTL} and {@code DUMP} of every key
 * (sources that refuse scripts get a pipeline of {@code PTTL} + {@code MEMORY USAGE} and one of {@code DUMP}), then one
 * pipeline of {@code RESTORE key ttl payload REPLACE} (or {@code DEL} for a key that is gone; without REPLACE and
 * without DEL for the initial copy without overwrite, {@link #keepingExisting}) goes to the target. Big keys, and keys whose payload the target refuses (another RDB version), are copied by type in chunks
 * ({@link StructuralCopy}). Keys and values are bytes end to end. Idempotent: syncing a key twice leaves the same result.
 */
public final class KeySync {
    // RESTORE's constant arguments, encoded once (a request keeps a byte[] argument as it is; never modified)
    private static final byte[] NO_TTL = {'0'};
    private static final byte[] ABSTTL = "ABSTTL".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] REPLACE = "REPLACE".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] RESTORE = "RESTORE".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] DEL = "DEL".getBytes(StandardCharsets.US_ASCII);

    private static final System.Logger LOG = System.getLogger(KeySync.class.getName());
    /** In the read script's reply: the key is over the big-key size (copied by type), or beyond this call's byte budget. */
    static final long SCRIPT_BIG = -1;
    static final long SCRIPT_LATER = -3;
    /** Keys per script call: the source runs one call at a time, so this bounds how long other clients wait (about 1 ms). */
    static final int SCRIPT_KEYS = 1000;
    /**
     * KEYS: the keys; ARGV[1]: big-key bytes; ARGV[2]: most bytes of values in one reply. Reply: the source's TIME in Unix
     * ms (-1 if TIME is refused), then per key its PTTL, then its DUMP payload, or SCRIPT_BIG, or SCRIPT_LATER (0 for a key
     * that is gone). Reads only; the source's clock is frozen while it runs (Redis 7+), so every TTL is read at the same
     * moment as its payload, and at the time returned: TIME + PTTL is the key's deadline on the source's clock, however long
     * the reply then takes to arrive.
     */
    public static final String READ_SCRIPT = """
            local out = {}
            local t = redis.pcall('TIME')
            if type(t) == 'table' and t[1] then
              out[1] = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
            else
              out[1] = -1
            end
            local big = tonumber(ARGV[1])
            local budget = tonumber(ARGV[2])
            local used = 0
            for i, k in ipairs(KEYS) do
              local ttl = redis.call('PTTL', k)
              out[#out + 1] = ttl
              if ttl == -2 then
                out[#out + 1] = 0
              else
                local size = redis.call('MEMORY', 'USAGE', k, 'SAMPLES', '1') or 0
                if size > big then
                  out[#out + 1] = -1
                elseif used > 0 and used + size > budget then
                  out[#out + 1] = -3
                else
                  used = used + size
                  out[#out + 1] = redis.call('DUMP', k)
                end
              end
            end
            return out
            """;
    static final String READ_SCRIPT_SHA = sha1(READ_SCRIPT);
    /** Sources (host:port) that refused the read script; they get the pipelines. */
    private static final Set<String> SCRIPTS_REFUSED = ConcurrentHashMap.newKeySet();
    /**
     * Sources without EVALSHA_RO (before Redis 7): they run the script with EVALSHA, which a cutover's CLIENT PAUSE WRITE
     * holds back. EVALSHA_RO runs during that pause, so changes captured just before it can still be applied.
     */
    private static final Set<String> NO_READ_ONLY_SCRIPTS = ConcurrentHashMap.newKeySet();

    private final BlockingRedis source;
    private final BlockingRedis target;
    private final Limits limits;
    private CopyProgress progress;
    private boolean keepExisting;
    private String tmpPrefix = StructuralCopy.TMP_PREFIX;
    /** Refused payloads of small keys, copied by type many at once ({@link #copySmallByType}); per {@link #sync} call. */
    private final List<byte[]> typed = new ArrayList<>();
    private final List<Long> typedTtl = new ArrayList<>();
    /** A refused payload at most this long is a small key: read and written by type in pipelines, not one by one. */
    static final int SMALL_TYPED_BYTES = 64 * 1024;

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

    /** Counts written keys, bytes, failures and big-key elements into {@code progress} as the work goes (live progress). */
    private long restamped;
    private long converted;
    private boolean conversion = true;

    /** Keys this engine sent with a payload re-stamped for the target's RDB version ({@link DumpPayload}). */
    public long restamped() {
        return restamped;
    }

    /** Keys this engine sent with a payload converted to an older encoding for the target ({@link DumpConversion}). */
    public long converted() {
        return converted;
    }

    /** The target's payload format (asked once per connection, {@link BlockingRedis#payloadFormat}); null when unknown. */
    private DumpPayload.Format targetFormat() {
        return target.payloadFormat();
    }

    /**
     * Payloads newer than the target are not converted ({@link DumpConversion}), only re-stamped or copied by type: for
     * tests of the by-type paths, which payloads that cannot be converted (hash-field TTLs into Dragonfly) take.
     */
    KeySync withoutConversion() {
        this.conversion = false;
        return this;
    }

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

    /** The failure reason of a key the target already had, which the copy without overwrite keeps. */
    /** A retried batch's keys compared once, as the verification compares them (values, TTLs within a second). */
    private static final KeyVerifier.Settings SAME_VALUE = new KeyVerifier.Settings(1000, 1000, List.of(), null);

    /** Of {@code keys}, those the target does not hold with the source's value and TTL (compared once, as the verification does). */
    static Set<ByteBuffer> differFromSource(BlockingRedis source, BlockingRedis target, List<byte[]> keys) {
        Set<ByteBuffer> differ = new HashSet<>();
        new KeyVerifier(source, target, SAME_VALUE).verify(keys, true).differences().forEach(d -> differ.add(ByteBuffer.wrap(d.key())));
        return differ;
    }

    public static final String CONFLICT = "the target already has this key with another value; options.overwrite=false keeps it";

    /**
     * Outcome of one batch. {@code written} keys were restored (by RESTORE or structurally), {@code deleted} were gone
     * on the source, {@code structural} of the written ones were copied by type (big keys, refused DUMP payloads).
     */
    public record Result(long written, long deleted, long bytes, long structural, List<KeyFailure> failures) {
        public long failed() {
            return failures.size();
        }
    }

    /**
     * Error replies that are about the server, not about one key: out of memory, read-only replica, missing permission,
     * loading, a failed background save, a busy script, cluster or replica trouble. A batch that meets one is not done:
     * it fails as a whole (retried, then the migration fails with the server's reason), never as per-key failures.
     */
    private static final Pattern SERVER_FAULT = Pattern.compile(
            "(^|[\\s:])(OOM|READONLY|NOPERM|LOADING|MISCONF|MASTERDOWN|NOAUTH|WRONGPASS|CLUSTERDOWN|TRYAGAIN|NOREPLICAS|BUSY)\\b");

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

    /**
     * A TTL as a deadline on this process's monotonic clock ({@link ServerClock#now()}): always ≥ 1 for a key that expires,
     * so the other values keep their meaning (-1 no TTL, -2 gone, 0 expires now). Every write turns it back into the time
     * left at that moment ({@link #remaining}), or into an absolute time on the target's clock ({@link #targetAt}): a key
     * copied seconds after its TTL was read (a big key, a slow structural copy, a long pipeline) expires with the source's.
     *
     * <p>Exact when the source said when it read the TTL ({@code sourceMillis}, its TIME in the same script or around the
     * same pipeline, ≥ 0): the deadline is then the source's own, mapped through its clock offset. Otherwise the TTL is
     * taken as read at {@code readAt}, the middle of the round trip, which a busy machine can put off by half of a long
     * pipeline's wait.
     */
    private long deadline(long ttl, long sourceMillis, long readAt) {
        if (ttl <= 0) {
            return ttl;
        }
        long offset = sourceMillis < 0 ? Long.MIN_VALUE : sourceClock();
        return Math.max(1, offset == Long.MIN_VALUE ? readAt + ttl : sourceMillis + ttl - offset);
    }

    /** The source's wall clock minus {@link ServerClock#now()}; MIN_VALUE if the source refuses TIME. */
    private long sourceClock = Long.MIN_VALUE + 1;

    private long sourceClock() {
        if (sourceClock == Long.MIN_VALUE + 1) {
            try {
                sourceClock = ServerClock.offset(source);
            } catch (RedisCommandException e) {
                if (!BlockingRedis.isReplyError(e.getCause())) {
                    throw e;
                }
                sourceClock = Long.MIN_VALUE;
            }
        }
        return sourceClock;
    }

    /** The time left of a {@link #deadline}, now: -1 no TTL, -2 gone, 0 expired (treated as gone), else ms. */
    private long remaining(long deadline) {
        return deadline > 0 ? Math.max(0, deadline - now()) : deadline;
    }

    private static long now() {
        return ServerClock.now();
    }

    /** The target's wall clock (Unix ms) minus {@link #now()}; unknown until the first write. */
    private long targetClock = Long.MIN_VALUE;

    /**
     * A deadline as an absolute time on the target's clock, for {@code RESTORE … ABSTTL} and {@code PEXPIREAT}: a write
     * that waits in the target's queue (a paused or busy target, a long pipeline) still expires with the source's key,
     * where a relative TTL would grow by the wait. The offset comes from the target's TIME ({@link ServerClock#offset});
     * a target that refuses TIME is taken to share this machine's clock.
     */
    long targetAt(long deadline) {
        if (targetClock == Long.MIN_VALUE) {
            long before = now();
            try {
                targetClock = ServerClock.offset(target);
            } catch (RedisCommandException e) {
                if (!BlockingRedis.isReplyError(e.getCause())) {
                    throw e;
                }
                targetClock = System.currentTimeMillis() - before;
            }
        }
        return deadline + targetClock;
    }

    /** After the RESTOREs: the small keys the target refused by type, then the big ones in chunks; the batch's result. */
    private Result finish(List<KeyFailure> failures, List<byte[]> structural, List<Long> structuralTtl, long[] totals) {
        long[] viaTypes = {0};
        copySmallByType(failures, structural, structuralTtl, totals, viaTypes);
        Result result = copyStructurally(failures, structural, structuralTtl, totals, viaTypes[0]);
        if (progress != null) {
            progress.failed.add(result.failed());
        }
        return result;
    }

    public Result sync(List<byte[]> keys) {
        if (keys.isEmpty()) {
            return new Result(0, 0, 0, 0, List.of());
        }
        List<KeyFailure> failures = new ArrayList<>();
        List<byte[]> structural = new ArrayList<>();
        List<Long> structuralTtl = new ArrayList<>();
        long[] totals = {0, 0, 0};
        List<byte[]> pending = keys;
        typed.clear();
        typedTtl.clear();
        if (!SCRIPTS_REFUSED.contains(source.endpoint().address())) {
            pending = syncByScript(keys, failures, structural, structuralTtl, totals);
        }
        if (!pending.isEmpty()) {
            syncByPipelines(pending, failures, structural, structuralTtl, totals);
        }
        return finish(failures, structural, structuralTtl, totals);
    }

    /**
     * Keys whose DUMP payloads were read elsewhere ({@link SnapshotReader}, {@code copyMode=snapshot}), each with its expiry
     * as Unix ms on this machine's clock (-1: no TTL; the caller converts the source's clock). Written exactly as {@link #sync} writes what it reads: payloads
     * adapted to the target's format, what the target refuses and payloads over {@code bigKeyBytes} copied by type from the
     * live source (in chunks), {@link #keepingExisting} honoured, failures per key. Expired keys are not passed in.
     */
    public Result restore(List<byte[]> keys, List<Long> expireAtMillis, List<Buffer> payloads) {
        if (keys.isEmpty()) {
            return new Result(0, 0, 0, 0, List.of());
        }
        List<KeyFailure> failures = new ArrayList<>();
        List<byte[]> structural = new ArrayList<>();
        List<Long> structuralTtl = new ArrayList<>();
        long[] totals = {0, 0, 0};
        typed.clear();
        typedTtl.clear();
        long wallMinusNow = System.currentTimeMillis() - now();
        List<byte[]> small = new ArrayList<>(keys.size());
        List<Long> smallTtl = new ArrayList<>(keys.size());
        List<Buffer> smallPayloads = new ArrayList<>(keys.size());
        for (int i = 0; i < keys.size(); i++) {
            // a deadline on now()'s scale, ≥ 1 (an expiry already passed is written as expiring at once, never as no TTL)
            long deadline = expireAtMillis.get(i) < 0 ? -1 : Math.max(1, expireAtMillis.get(i) - wallMinusNow);
            if (payloads.get(i).length() > limits.bigKeyBytes()) {
                structural.add(keys.get(i));
                structuralTtl.add(deadline);
            } else {
                small.add(keys.get(i));
                smallTtl.add(deadline);
                smallPayloads.add(payloads.get(i));
            }
        }
        write(small, smallTtl, smallPayloads, new ArrayList<>(), failures, structural, structuralTtl, totals);
        return finish(failures, structural, structuralTtl, totals);
    }

    /**
     * One round trip to the source per slice: a read-only script returns PTTL and DUMP of every key in one reply, and
     * for a big key only its TTL (it is copied by type), so big keys are never DUMPed whole and one reply carries at
     * most {@code pipelineBytes} of values (keys beyond that come back as "later" and go in the next call). Fewer
     * commands for the source to parse and fewer replies for the copier to match than three pipelined commands per key.
     * Returns the keys still to do: all of them when the source refuses scripts (ACL, disabled), which then get the
     * pipelines for the rest of this process's life.
     */
    private List<byte[]> syncByScript(List<byte[]> keys, List<KeyFailure> failures, List<byte[]> structural, List<Long> structuralTtl,
                                      long[] totals) {
        List<byte[]> pending = keys;
        while (!pending.isEmpty()) {
            throttle(3L * pending.size());
            // one pipeline of script calls of at most SCRIPT_KEYS keys each: the source serves other clients between calls,
            // and the replies together carry at most pipelineBytes of values
            int calls = (pending.size() + SCRIPT_KEYS - 1) / SCRIPT_KEYS;
            long budget = Math.max(1, limits.pipelineBytes() / calls);
            List<Request> requests = new ArrayList<>(calls);
            boolean readOnly = !NO_READ_ONLY_SCRIPTS.contains(source.endpoint().address());
            Command evalsha = readOnly ? Command.EVALSHA_RO : Command.EVALSHA;
            Command eval = readOnly ? Command.EVAL_RO : Command.EVAL;
            for (int c = 0; c < calls; c++) {
                requests.add(readCall(evalsha, READ_SCRIPT_SHA, pending.subList(c * SCRIPT_KEYS,
                        Math.min(pending.size(), (c + 1) * SCRIPT_KEYS)), budget));
            }
            long sentAt = now();
            List<BlockingRedis.Result> replies = source.pipeline(requests);
            long readAt = (sentAt + now()) / 2; // the TTLs were read somewhere between sending and the reply
            if (readOnly && !replies.get(0).ok() && replies.get(0).error().toLowerCase(Locale.ROOT).contains("unknown command")) {
                NO_READ_ONLY_SCRIPTS.add(source.endpoint().address());
                continue; // the same keys again, with EVALSHA
            }
            List<byte[]> dumpedKeys = new ArrayList<>(pending.size());
            List<Long> ttls = new ArrayList<>(pending.size());
            List<Buffer> payloads = new ArrayList<>(pending.size());
            List<byte[]> gone = new ArrayList<>();
            List<byte[]> later = new ArrayList<>();
            for (int c = 0; c < calls; c++) {
                List<byte[]> slice = pending.subList(c * SCRIPT_KEYS, Math.min(pending.size(), (c + 1) * SCRIPT_KEYS));
                BlockingRedis.Result reply = replies.get(c);
                long sliceReadAt = readAt;
                if (!reply.ok() && reply.error().startsWith("NOSCRIPT")) {
                    long resentAt = now();
                    reply = source.pipeline(List.of(readCall(eval, READ_SCRIPT, slice, budget))).get(0);
                    sliceReadAt = (resentAt + now()) / 2;
                }
                if (!reply.ok()) {
                    SCRIPTS_REFUSED.add(source.endpoint().address());
                    LOG.log(System.Logger.Level.INFO, source.endpoint() + " refuses the read script (" + reply.error()
                            + "): reading keys with pipelined PTTL, MEMORY USAGE and DUMP instead");
                    later.addAll(pending.subList(c * SCRIPT_KEYS, pending.size()));
                    write(dumpedKeys, ttls, payloads, gone, failures, structural, structuralTtl, totals);
                    return later;
                }
                Response r = reply.response();
                long sourceMillis = r.get(0).toLong();
                for (int i = 0; i < slice.size(); i++) {
                    byte[] key = slice.get(i);
                    long ttl = r.get(1 + 2 * i).toLong();
                    Response v = r.get(2 + 2 * i);
                    if (ttl == -2) {
                        gone.add(key);
                    } else if (v.type() == ResponseType.BULK) {
                        dumpedKeys.add(key);
                        ttls.add(deadline(ttl, sourceMillis, sliceReadAt));
                        payloads.add(v.toBuffer());
                    } else if (v.toLong() == SCRIPT_BIG) {
                        structural.add(key);
                        structuralTtl.add(deadline(ttl, sourceMillis, sliceReadAt));
                    } else {
                        later.add(key);
                    }
                }
            }
            write(dumpedKeys, ttls, payloads, gone, failures, structural, structuralTtl, totals);
            pending = later;
        }
        return pending;
    }

    private Request readCall(Command command, String script, List<byte[]> keys, long budget) {
        Request call = Request.cmd(command).arg(script).arg(keys.size());
        keys.forEach(k -> call.arg(k));
        return call.arg(limits.bigKeyBytes()).arg(budget);
    }

    /** The pipelined way, for sources that refuse scripts. */
    private void syncByPipelines(List<byte[]> keys, List<KeyFailure> failures, List<byte[]> structural, List<Long> structuralTtl,
                                 long[] totals) {
        // 1. TTL and (approximate) size: big keys are never DUMPed whole
        // between two TIMEs: the source read every PTTL between them, which bounds when far tighter than the round trip
        List<Request> probes = new ArrayList<>(keys.size() * 2 + 2);
        probes.add(Request.cmd(Command.TIME));
        for (byte[] key : keys) {
            probes.add(Request.cmd(Command.PTTL).arg(key));
            probes.add(Request.cmd(Command.MEMORY).arg("USAGE").arg(key).arg("SAMPLES").arg(1));
        }
        probes.add(Request.cmd(Command.TIME));
        throttle(probes.size());
        long sentAt = now();
        List<BlockingRedis.Result> probed = source.pipeline(probes);
        long readAt = (sentAt + now()) / 2;
        BlockingRedis.Result first = probed.get(0);
        BlockingRedis.Result last = probed.get(probed.size() - 1);
        long sourceMillis = first.ok() && last.ok() ? (ServerClock.millis(first.response()) + ServerClock.millis(last.response())) / 2 : -1;
        probed = probed.subList(1, probed.size() - 1);
        List<byte[]> small = new ArrayList<>(keys.size());
        List<Long> smallTtl = new ArrayList<>(keys.size());
        List<Long> smallBytes = new ArrayList<>(keys.size());
        List<byte[]> gone = new ArrayList<>();
        for (int i = 0; i < keys.size(); i++) {
            BlockingRedis.Result pttl = probed.get(2 * i);
            BlockingRedis.Result usage = probed.get(2 * i + 1);
            if (!pttl.ok()) {
                failOnServerFault(source, "source", pttl.error());
                failures.add(new KeyFailure(source.db(), printable(keys.get(i)), "source: " + pttl.error()));
                continue;
            }
            long ttl = pttl.response() == null ? -2 : pttl.response().toLong();
            long bytes = usage.ok() && usage.response() != null ? usage.response().toLong() : 0;
            if (ttl == -2) {
                gone.add(keys.get(i));
            } else if (bytes > limits.bigKeyBytes()) {
                structural.add(keys.get(i));
                structuralTtl.add(deadline(ttl, sourceMillis, readAt));
            } else {
                small.add(keys.get(i));
                smallTtl.add(deadline(ttl, sourceMillis, readAt));
                smallBytes.add(bytes);
            }
        }
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
    }

    /**
     * Small keys whose payload the target refused (another RDB version), by type, many at once: one pipeline of TYPE,
     * one of reads (GET, or HSCAN/SSCAN/ZSCAN/LRANGE that a small key answers in one reply), then one pipeline with a
     * MULTI/EXEC per key (DEL, the writes, PEXPIRE with the TTL left at that moment), so the target never shows a half
     * key and no temporary key or RENAME is needed. Streams, keys that changed type or grew meanwhile go to the per-key
     * structural copy.
     */
    private void copySmallByType(List<KeyFailure> failures, List<byte[]> structural, List<Long> structuralTtl, long[] totals,
                                 long[] viaTypes) {
        // in slices: a TTL is turned into the time left when its slice's writes are built, and a slice's pipeline runs in
        // a few ms, so the TTLs stay exact (and memory stays bounded) however many keys were refused
        for (int from = 0; from < typed.size(); from += TYPED_SLICE) {
            int to = Math.min(typed.size(), from + TYPED_SLICE);
            copySmallByType(typed.subList(from, to), typedTtl.subList(from, to), failures, structural, structuralTtl, totals, viaTypes);
        }
    }

    static final int TYPED_SLICE = 500;

    private void copySmallByType(List<byte[]> typed, List<Long> typedTtl, List<KeyFailure> failures, List<byte[]> structural,
                                 List<Long> structuralTtl, long[] totals, long[] viaTypes) {
        int n = typed.size();
        throttle(2L * n);
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
                structural.add(typed.get(i));
                structuralTtl.add(typedTtl.get(i));
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
            Request write = v.ok() ? typedWrite(typeOf.get(r), k, v.response(), limits.chunk()) : null;
            if (v.ok() && v.response() == null || v.ok() && write == null && isEmptyRead(typeOf.get(r), v.response())) {
                gone.add(typed.get(i)); // deleted between TYPE and the read
                continue;
            }
            if (write == null) {
                structural.add(typed.get(i)); // changed type, or more than one reply holds: key by key
                structuralTtl.add(typedTtl.get(i));
                continue;
            }
            long ttl = remaining(typedTtl.get(i));
            if (ttl == 0) {
                gone.add(typed.get(i)); // expired meanwhile
                continue;
            }
            int first = writes.size();
            writes.add(Request.cmd(Command.MULTI));
            writes.add(Request.cmd(Command.DEL).arg(k));
            writes.add(write);
            if (ttl > 0) {
                writes.add(Request.cmd(Command.PEXPIREAT).arg(k).arg(targetAt(typedTtl.get(i))));
            }
            writes.add(Request.cmd(Command.EXEC));
            writeOf.add(i);
            span.add(new int[] {first, writes.size() - 1});
        }
        for (byte[] key : gone) {
            writes.add(Request.cmd(Command.DEL).arg(key));
        }
        List<BlockingRedis.Result> done = target.pipeline(writes);
        for (int w = 0; w < writeOf.size(); w++) {
            String error = null;
            for (int j = span.get(w)[0]; j <= span.get(w)[1] && error == null; j++) {
                error = done.get(j).error();
            }
            if (error == null) {
                viaTypes[0]++;
                totals[0]++;
                if (progress != null) {
                    progress.keys.increment();
                    progress.structural.increment();
                }
            } else {
                failOnServerFault(target, "target", error);
                failures.add(new KeyFailure(target.db(), printable(typed.get(writeOf.get(w))), "target: " + error));
            }
        }
        for (int j = writes.size() - gone.size(); j < writes.size(); j++) {
            if (done.get(j).ok()) {
                totals[1]++;
            } else {
                failOnServerFault(target, "target", done.get(j).error());
            }
        }
    }

    /** The one write that recreates a small key from its read, or null when the read does not hold all of it. */
    private static Request typedWrite(String type, Buffer k, Response v, int maxElements) {
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

    private Result copyStructurally(List<KeyFailure> failures, List<byte[]> structural, List<Long> structuralTtl, long[] totals,
                                    long viaTypes) {
        long restored = totals[0];
        long deleted = totals[1];
        long bytes = totals[2];
        // 3. big keys and refused payloads, by type, in chunks
        long viaStructure = viaTypes;
        for (int i = 0; i < structural.size(); i++) {
            String error;
            try {
                long deadline = structuralTtl.get(i);
                error = StructuralCopy.copy(source, target, structural.get(i), () -> {
                            long left = remaining(deadline);
                            return left > 0 ? targetAt(deadline) : left;
                        }, limits.chunk(),
                        progress == null ? n -> { } : progress.elements::add, keepExisting, tmpPrefix);
            } catch (RedisCommandException e) {
                throw e;
            } catch (RuntimeException e) {
                error = "structural copy failed: " + e.getMessage();
            }
            if (error == null) {
                viaStructure++;
                restored++;
                if (progress != null) {
                    progress.keys.increment();
                    progress.structural.increment();
                }
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
            dumps.add(Request.cmd(Command.DUMP).arg(key));
        }
        throttle(dumps.size());
        List<BlockingRedis.Result> dumped = source.pipeline(dumps);
        List<byte[]> dumpedKeys = new ArrayList<>(small.size());
        List<Long> ttls = new ArrayList<>(small.size());
        List<Buffer> payloads = new ArrayList<>(small.size());
        for (int i = 0; i < small.size(); i++) {
            byte[] key = small.get(i);
            BlockingRedis.Result dump = dumped.get(i);
            if (!dump.ok()) {
                failOnServerFault(source, "source", dump.error());
                failures.add(new KeyFailure(source.db(), printable(key), "source: " + dump.error()));
                continue;
            }
            if (dump.response() == null) {
                gone.add(key); // expired or deleted between the two pipelines
                continue;
            }
            dumpedKeys.add(key);
            ttls.add(smallTtl.get(i));
            payloads.add(dump.response().toBuffer());
        }
        write(dumpedKeys, ttls, payloads, gone, failures, structural, structuralTtl, totals);
    }

    /**
     * One pipeline to the target: RESTORE … REPLACE of each payload with its TTL, DEL of each key gone from the source. A
     * payload the target refuses for its format goes to {@code structural}; totals: restored, deleted, bytes.
     */
    private void write(List<byte[]> keys, List<Long> ttls, List<Buffer> payloads, List<byte[]> gone, List<KeyFailure> failures,
                       List<byte[]> structural, List<Long> structuralTtl, long[] totals) {
        List<Buffer> read = payloads;
        payloads = adapted(payloads);
        List<byte[][]> writes = new ArrayList<>(keys.size() + gone.size());
        List<byte[]> writtenKeys = new ArrayList<>(keys.size() + gone.size());
        List<Long> writtenTtl = new ArrayList<>(keys.size() + gone.size());
        List<Buffer> writtenPayloads = new ArrayList<>(keys.size());
        List<Buffer> writtenAsRead = read == payloads ? writtenPayloads : new ArrayList<>(keys.size());
        for (int i = 0; i < keys.size(); i++) {
            long ttl = remaining(ttls.get(i));
            if (ttl == 0) {
                // PTTL 0: it expires within the millisecond; RESTORE with TTL 0 would make it persistent
                gone.add(keys.get(i));
                continue;
            }
            Buffer value = payloads.get(i);
            totals[2] += value.length();
            byte[] key = keys.get(i);
            byte[] payload = bytes(value);
            byte[] at = ttl > 0 ? Long.toString(targetAt(ttls.get(i))).getBytes(StandardCharsets.US_ASCII) : NO_TTL;
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
        long before = totals[0] + totals[1];
        List<byte[]> convertedStreams = new ArrayList<>();
        List<Integer> busy = new ArrayList<>();
        for (int i = 0; i < written.size(); i++) {
            BlockingRedis.Result r = written.get(i);
            boolean isRestore = i < restores;
            if (r.ok()) {
                if (isRestore) {
                    totals[0]++;
                    if (convertedStream(writtenAsRead.get(i), writtenPayloads.get(i))) {
                        convertedStreams.add(writtenKeys.get(i));
                    }
                } else {
                    totals[1]++;
                }
            } else if (isRestore && formatRefused(r.error())) {
                // neither re-stamped nor converted (adapted), or the target's format is unknown: by type
                byType(writtenKeys.get(i), writtenTtl.get(i), writtenPayloads.get(i).length(), structural, structuralTtl);
            } else if (isRestore && keepExisting && r.error().startsWith("BUSYKEY")) {
                busy.add(i);
            } else {
                failOnServerFault(target, "target", r.error());
                failures.add(new KeyFailure(target.db(), printable(writtenKeys.get(i)), "target: " + r.error()));
            }
        }
        restoreStreamGroups(convertedStreams, failures);
        if (!busy.isEmpty()) {
            // keys the target already has: the same payload is this copy's own earlier write, anything else a conflict
            List<Request> dumps = busy.stream().map(i -> Request.cmd(Command.DUMP).arg(writtenKeys.get(i))).toList();
            List<BlockingRedis.Result> there = target.pipeline(dumps);
            List<byte[]> otherPayload = new ArrayList<>();
            for (int j = 0; j < busy.size(); j++) {
                int i = busy.get(j);
                BlockingRedis.Result d = there.get(j);
                if (d.ok() && d.response() != null && d.response().toBuffer().equals(writtenPayloads.get(i))) {
                    totals[0]++;
                } else {
                    otherPayload.add(writtenKeys.get(i));
                }
            }
            if (!otherPayload.isEmpty()) {
                // a target that re-encodes what it restores (Dragonfly, a converted payload) DUMPs the copy's own write
                // differently: the value and TTL compared as the verification does tell it from someone else's key
                Set<ByteBuffer> differ = differFromSource(source, target, otherPayload);
                for (byte[] key : otherPayload) {
                    if (differ.contains(ByteBuffer.wrap(key))) {
                        failures.add(new KeyFailure(target.db(), printable(key), "target: " + CONFLICT));
                    } else {
                        totals[0]++;
                    }
                }
            }
        }
        if (progress != null) {
            progress.keys.add(totals[0] + totals[1] - before);
            progress.bytes.add(payloads.stream().mapToLong(Buffer::length).sum());
        }
    }

    /**
     * Whether the {@code i}-th RESTORE wrote a stream converted to an older encoding: the older encodings have no place
     * for some of its state (consumers, pending entries, counters), which {@link #restoreStreamGroups} then sets.
     */
    private static boolean convertedStream(Buffer read, Buffer written) {
        if (read == written || read.length() == 0 || written.length() == 0) {
            return false;
        }
        int before = read.getByte(0) & 0xff;
        return StreamGroups.isStream(before) && before != (written.getByte(0) & 0xff);
    }

    /**
     * The source's stream counters and consumer groups onto streams whose payload was converted (each in one MULTI/EXEC).
     * Read from the source now: a stream that changed since its payload was read is synced again by the change capture.
     */
    private void restoreStreamGroups(List<byte[]> streams, List<KeyFailure> failures) {
        for (byte[] key : streams) {
            try {
                StreamGroups.State state = StreamGroups.read(source, key);
                if (state == null) {
                    continue; // gone from the source meanwhile: its deletion is captured and applied
                }
                long unclaimed = StreamGroups.apply(target, key, state, StreamGroups.counters(target));
                if (unclaimed > 0 || !state.complete()) {
                    failures.add(new KeyFailure(target.db(), printable(key), "target: " + (unclaimed > 0 ? unclaimed
                            + " pending entries of deleted messages cannot be recreated (XCLAIM needs the message)"
                            : "a consumer group has more than " + StreamGroups.MAX_PENDING + " pending entries: only that many were copied")));
                }
            } catch (RedisCommandException e) {
                if (!BlockingRedis.isReplyError(e.getCause()) && !e.getMessage().startsWith("target refused")) {
                    throw e;
                }
                failOnServerFault(target, "target", e.getMessage());
                failures.add(new KeyFailure(target.db(), printable(key), "stream groups: " + e.getMessage()));
            }
        }
    }

    /** A payload's bytes: the array it wraps when it wraps exactly one (the snapshot's payloads), else a copy. */
    static byte[] bytes(Buffer value) {
        ByteBuf b = value instanceof BufferImpl impl ? impl.byteBuf() : value.getByteBuf(); // getByteBuf: two wrappers per call
        if (b.hasArray() && b.arrayOffset() == 0 && b.readerIndex() == 0 && b.readableBytes() == b.array().length) {
            return b.array();
        }
        return value.getBytes();
    }

    /**
     * The payloads newer than the target's RDB version, made restorable before they are sent: re-stamped where the target
     * knows the type, else converted to an older encoding where one exists. The rest is sent as it is (a payload the
     * target refuses then goes by type), also when the target's format is unknown.
     */
    private List<Buffer> adapted(List<Buffer> payloads) {
        DumpPayload.Format format = targetFormat();
        if (format == null) {
            return payloads;
        }
        List<Buffer> out = null;
        List<Integer> convertAt = new ArrayList<>();
        List<byte[]> convertFrom = new ArrayList<>();
        for (int i = 0; i < payloads.size(); i++) {
            if (DumpPayload.version(payloads.get(i)) <= format.rdbVersion()) {
                continue; // the target reads this version (or it is no payload)
            }
            byte[] bytes = payloads.get(i).getBytes();
            byte[] again = DumpPayload.restamp(bytes, format);
            if (again != null) {
                out = out == null ? new ArrayList<>(payloads) : out;
                out.set(i, Buffer.buffer(again));
                restamped++;
            } else if (conversion && DumpConversion.convertible(bytes, format)) {
                convertAt.add(i);
                convertFrom.add(bytes);
            }
        }
        if (!convertAt.isEmpty()) {
            List<byte[]> converted = DumpConversion.convert(convertFrom, format);
            for (int j = 0; j < convertAt.size(); j++) {
                if (converted.get(j) != null) {
                    out = out == null ? new ArrayList<>(payloads) : out;
                    out.set(convertAt.get(j), Buffer.buffer(converted.get(j)));
                    this.converted++;
                }
            }
        }
        return out == null ? payloads : out;
    }

    /** A refused payload's key goes by type: small ones many at once, big ones (or without overwrite) key by key. */
    private void byType(byte[] key, long ttl, int payloadLength, List<byte[]> structural, List<Long> structuralTtl) {
        boolean small = !keepExisting && payloadLength <= SMALL_TYPED_BYTES;
        (small ? typed : structural).add(key);
        (small ? typedTtl : structuralTtl).add(ttl);
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

    private static String sha1(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1")
                    .digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}

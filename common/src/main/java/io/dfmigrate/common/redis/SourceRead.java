package io.dfmigrate.common.redis;

import io.vertx.core.buffer.Buffer;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import io.vertx.redis.client.ResponseType;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The source's side of the key-sync engine: reads each key's TTL (as the source's own deadline, {@link Deadlines}) and
 * DUMP payload, and hands what it read to the writer slice by slice, so memory stays bounded by
 * {@code Limits.pipelineBytes} whatever the batch. Big keys are never DUMPed whole: they go by type
 * ({@link BatchWork#structural}). One read-only script call per {@value #SCRIPT_KEYS} keys; sources that refuse scripts
 * are read with pipelines of PTTL and MEMORY USAGE, then DUMP.
 */
final class SourceRead {
    private static final System.Logger LOG = System.getLogger(SourceRead.class.getName());
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
    static final String SCRIPT = """
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
    static final String SCRIPT_SHA = sha1(SCRIPT);
    /**
     * The same script for a Redis Cluster master, which refuses declared KEYS of several slots (CROSSSLOT): the keys
     * follow ARGV[1] and ARGV[2] instead (no KEYS). A script without a shebang may touch keys of several slots as long as
     * this node serves them, and the batch's keys are those of this master ({@link SourceServers#byServer}).
     */
    static final String SCRIPT_ARGV = SCRIPT.replace("for i, k in ipairs(KEYS) do", "for i = 3, #ARGV do\n  local k = ARGV[i]");
    static final String SCRIPT_ARGV_SHA = sha1(SCRIPT_ARGV);
    /** Sources (host:port) that answered CROSSSLOT to the read script: cluster masters, read with {@link #SCRIPT_ARGV}. */
    private static final Set<String> KEYS_AS_ARGV = ConcurrentHashMap.newKeySet();
    /** Sources (host:port) that refused the read script; they get the pipelines. */
    private static final Set<String> SCRIPTS_REFUSED = ConcurrentHashMap.newKeySet();
    /**
     * Sources without EVALSHA_RO (before Redis 7): they run the script with EVALSHA, which a cutover's CLIENT PAUSE WRITE
     * holds back. EVALSHA_RO runs during that pause, so changes captured just before it can still be applied.
     */
    private static final Set<String> NO_READ_ONLY_SCRIPTS = ConcurrentHashMap.newKeySet();

    /** Where what was read goes: RESTORE of the payloads with their deadlines, DEL of the keys gone. */
    interface Writer {
        void write(List<byte[]> keys, List<Long> deadlines, List<Buffer> payloads, List<byte[]> gone, BatchWork w);
    }

    private final BlockingRedis source;
    private final KeySync.Limits limits;
    private final Deadlines deadlines;
    private final Writer writer;

    SourceRead(BlockingRedis source, KeySync.Limits limits, Deadlines deadlines, Writer writer) {
        this.source = source;
        this.limits = limits;
        this.deadlines = deadlines;
        this.writer = writer;
    }

    /** Reads and hands on every key of {@code keys}: by script unless the source refused it, else by pipelines. */
    void read(List<byte[]> keys, BatchWork w) {
        List<byte[]> pending = keys;
        if (!SCRIPTS_REFUSED.contains(source.endpoint().address())) {
            pending = byScript(keys, w);
        }
        if (!pending.isEmpty()) {
            byPipelines(pending, w);
        }
    }

    /**
     * One round trip to the source per slice: a read-only script returns PTTL and DUMP of every key in one reply, and
     * for a big key only its TTL (it is copied by type), so one reply carries at most {@code pipelineBytes} of values
     * (keys beyond that come back as "later" and go in the next call). Returns the keys still to do: all of them when
     * the source refuses scripts (ACL, disabled), which then get the pipelines for the rest of this process's life.
     */
    private List<byte[]> byScript(List<byte[]> keys, BatchWork w) {
        List<byte[]> pending = keys;
        while (!pending.isEmpty()) {
            KeySync.throttle(limits, 3L * pending.size());
            // one pipeline of script calls of at most SCRIPT_KEYS keys each: the source serves other clients between calls,
            // and the replies together carry at most pipelineBytes of values
            int calls = (pending.size() + SCRIPT_KEYS - 1) / SCRIPT_KEYS;
            long budget = Math.max(1, limits.pipelineBytes() / calls);
            List<Request> requests = new ArrayList<>(calls);
            boolean readOnly = !NO_READ_ONLY_SCRIPTS.contains(source.endpoint().address());
            Command evalsha = readOnly ? Command.EVALSHA_RO : Command.EVALSHA;
            Command eval = readOnly ? Command.EVAL_RO : Command.EVAL;
            boolean argv = KEYS_AS_ARGV.contains(source.endpoint().address());
            for (int c = 0; c < calls; c++) {
                requests.add(call(evalsha, argv ? SCRIPT_ARGV_SHA : SCRIPT_SHA, pending.subList(c * SCRIPT_KEYS, Math.min(pending.size(),
                        (c + 1) * SCRIPT_KEYS)), budget, argv));
            }
            long sentAt = Deadlines.now();
            List<BlockingRedis.Result> replies = source.pipeline(requests);
            long readAt = (sentAt + Deadlines.now()) / 2; // without the source's TIME: somewhere between sending and the reply
            if (readOnly && !replies.get(0).ok() && replies.get(0).error().toLowerCase(Locale.ROOT).contains("unknown command")) {
                NO_READ_ONLY_SCRIPTS.add(source.endpoint().address());
                continue; // the same keys again, with EVALSHA
            }
            if (!argv && !replies.get(0).ok() && replies.get(0).error().startsWith("CROSSSLOT")) {
                KEYS_AS_ARGV.add(source.endpoint().address());
                continue; // a cluster master: the same keys again, as ARGV
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
                    long resentAt = Deadlines.now();
                    reply = source.pipeline(List.of(call(eval, argv ? SCRIPT_ARGV : SCRIPT, slice, budget, argv))).get(0);
                    sliceReadAt = (resentAt + Deadlines.now()) / 2;
                }
                if (!reply.ok()) {
                    SCRIPTS_REFUSED.add(source.endpoint().address());
                    LOG.log(System.Logger.Level.INFO, source.endpoint() + " refuses the read script (" + reply.error()
                            + "): reading keys with pipelined PTTL, MEMORY USAGE and DUMP instead");
                    later.addAll(pending.subList(c * SCRIPT_KEYS, pending.size()));
                    writer.write(dumpedKeys, ttls, payloads, gone, w);
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
                        ttls.add(deadlines.deadline(ttl, sourceMillis, sliceReadAt));
                        payloads.add(v.toBuffer());
                    } else if (v.toLong() == SCRIPT_BIG) {
                        w.structural(key, deadlines.deadline(ttl, sourceMillis, sliceReadAt));
                    } else {
                        later.add(key);
                    }
                }
            }
            writer.write(dumpedKeys, ttls, payloads, gone, w);
            pending = later;
        }
        return pending;
    }

    /** One call of the read script: the keys as KEYS, or ({@code argv}) after the two numbers in ARGV. */
    private Request call(Command command, String script, List<byte[]> keys, long budget, boolean argv) {
        if (argv) {
            Request call = Request.cmd(command).arg(script).arg(0).arg(limits.bigKeyBytes()).arg(budget);
            keys.forEach(k -> call.arg(k));
            return call;
        }
        Request call = Request.cmd(command).arg(script).arg(keys.size());
        keys.forEach(k -> call.arg(k));
        return call.arg(limits.bigKeyBytes()).arg(budget);
    }

    /** The pipelined way, for sources that refuse scripts. */
    private void byPipelines(List<byte[]> keys, BatchWork w) {
        // 1. TTL and (approximate) size: big keys are never DUMPed whole; between two TIMEs: the source read every PTTL
        //    between them, which bounds when far tighter than the round trip
        List<Request> probes = new ArrayList<>(keys.size() * 2 + 2);
        probes.add(Request.cmd(Command.TIME));
        for (byte[] key : keys) {
            probes.add(Request.cmd(Command.PTTL).arg(key));
            probes.add(Request.cmd(Command.MEMORY).arg("USAGE").arg(key).arg("SAMPLES").arg(1));
        }
        probes.add(Request.cmd(Command.TIME));
        KeySync.throttle(limits, probes.size());
        long sentAt = Deadlines.now();
        List<BlockingRedis.Result> probed = source.pipeline(probes);
        long readAt = (sentAt + Deadlines.now()) / 2;
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
                KeySync.failOnServerFault(source, "source", pttl.error());
                w.fail(source.db(), keys.get(i), "source: " + pttl.error());
                continue;
            }
            long ttl = pttl.response() == null ? -2 : pttl.response().toLong();
            long bytes = usage.ok() && usage.response() != null ? usage.response().toLong() : 0;
            if (ttl == -2) {
                gone.add(keys.get(i));
            } else if (bytes > limits.bigKeyBytes()) {
                w.structural(keys.get(i), deadlines.deadline(ttl, sourceMillis, readAt));
            } else {
                small.add(keys.get(i));
                smallTtl.add(deadlines.deadline(ttl, sourceMillis, readAt));
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
            dumpAndWrite(small.subList(from, to), smallTtl.subList(from, to), new ArrayList<>(), w);
            from = to;
        }
        dumpAndWrite(List.of(), List.of(), gone, w);
    }

    /** DUMP {@code small} in one pipeline, then hand them (and {@code gone}) to the writer. */
    private void dumpAndWrite(List<byte[]> small, List<Long> smallTtl, List<byte[]> gone, BatchWork w) {
        List<Request> dumps = new ArrayList<>(small.size());
        for (byte[] key : small) {
            dumps.add(Request.cmd(Command.DUMP).arg(key));
        }
        KeySync.throttle(limits, dumps.size());
        List<BlockingRedis.Result> dumped = source.pipeline(dumps);
        List<byte[]> dumpedKeys = new ArrayList<>(small.size());
        List<Long> ttls = new ArrayList<>(small.size());
        List<Buffer> payloads = new ArrayList<>(small.size());
        for (int i = 0; i < small.size(); i++) {
            byte[] key = small.get(i);
            BlockingRedis.Result dump = dumped.get(i);
            if (!dump.ok()) {
                KeySync.failOnServerFault(source, "source", dump.error());
                w.fail(source.db(), key, "source: " + dump.error());
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
        writer.write(dumpedKeys, ttls, payloads, gone, w);
    }

    private static String sha1(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}

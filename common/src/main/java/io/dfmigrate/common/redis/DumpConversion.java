package io.dfmigrate.common.redis;

import com.moilioncircle.redis.replicator.Configuration;
import com.moilioncircle.redis.replicator.FileType;
import com.moilioncircle.redis.replicator.RedisReplicator;
import com.moilioncircle.redis.replicator.rdb.dump.DumpRdbVisitor;
import com.moilioncircle.redis.replicator.rdb.dump.datatype.DumpKeyValuePair;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * DUMP payloads of encodings an older target has no type byte for, converted to an older encoding of the same value
 * with redis-replicator's {@link DumpRdbVisitor} (../shared/DESIGN.md §12): listpack hashes (16) and zsets (17),
 * quicklist-2 lists (18), listpack sets (20) and the newer stream encodings (19, 21). The payloads are wrapped into one
 * in-memory RDB stream (each under its index as key name), parsed, and each re-encoded for the target's RDB version.
 * Never converted: hash-field TTL types (22–25; the older encodings would drop the fields' TTLs), module types, and
 * anything the target would still not accept; those go by type. A payload that cannot be parsed gives null.
 */
public final class DumpConversion {
    /** Types of newer encodings that have an older encoding of the same value. */
    static final Set<Integer> CONVERTIBLE = Set.of(16, 17, 18, 19, 20, 21);

    /** Whether {@link #convert} may help this payload on this target (its type has an older encoding, its CRC is right). */
    public static boolean convertible(byte[] payload, DumpPayload.Format target) {
        int type = payload.length < 11 ? -1 : payload[0] & 0xff;
        return target != null && CONVERTIBLE.contains(type) && !target.accepts(type)
                && DumpPayload.version(payload) > target.rdbVersion() && DumpPayload.wellFormed(payload);
    }

    /**
     * Each payload converted for {@code target} (null where it cannot be: not {@link #convertible}, a malformed payload,
     * or a result the target does not accept). One RDB stream for all; if it fails, payload by payload.
     */
    public static List<byte[]> convert(List<byte[]> payloads, DumpPayload.Format target) {
        List<byte[]> out = new ArrayList<>(payloads.size());
        List<Integer> todo = new ArrayList<>();
        for (int i = 0; i < payloads.size(); i++) {
            out.add(null);
            if (convertible(payloads.get(i), target)) {
                todo.add(i);
            }
        }
        if (todo.isEmpty()) {
            return out;
        }
        try {
            byte[][] converted = parse(todo.stream().map(payloads::get).toList(), target.rdbVersion());
            for (int j = 0; j < todo.size(); j++) {
                out.set(todo.get(j), accepted(converted[j], target));
            }
        } catch (IOException | RuntimeException e) {
            for (int i : todo) {
                try {
                    out.set(i, accepted(parse(List.of(payloads.get(i)), target.rdbVersion())[0], target));
                } catch (IOException | RuntimeException one) {
                    out.set(i, null); // malformed: goes by type
                }
            }
        }
        return out;
    }

    private static byte[] accepted(byte[] payload, DumpPayload.Format target) {
        return payload != null && payload.length >= 11 && target.accepts(payload[0] & 0xff)
                && DumpPayload.version(payload) <= target.rdbVersion() ? payload : null;
    }

    /** Wraps the payloads into an RDB stream, key i for payload i, and returns what the visitor dumped for each. */
    private static byte[][] parse(List<byte[]> payloads, int targetVersion) throws IOException {
        // the header's version, at most 11: every convertible type is of RDB 11 or older, and the parser refuses newer headers
        // (a payload of Redis 7.4+ says 12 for a listpack set as well)
        int version = Math.min(11, payloads.stream().mapToInt(DumpPayload::version).max().orElseThrow());
        ByteArrayOutputStream rdb = new ByteArrayOutputStream();
        rdb.write(String.format("REDIS%04d", version).getBytes(StandardCharsets.US_ASCII));
        for (int i = 0; i < payloads.size(); i++) {
            byte[] p = payloads.get(i);
            byte[] key = Integer.toString(i).getBytes(StandardCharsets.US_ASCII);
            rdb.write(p[0]); // the type byte, then the key as an RDB string (short: one length byte), then the value
            rdb.write(key.length);
            rdb.write(key);
            rdb.write(p, 1, p.length - 11);
        }
        rdb.write(0xff); // EOF, and a checksum of 0: not checked
        rdb.write(new byte[8]);
        byte[][] out = new byte[payloads.size()][];
        RuntimeException[] failed = {null};
        RedisReplicator replicator = new RedisReplicator(new ByteArrayInputStream(rdb.toByteArray()), FileType.RDB,
                Configuration.defaultSetting());
        try {
            replicator.setRdbVisitor(new DumpRdbVisitor(replicator, targetVersion));
            replicator.addEventListener((r, event) -> {
                if (event instanceof DumpKeyValuePair kv) {
                    int i = Integer.parseInt(new String(kv.getKey(), StandardCharsets.US_ASCII));
                    out[i] = kv.getValue();
                }
            });
            replicator.addExceptionListener((r, error, event) -> failed[0] = new IllegalStateException(error));
            replicator.open();
        } finally {
            replicator.close();
        }
        if (failed[0] != null) {
            throw failed[0];
        }
        if (Arrays.stream(out).anyMatch(v -> v == null)) {
            throw new IllegalStateException("not every payload was converted");
        }
        return out;
    }

    private DumpConversion() {
    }
}

package io.dfmigrate.common.redis;

import io.vertx.core.buffer.Buffer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * DUMP payloads across server versions (../shared/DESIGN.md §12): {@code <type byte><value>} + 2-byte little-endian RDB
 * version + 8-byte little-endian CRC-64 (Jones, reflected) of everything before. RESTORE checks only the version (≤ its
 * own) and the CRC, then decodes by type byte, and every incompatible encoding change got a new type byte; so a payload
 * whose type byte the target knows is RESTOREd at full speed once it carries the target's version and a new CRC.
 * Payloads of types the target does not know (e.g. listpacks into Redis 6.2, hash-field TTLs into Dragonfly) are not
 * re-stamped: they go by type.
 */
public final class DumpPayload {
    private static final long POLY_REFLECTED = 0x95AC9329AC4BC9B5L; // 0xad93d23594c935a9 bit-reversed
    private static final long[] TABLE = new long[256];

    static {
        for (int i = 0; i < 256; i++) {
            long crc = i;
            for (int b = 0; b < 8; b++) {
                crc = (crc & 1) != 0 ? (crc >>> 1) ^ POLY_REFLECTED : crc >>> 1;
            }
            TABLE[i] = crc;
        }
    }

    /** What a target accepts: the highest RDB version and, per type byte, whether it can decode it. */
    public record Format(String server, int rdbVersion, boolean dragonfly) {
        /** Whether the target decodes payloads of this type byte (module types never: their encoding is the module's). */
        public boolean accepts(int type) {
            if (type == 6 || type == 7) {
                return false;
            }
            if (dragonfly) {
                return type == 0 || (type >= 2 && type <= 5) || (type >= 11 && type <= 21);
            }
            return type <= maxType(rdbVersion) && type != 8;
        }

        private static int maxType(int rdb) {
            if (rdb >= 12) {
                return 25;
            }
            if (rdb == 11) {
                return 21;
            }
            if (rdb == 10) {
                return 19;
            }
            if (rdb == 9) {
                return 15;
            }
            return rdb >= 7 ? 14 : 13;
        }

        /**
         * From {@code INFO server}: Dragonfly (accepts up to version 12, types 0, 2–5, 7, 11–21) or Redis/Valkey by
         * {@code redis_version} (6.2 → 9, 7.0 → 10, 7.2 → 11, 7.4–8.4 → 12, 8.6+ → 13); null when it cannot tell.
         */
        public static Format of(String infoServer) {
            if (infoServer == null) {
                return null;
            }
            if (infoServer.contains("dragonfly_version")) {
                return new Format("dragonfly", 12, true);
            }
            Matcher m = Pattern.compile("redis_version:(\\d+)\\.(\\d+)").matcher(infoServer);
            if (!m.find()) {
                return null;
            }
            int major = Integer.parseInt(m.group(1));
            int minor = Integer.parseInt(m.group(2));
            int v = major * 100 + minor;
            int rdb = v >= 806 ? 13 : v >= 704 ? 12 : v >= 702 ? 11 : v >= 700 ? 10 : v >= 600 ? 9 : v >= 400 ? 8 : 7;
            return new Format("redis " + major + "." + minor, rdb, false);
        }
    }

    /** The CRC-64 Redis puts in DUMP payloads and RDB files (check value of "123456789": 0xe9c6d914c4b8d9ca). */
    public static long crc64(byte[] data, int from, int to) {
        long crc = 0;
        for (int i = from; i < to; i++) {
            crc = TABLE[(int) ((crc ^ data[i]) & 0xff)] ^ (crc >>> 8);
        }
        return crc;
    }

    /** The RDB version a payload carries, or -1 when it is too short to be one. */
    public static int version(byte[] payload) {
        if (payload.length < 11) {
            return -1;
        }
        int at = payload.length - 10;
        return (payload[at] & 0xff) | (payload[at + 1] & 0xff) << 8;
    }

    /** As {@link #version(byte[])}, read in place from a payload as the client holds it. */
    public static int version(Buffer payload) {
        int at = payload.length() - 10;
        return at < 1 ? -1 : (payload.getByte(at) & 0xff) | (payload.getByte(at + 1) & 0xff) << 8;
    }

    /**
     * The payload re-stamped with the target's version and a new CRC, or null when that cannot help: the target does not
     * know its type byte, the payload is not newer than the target, or it is not a well-formed payload (CRC wrong).
     */
    public static byte[] restamp(byte[] payload, Format target) {
        int version = version(payload);
        if (target == null || version < 0 || version <= target.rdbVersion() || !target.accepts(payload[0] & 0xff)) {
            return null;
        }
        if (!wellFormed(payload)) {
            return null;
        }
        int body = payload.length - 8;
        byte[] out = payload.clone();
        out[body - 2] = (byte) target.rdbVersion();
        out[body - 1] = (byte) (target.rdbVersion() >>> 8);
        long crc = crc64(out, 0, body);
        for (int i = 0; i < 8; i++) {
            out[body + i] = (byte) (crc >>> (8 * i));
        }
        return out;
    }

    /** Whether the payload ends in the CRC-64 of everything before it (a payload carries one since RDB version 5). */
    public static boolean wellFormed(byte[] payload) {
        int body = payload.length - 8;
        return payload.length >= 11 && crc64(payload, 0, body) == readLong(payload, body);
    }

    private static long readLong(byte[] b, int at) {
        long v = 0;
        for (int i = 7; i >= 0; i--) {
            v = (v << 8) | (b[at + i] & 0xff);
        }
        return v;
    }

    private DumpPayload() {
    }
}

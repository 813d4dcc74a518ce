package io.dfmigrate.common.redis;

import com.moilioncircle.redis.replicator.Replicator;
import com.moilioncircle.redis.replicator.event.Event;
import com.moilioncircle.redis.replicator.io.RawByteListener;
import com.moilioncircle.redis.replicator.io.RedisInputStream;
import com.moilioncircle.redis.replicator.rdb.BaseRdbParser;
import com.moilioncircle.redis.replicator.rdb.datatype.ContextKeyValuePair;
import com.moilioncircle.redis.replicator.rdb.dump.DumpRdbVisitor;
import com.moilioncircle.redis.replicator.rdb.dump.datatype.DumpKeyValuePair;
import com.moilioncircle.redis.replicator.rdb.skip.SkipRdbParser;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * redis-replicator's {@link DumpRdbVisitor} (RDB up to version 11, Redis 7.2 and Valkey) taught what Redis 7.4–8.x
 * write into an RDB of version 12: the slot-info record of a cluster node (opcode 244, skipped: it sizes the loader's
 * tables) and hashes with field TTLs (types 24, listed fields each with its TTL, and 25, a listpack with TTLs), which
 * become DUMP payloads byte for byte as the source's {@code DUMP} gives them (type, value, version, CRC-64). Everything
 * else goes to the library. The release candidates' encodings of such hashes (22, 23) are not read: the parser names them.
 */
final class SnapshotRdbVisitor extends DumpRdbVisitor {
    /** The newest RDB version read (Redis 7.4 to 8.x). */
    static final int MAX_VERSION = 12;
    private static final int SLOT_INFO = 244;
    private static final int HASH_METADATA = 24;
    private static final int HASH_LISTPACK_EX = 25;
    /** The type handed to the library's parser for a hash with field TTLs: its module-2 call is ours then. */
    private static final int MODULE_2 = 7;

    private final Replicator replicator;
    /** The real type of the value the parser is about to read as {@link #MODULE_2}, 0 for a real module value. */
    private int hashWithFieldTtls;

    SnapshotRdbVisitor(Replicator replicator, int version, int size) {
        super(replicator, version, size);
        this.replicator = replicator;
    }

    @Override
    public int applyVersion(RedisInputStream in) throws IOException {
        String text = new String(in.readBytes(4).first(), StandardCharsets.US_ASCII);
        int version;
        try {
            version = Integer.parseInt(text);
        } catch (NumberFormatException e) {
            throw new IOException("not an RDB version: '" + text + "'");
        }
        if (version < 2 || version > MAX_VERSION) {
            throw new IOException("RDB version " + version + " is not read (versions 2 to " + MAX_VERSION
                    + ": Redis up to 8.x, Valkey); copy with copyMode scan");
        }
        return version;
    }

    @Override
    public int applyType(RedisInputStream in) throws IOException {
        while (true) {
            int type = in.read();
            if (type == SLOT_INFO) {
                SkipRdbParser skip = new SkipRdbParser(in); // slot, its keys, its keys with a TTL
                skip.rdbLoadLen();
                skip.rdbLoadLen();
                skip.rdbLoadLen();
                continue;
            }
            if (type == HASH_METADATA || type == HASH_LISTPACK_EX) {
                hashWithFieldTtls = type;
                return MODULE_2;
            }
            return type;
        }
    }

    @Override
    public Event applyModule2(RedisInputStream in, int version, ContextKeyValuePair context) throws IOException {
        int type = hashWithFieldTtls;
        if (type == 0) {
            return super.applyModule2(in, version, context);
        }
        hashWithFieldTtls = 0;
        byte[] key = new BaseRdbParser(in).rdbLoadEncodedStringObject().first();
        Payload payload = new Payload(type);
        replicator.addRawByteListener(payload);
        try {
            SkipRdbParser skip = new SkipRdbParser(in);
            skip.rdbLoadMillisecondTime(); // the earliest field expiry: the others are stored relative to it
            if (type == HASH_METADATA) {
                for (long n = skip.rdbLoadLen().len; n > 0; n--) {
                    skip.rdbLoadLen(); // the field's TTL (0: none)
                    skip.rdbLoadEncodedStringObject();
                    skip.rdbLoadEncodedStringObject();
                }
            } else {
                skip.rdbLoadPlainStringObject(); // the listpack of fields, values and TTLs
            }
        } finally {
            replicator.removeRawByteListener(payload);
        }
        DumpKeyValuePair o = new DumpKeyValuePair();
        o.setValueRdbType(type);
        o.setKey(key);
        o.setValue(payload.bytes(version));
        return context.valueOf(o);
    }

    /** The bytes of one value as read, made into a DUMP payload: type, value, RDB version (2 bytes), CRC-64 (8 bytes). */
    private static final class Payload implements RawByteListener {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Payload(int type) {
            out.write(type);
        }

        @Override
        public void handle(byte... raw) {
            out.write(raw, 0, raw.length);
        }

        byte[] bytes(int version) {
            out.write(version & 0xff);
            out.write(version >>> 8);
            byte[] body = out.toByteArray();
            long crc = DumpPayload.crc64(body, 0, body.length);
            byte[] payload = java.util.Arrays.copyOf(body, body.length + 8);
            for (int i = 0; i < 8; i++) {
                payload[body.length + i] = (byte) (crc >>> (8 * i));
            }
            return payload;
        }
    }
}

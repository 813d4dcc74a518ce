package io.dfmigrate.common.redis;

import io.netty.buffer.ByteBuf;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.buffer.impl.BufferImpl;
import java.util.ArrayList;
import java.util.List;

/**
 * DUMP payloads made restorable on the target before they are sent: newer than the target's RDB version, re-stamped
 * where the target knows the type ({@link DumpPayload#restamp}), else converted to an older encoding where one exists
 * ({@link DumpConversion}). The rest is sent as it is (a payload the target refuses then goes by type), also when the
 * target's format is unknown.
 */
final class PayloadAdapter {
    private final BlockingRedis target;
    private boolean conversion = true;
    private long restamped;
    private long converted;

    PayloadAdapter(BlockingRedis target) {
        this.target = target;
    }

    /** No conversion, only re-stamping (tests of the by-type paths, which payloads that cannot be converted take). */
    void withoutConversion() {
        conversion = false;
    }

    long restamped() {
        return restamped;
    }

    long converted() {
        return converted;
    }

    /** {@code payloads} as the target takes them: the same list when nothing changed, else a copy with the adapted ones. */
    List<Buffer> adapted(List<Buffer> payloads) {
        DumpPayload.Format format = target.payloadFormat();
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
            List<byte[]> done = DumpConversion.convert(convertFrom, format);
            for (int j = 0; j < convertAt.size(); j++) {
                if (done.get(j) != null) {
                    out = out == null ? new ArrayList<>(payloads) : out;
                    out.set(convertAt.get(j), Buffer.buffer(done.get(j)));
                    converted++;
                }
            }
        }
        return out == null ? payloads : out;
    }

    /**
     * Whether a RESTORE wrote a stream converted to an older encoding: the older encodings have no place for some of its
     * state (consumers, pending entries, counters), which {@link StreamGroups} then sets.
     */
    static boolean convertedStream(Buffer read, Buffer written) {
        if (read == written || read.length() == 0 || written.length() == 0) {
            return false;
        }
        int before = read.getByte(0) & 0xff;
        return StreamGroups.isStream(before) && before != (written.getByte(0) & 0xff);
    }

    /** A payload's bytes: the array it wraps when it wraps exactly one (the snapshot's payloads), else a copy. */
    static byte[] bytes(Buffer value) {
        ByteBuf b = value instanceof BufferImpl impl ? impl.byteBuf() : value.getByteBuf(); // getByteBuf: two wrappers per call
        if (b.hasArray() && b.arrayOffset() == 0 && b.readerIndex() == 0 && b.readableBytes() == b.array().length) {
            return b.array();
        }
        return value.getBytes();
    }
}

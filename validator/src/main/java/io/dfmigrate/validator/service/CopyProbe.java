package io.dfmigrate.validator.service;

import io.dfmigrate.common.endpoint.RedisEndpoint;
import io.dfmigrate.common.redis.BlockingRedis;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.time.Duration;
import java.util.UUID;

/**
 * Decides the copy method by trying it once: DUMP of a sampled source key (read-only), RESTORE of that payload on the
 * target under a unique probe key with a 60 s TTL, then DEL. The only write validation ever makes.
 */
final class CopyProbe {
    enum Outcome { RESTORE_WORKS, FORMAT_REFUSED, NOT_PERMITTED, FAILED, NOTHING_TO_PROBE }

    record Result(Outcome outcome, int rdbVersion, String detail) {
    }

    static Result run(Vertx vertx, RedisEndpoint source, RedisEndpoint target, KeySampler.Sample sample, Duration timeout) {
        if (sample == null) {
            return new Result(Outcome.NOTHING_TO_PROBE, -1, "the source has no key to probe with");
        }
        Buffer payload;
        try (BlockingRedis s = BlockingRedis.connect(vertx, source, sample.db(), timeout)) {
            Response dump = s.send(Request.cmd(Command.DUMP).arg(Buffer.buffer(sample.key())));
            if (dump == null) {
                return new Result(Outcome.NOTHING_TO_PROBE, -1, "the sampled key vanished before the probe");
            }
            payload = dump.toBuffer();
        } catch (RuntimeException e) {
            return new Result(Outcome.FAILED, -1, "DUMP on the source failed: " + e.getMessage());
        }
        int version = rdbVersion(payload);
        String probeKey = "dfm:validation-probe:" + UUID.randomUUID();
        try (BlockingRedis t = BlockingRedis.connect(vertx, target, 0, timeout)) {
            try {
                t.send(Request.cmd(Command.RESTORE).arg(probeKey).arg(60_000).arg(payload));
                return new Result(Outcome.RESTORE_WORKS, version, "a " + sample.type() + " key restored on the target");
            } catch (RuntimeException e) {
                String m = String.valueOf(e.getMessage());
                String upper = m.toUpperCase();
                if (upper.contains("PAYLOAD VERSION") || upper.contains("CHECKSUM") || upper.contains("BAD DATA FORMAT")) {
                    return new Result(Outcome.FORMAT_REFUSED, version, m);
                }
                if (upper.contains("NOPERM") || upper.contains("READONLY")) {
                    return new Result(Outcome.NOT_PERMITTED, version, m);
                }
                return new Result(Outcome.FAILED, version, m);
            } finally {
                try {
                    t.send(Request.cmd(Command.DEL).arg(probeKey));
                } catch (RuntimeException ignored) {
                    // it expires within 60 s anyway
                }
            }
        } catch (RuntimeException e) {
            return new Result(Outcome.FAILED, version, e.getMessage());
        }
    }

    /** The RDB version in a DUMP payload's footer: 2 bytes little-endian before the 8-byte CRC64. */
    static int rdbVersion(Buffer payload) {
        int n = payload.length();
        return n < 10 ? -1 : (payload.getUnsignedByte(n - 10) | (payload.getUnsignedByte(n - 9) << 8));
    }

    private CopyProbe() {
    }
}

package io.dfmigrate.common.redis;

import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The clocks a TTL passes through: this process's monotonic clock ({@link #now()}, ms since the class loaded) and each
 * server's wall clock, as the offset between them. An offset is read from {@code TIME} halfway through its round trip,
 * the quickest of up to three (one behind other commands on a busy connection would be off by half its wait), and kept
 * per server address for a minute, so a busy machine does not re-measure on every batch. Neither the source's nor the
 * target's clock needs to agree with this machine's: a deadline read on the source's clock is mapped to the target's
 * through both offsets, each off by at most half of a quick round trip. An offset within that error of this machine's
 * own clock is taken as this machine's: servers that share a clock (one host, NTP) map exactly.
 */
public final class ServerClock {
    private static final long ORIGIN = System.nanoTime();
    private static final long FRESH_MILLIS = 60_000;
    /** A slow sample is tried again at most this often while a fresh one is known. */
    private static final long RETRY_MILLIS = 1_000;
    /** Per server address: {offset, round trip, measured at, last tried at}. */
    private static final Map<String, long[]> OFFSETS = new ConcurrentHashMap<>();

    private ServerClock() {
    }

    /** This process's monotonic clock in ms. */
    public static long now() {
        return (System.nanoTime() - ORIGIN) / 1_000_000;
    }

    /** A {@code TIME} reply in Unix ms. */
    public static long millis(Response time) {
        return Long.parseLong(time.get(0).toString()) * 1000 + Long.parseLong(time.get(1).toString()) / 1000;
    }

    /**
     * The server's wall clock (Unix ms) minus {@link #now()}. Throws {@link RedisCommandException} when the server cannot
     * be asked; a reply error (TIME refused by an ACL) is the caller's to handle ({@link BlockingRedis#isReplyError}).
     */
    public static long offset(BlockingRedis server) {
        String address = server.endpoint().address();
        long[] known = OFFSETS.get(address);
        long now = now();
        boolean fresh = known != null && now - known[2] < FRESH_MILLIS;
        // as good as a measurement gets, or tried again within the last second (every batch builds a KeySync: on a busy
        // machine, where no round trip is under 1 ms, it would otherwise send up to three TIMEs per server and batch)
        if (fresh && (known[1] <= 1 || now - known[3] < RETRY_MILLIS)) {
            return known[0];
        }
        long[] sample = null;
        for (int i = 0; i < 3 && (sample == null || sample[1] > 1); i++) {
            long sent = now();
            long serverMillis = millis(server.send(Request.cmd(Command.TIME)));
            long after = now();
            if (sample == null || after - sent < sample[1]) {
                sample = new long[] {serverMillis - (sent + after) / 2, after - sent, after, after};
            }
        }
        // a server whose clock cannot be told from this machine's (within half the round trip, plus the milliseconds TIME
        // and this clock truncate) is taken to share it: then a source and a target on the same host or on NTP-synced
        // hosts map exactly, where two measured offsets would each add up to half a round trip of a busy moment
        sample[0] = snapped(sample[0], sample[1], System.currentTimeMillis() - now());
        if (fresh && known[1] < sample[1]) {
            OFFSETS.put(address, new long[] {known[0], known[1], known[2], sample[3]}); // kept, but tried now
            return known[0];
        }
        OFFSETS.put(address, sample);
        return sample[0];
    }

    /** A measured offset, or this machine's own ({@code local}) when the two differ by no more than the measurement can tell. */
    static long snapped(long measured, long roundTrip, long local) {
        return Math.abs(measured - local) <= roundTrip / 2 + 2 ? local : measured;
    }

    /** Forgets every offset (tests that move a server's clock). */
    static void forget() {
        OFFSETS.clear();
    }
}

package io.dfmigrate.common.redis;

/**
 * The TTLs of one source and target pair as deadlines on this process's monotonic clock ({@link ServerClock#now()}):
 * always ≥ 1 for a key that expires, so the other values keep their meaning (-1 no TTL, -2 gone, 0 expires now). Every
 * write turns a deadline back into the time left at that moment ({@link #remaining}), or into an absolute time on the
 * target's clock ({@link #targetAt}): a key copied seconds after its TTL was read (a big key, a slow structural copy, a
 * long pipeline) expires with the source's.
 */
final class Deadlines {
    private final BlockingRedis source;
    private final BlockingRedis target;
    /** The source's wall clock minus {@link ServerClock#now()}; MIN_VALUE if the source refuses TIME, MIN_VALUE + 1 unknown yet. */
    private long sourceClock = Long.MIN_VALUE + 1;
    /** The target's wall clock (Unix ms) minus {@link ServerClock#now()}; unknown until the first write. */
    private long targetClock = Long.MIN_VALUE;

    Deadlines(BlockingRedis source, BlockingRedis target) {
        this.source = source;
        this.target = target;
    }

    static long now() {
        return ServerClock.now();
    }

    /**
     * A TTL read from the source as a deadline. Exact when the source said when it read the TTL ({@code sourceMillis}, its
     * TIME in the same script or around the same pipeline, ≥ 0): the deadline is then the source's own, mapped through its
     * clock offset. Otherwise the TTL is taken as read at {@code readAt}, the middle of the round trip, which a busy machine
     * can put off by half of a long pipeline's wait.
     */
    long deadline(long ttl, long sourceMillis, long readAt) {
        if (ttl <= 0) {
            return ttl;
        }
        long offset = sourceMillis < 0 ? Long.MIN_VALUE : sourceClock();
        return Math.max(1, offset == Long.MIN_VALUE ? readAt + ttl : sourceMillis + ttl - offset);
    }

    /** An expiry as Unix ms on this machine's clock (-1: none) as a deadline, ≥ 1: one already passed expires at once. */
    static long fromWallClock(long expireAtMillis, long wallMinusNow) {
        return expireAtMillis < 0 ? -1 : Math.max(1, expireAtMillis - wallMinusNow);
    }

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

    /** The time left of a deadline, now: -1 no TTL, -2 gone, 0 expired (treated as gone), else ms. */
    long remaining(long deadline) {
        return deadline > 0 ? Math.max(0, deadline - now()) : deadline;
    }

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

    /** For a structural copy: the absolute expiry on the target as it is now, or 0 / -2 when it ran out / is gone, -1 none. */
    long targetAtNow(long deadline) {
        long left = remaining(deadline);
        return left > 0 ? targetAt(deadline) : left;
    }
}

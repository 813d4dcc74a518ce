package io.dfmigrate.common.redis;

/**
 * A token bucket of {@code perSecond} operations with one second of burst. {@link #acquire(long)} blocks (on a virtual
 * thread: cheaply) until the operations may be sent. Thread-safe; shared by every batch of one migration run.
 */
public final class RateLimiter {
    private final double perNano;
    private final double capacity;
    private double tokens;
    private long last;

    public RateLimiter(long perSecond) {
        if (perSecond <= 0) {
            throw new IllegalArgumentException("perSecond must be positive");
        }
        this.perNano = perSecond / 1e9;
        this.capacity = perSecond;
        this.tokens = perSecond;
        this.last = System.nanoTime();
    }

    /** Takes {@code ops} tokens, waiting as long as needed (a request larger than the bucket waits for its whole cost). */
    public void acquire(long ops) {
        long wait;
        synchronized (this) {
            long now = System.nanoTime();
            tokens = Math.min(capacity, tokens + (now - last) * perNano);
            last = now;
            tokens -= ops;
            wait = tokens >= 0 ? 0 : (long) (-tokens / perNano);
        }
        if (wait > 0) {
            try {
                Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}

package io.dfmigrate.common.testing;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Waiting on a condition with a generous limit (never a fixed sleep): for a busy 2-core machine. */
public final class Waits {
    private Waits() {
    }

    /** Polls {@code condition} every 200 ms until it holds; fails naming {@code what} after {@code limit}. */
    public static void await(BooleanSupplier condition, Duration limit, String what) {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + limit.toSeconds() + " s waiting until " + what);
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }
}

package io.dfmigrate.common.redis;

import java.util.concurrent.atomic.LongAdder;

/**
 * Live counters of one worker's copy work, updated by {@link KeySync} as slices are written and by the structural copy
 * per chunk, so a worker can report progress every second even inside a batch or a big key. Read by the reporter.
 */
public final class CopyProgress {
    public final LongAdder keys = new LongAdder();
    public final LongAdder failed = new LongAdder();
    public final LongAdder structural = new LongAdder();
    public final LongAdder bytes = new LongAdder();
    /** Elements written by structural copies (big keys in chunks). */
    public final LongAdder elements = new LongAdder();
}

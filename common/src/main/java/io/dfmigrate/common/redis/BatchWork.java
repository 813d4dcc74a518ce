package io.dfmigrate.common.redis;

import io.dfmigrate.common.event.KeyFailure;
import java.util.ArrayList;
import java.util.List;

/**
 * What one {@link KeySync#sync} or {@link KeySync#restore} call has done and has still to do: the counts so far, the
 * keys that failed, and the keys that go by type (small ones many at once, big ones in chunks), each with its deadline
 * ({@link Deadlines}). The reader, the writer and the by-type copies of one batch all add to it.
 */
final class BatchWork {
    final List<KeyFailure> failures = new ArrayList<>();
    /** Keys copied by type one by one, in chunks ({@link StructuralCopy}): big keys, streams, what changed meanwhile. */
    final List<byte[]> structural = new ArrayList<>();
    final List<Long> structuralTtl = new ArrayList<>();
    /** Small keys whose payload the target refused: read and written by type many at once ({@link TypedCopy}). */
    final List<byte[]> typed = new ArrayList<>();
    final List<Long> typedTtl = new ArrayList<>();
    long restored;
    long deleted;
    long bytes;
    /** Of the restored keys, those written by type (small ones or in chunks). */
    long byType;

    void structural(byte[] key, long deadline) {
        structural.add(key);
        structuralTtl.add(deadline);
    }

    void typed(byte[] key, long deadline) {
        typed.add(key);
        typedTtl.add(deadline);
    }

    /** A key written by type (small, or in chunks): counted here and in the live progress (null: none). */
    void writtenByType(CopyProgress progress) {
        byType++;
        restored++;
        if (progress != null) {
            progress.keys.increment();
            progress.structural.increment();
        }
    }

    void fail(int db, byte[] key, String reason) {
        failures.add(new KeyFailure(db, KeySync.printable(key), reason));
    }

    KeySync.Result result() {
        return new KeySync.Result(restored, deleted, bytes, byType, failures);
    }
}

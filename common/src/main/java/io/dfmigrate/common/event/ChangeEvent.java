package io.dfmigrate.common.event;

/**
 * One change seen by capture, on {@code dfm.changes} keyed by {@code <migration>:<db>:<base64 key>} so that every change of
 * a key lands in the same partition, in order. Only the key's name travels: the applier reads the current value.
 * {@code count}: how many notifications of this key the capture coalesced into this record (null means 1);
 * {@code timeMillis} is when the first of them was seen.
 */
public record ChangeEvent(String migrationId, int run, int db, byte[] key, String event, long timeMillis, String capture, Integer count) {
    /** {@code capture}: the id of the capture that saw the change (a new one after a takeover; null from older workers). */
    public ChangeEvent(String migrationId, int run, int db, byte[] key, String event, long timeMillis, String capture) {
        this(migrationId, run, db, key, event, timeMillis, capture, null);
    }

    public ChangeEvent(String migrationId, int run, int db, byte[] key, String event, long timeMillis) {
        this(migrationId, run, db, key, event, timeMillis, null, null);
    }

    /** Notifications this record stands for (at least 1). */
    public int notifications() {
        return count == null || count < 1 ? 1 : count;
    }
}

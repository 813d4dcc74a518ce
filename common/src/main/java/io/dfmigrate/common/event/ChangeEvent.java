package io.dfmigrate.common.event;

/**
 * One change seen by capture, on {@code dfm.changes} keyed by {@code <db>:<base64 key>} so that every change of a key
 * lands in the same partition, in order. Only the key's name travels: the applier reads the current value.
 */
public record ChangeEvent(String migrationId, int run, int db, byte[] key, String event, long timeMillis, String capture) {
    /** {@code capture}: the id of the capture that saw the change (a new one after a takeover; null from older workers). */
    public ChangeEvent(String migrationId, int run, int db, byte[] key, String event, long timeMillis) {
        this(migrationId, run, db, key, event, timeMillis, null);
    }
}

package io.dfmigrate.common.event;

/**
 * A key that differs between source and target after a verification re-checked it: its database, the key (bytes,
 * base64 in JSON), the {@code reason} ({@code missing-on-target}, {@code extra-on-target}, {@code type}, {@code value},
 * {@code ttl}, {@code unsettled}: it kept changing on the source while it was compared, {@code error}: it could not be
 * read), and what each side held.
 */
public record KeyDifference(int db, byte[] key, String reason, Side source, Side target) {
    /**
     * One side of a key: its {@code type} ({@code none} when missing), {@code ttlMillis} left when it was read (-1: no
     * TTL, -2: missing) and {@code length} (bytes of a string, elements of any other type; -1 when unknown).
     */
    public record Side(String type, long ttlMillis, long length) {
        public static final Side MISSING = new Side("none", -2, 0);
    }
}

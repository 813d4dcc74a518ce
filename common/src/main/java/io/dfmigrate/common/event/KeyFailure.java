package io.dfmigrate.common.event;

/** A key that could not be copied: db, the key (UTF-8 where it decodes, else base64 with a {@code b64:} prefix), why. */
public record KeyFailure(int db, String key, String reason) {
}

package io.dfmigrate.common.config;

import io.smallrye.config.ConfigMapping;
import java.util.List;
import java.util.Optional;

/**
 * {@code dfm.event.key} (env {@code DFM_EVENT_KEY}): the base64 256-bit HMAC key that signs phase commands and status
 * reports, shared by all four services and separate from {@code DFM_SECRET_KEY}; {@code dfm.event.previous-keys}
 * ({@code DFM_EVENT_PREVIOUS_KEYS}): keys of before a rotation, still accepted when verifying.
 */
@ConfigMapping(prefix = "dfm.event")
public interface EventKeyConfig {
    String key();

    Optional<List<String>> previousKeys();
}

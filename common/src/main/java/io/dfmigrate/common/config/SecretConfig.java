package io.dfmigrate.common.config;

import io.smallrye.config.ConfigMapping;
import java.util.List;
import java.util.Optional;

/**
 * {@code dfm.secret.key} (env {@code DFM_SECRET_KEY}): the base64 AES-256 key that seals credentials, shared by the
 * services that read them; {@code dfm.secret.previous-keys} ({@code DFM_SECRET_PREVIOUS_KEYS}, comma-separated): keys
 * of before a rotation, still accepted for opening.
 */
@ConfigMapping(prefix = "dfm.secret")
public interface SecretConfig {
    String key();

    Optional<List<String>> previousKeys();
}

package io.dfmigrate.common.config;

import io.smallrye.config.ConfigMapping;

/** {@code dfm.secret.key} (env {@code DFM_SECRET_KEY}): the base64 AES-256 key shared by the services that read secrets. */
@ConfigMapping(prefix = "dfm.secret")
public interface SecretConfig {
    String key();
}

package io.dfmigrate.validator.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

@ConfigMapping(prefix = "dfm.validator")
public interface ValidatorConfig {
    /** Bound of every network call (connect, each command) of a validation run. */
    @WithDefault("5s")
    Duration timeout();
}

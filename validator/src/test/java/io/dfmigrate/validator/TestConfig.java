package io.dfmigrate.validator;

import io.dfmigrate.validator.config.ValidatorConfig;
import java.time.Duration;

/** The validator's settings for tests: the defaults of application.properties, with thresholds a test can lower. */
record TestConfig(Duration timeout, int sampleKeys, long bigKeyElements, long bigKeyBytes, long maxStringBytes, Duration maxTtl,
                  Duration latencyWarning, Duration writeRateWindow, long captureCapacity) implements ValidatorConfig {

    static TestConfig defaults() {
        return new TestConfig(Duration.ofSeconds(2), 2000, 100_000, 64L << 20, 256L << 20, Duration.ofDays(2922), Duration.ofMillis(50),
                Duration.ofSeconds(1), 40_000);
    }

    TestConfig withBigKeyElements(long n) {
        return new TestConfig(timeout, sampleKeys, n, bigKeyBytes, maxStringBytes, maxTtl, latencyWarning, writeRateWindow, captureCapacity);
    }

    TestConfig withMaxStringBytes(long n) {
        return new TestConfig(timeout, sampleKeys, bigKeyElements, bigKeyBytes, n, maxTtl, latencyWarning, writeRateWindow, captureCapacity);
    }

    TestConfig withLatencyWarning(Duration d) {
        return new TestConfig(timeout, sampleKeys, bigKeyElements, bigKeyBytes, maxStringBytes, maxTtl, d, writeRateWindow, captureCapacity);
    }

    TestConfig withCaptureCapacity(long n) {
        return new TestConfig(timeout, sampleKeys, bigKeyElements, bigKeyBytes, maxStringBytes, maxTtl, latencyWarning, writeRateWindow, n);
    }
}

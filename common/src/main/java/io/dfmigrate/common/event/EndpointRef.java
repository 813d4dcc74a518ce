package io.dfmigrate.common.event;

/**
 * An endpoint as it travels in events: {@code uri} is masked (safe to log), {@code sealed} is the full URI
 * sealed with the shared {@link io.dfmigrate.common.secret.SecretBox} key.
 */
public record EndpointRef(String uri, String sealed) {
    @Override
    public String toString() {
        return uri;
    }
}

package io.dfmigrate.common.redis;

/** A Redis call failed: the endpoint (masked) and the cause, never the password. */
public class RedisCommandException extends RuntimeException {
    public RedisCommandException(String message, Throwable cause) {
        super(message, cause);
    }

    public RedisCommandException(String message) {
        super(message);
    }
}

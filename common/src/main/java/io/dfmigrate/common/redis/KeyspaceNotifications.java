package io.dfmigrate.common.redis;

import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;

/**
 * The source's {@code notify-keyspace-events}, which change capture depends on: read it, judge it, set it. Used by the
 * validator (plan), the replicator (set, watch, restore) and the orchestrator (restore after a crash).
 */
public final class KeyspaceNotifications {
    public static final String PARAMETER = "notify-keyspace-events";

    /** The current flags ("" when off). */
    public static String get(BlockingRedis redis) {
        return configValue(redis.send(Request.cmd(Command.CONFIG).arg("GET").arg(PARAMETER)), PARAMETER);
    }

    public static void set(BlockingRedis redis, String flags) {
        redis.send(Request.cmd(Command.CONFIG).arg("SET").arg(PARAMETER).arg(flags));
    }

    /** Whether {@code flags} notify every change of a key: keyspace events (K) for all classes (A, or each of them). */
    public static boolean sufficient(String flags) {
        return flags.contains("K") && (flags.contains("A") || "g$lshzxet".chars().allMatch(ch -> flags.indexOf(ch) >= 0));
    }

    /** {@code flags} plus what capture needs. */
    public static String forCapture(String flags) {
        return flags + "KA";
    }

    /** The value of a {@code CONFIG GET <parameter>} reply (a map in RESP3, a two-element array in RESP2); "" if absent. */
    public static String configValue(Response reply, String parameter) {
        String value = Replies.configValue(reply, parameter);
        return value == null ? "" : value;
    }

    private KeyspaceNotifications() {
    }
}

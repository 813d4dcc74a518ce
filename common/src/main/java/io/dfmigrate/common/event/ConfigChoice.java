package io.dfmigrate.common.event;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.LinkedHashMap;

/**
 * {@code options.migrateConfig}: which of the source's settings the cutover gives the target with {@code CONFIG SET}:
 * {@code false} (none, the default), {@code true} (the settings that shape how data behaves, {@link #DEFAULT_KEYS}, and
 * the function libraries) or a list of setting names ({@value #FUNCTIONS} for the libraries). In JSON it is written back
 * the way it was given.
 */
public record ConfigChoice(boolean all, List<String> keys) {
    /** What {@code true} copies: eviction, idle clients, notifications, the encodings' thresholds, scripts' time limit. */
    public static final List<String> DEFAULT_KEYS = List.of("maxmemory-policy", "maxmemory-samples", "lfu-log-factor", "lfu-decay-time",
            "timeout", "notify-keyspace-events", "hash-max-listpack-entries", "hash-max-listpack-value", "set-max-intset-entries",
            "set-max-listpack-entries", "set-max-listpack-value", "zset-max-listpack-entries", "zset-max-listpack-value",
            "list-max-listpack-size", "list-compress-depth", "stream-node-max-bytes", "stream-node-max-entries", "busy-reply-threshold");

    /**
     * Settings never copied, even when named: where the target keeps its files, listens and authenticates, whom it
     * replicates, and its cluster and TLS set-up belong to the target, not to the data.
     */
    static final List<String> REFUSED = List.of("dir", "dbfilename", "appenddirname", "appendfilename", "logfile", "pidfile", "aclfile",
            "requirepass", "masterauth", "masteruser", "bind", "port", "unixsocket", "unixsocketperm", "replicaof", "slaveof",
            "enable-debug-command", "enable-module-command", "enable-protected-configs", "protected-mode", "include");

    public static final ConfigChoice NONE = new ConfigChoice(false, List.of());
    /** Not a setting: the name that asks for the source's function libraries (FUNCTION DUMP / RESTORE); {@code true} includes them. */
    public static final String FUNCTIONS = "functions";

    /** Whether the function libraries come along. */
    public boolean functions() {
        return all || keys.contains(FUNCTIONS);
    }

    @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
    static ConfigChoice of(JsonNode n) {
        if (n.isBoolean()) {
            return n.booleanValue() ? new ConfigChoice(true, DEFAULT_KEYS) : NONE;
        }
        if (n.isArray()) {
            List<String> keys = new ArrayList<>();
            for (JsonNode k : n) {
                if (!k.isTextual()) {
                    throw new IllegalArgumentException("setting names are strings");
                }
                keys.add(k.textValue());
            }
            return new ConfigChoice(false, List.copyOf(keys));
        }
        throw new IllegalArgumentException("must be true, false or a list of setting names");
    }

    @JsonValue
    Object json() {
        return all ? Boolean.TRUE : keys.isEmpty() ? Boolean.FALSE : keys;
    }

    /** Problems with the names given (field → message), empty when fine. */
    Map<String, String> problems() {
        Map<String, String> out = new LinkedHashMap<>();
        if (keys.size() > 64) {
            out.put("migrateConfig", "names at most 64 settings");
        }
        for (int i = 0; i < keys.size(); i++) {
            String k = keys.get(i);
            if (k == null || !k.matches("[a-z0-9][a-z0-9-]{0,63}")) {
                out.put("migrateConfig[" + i + "]", "must be a setting name as CONFIG GET knows it (lower case, digits, '-')");
            } else if (REFUSED.contains(k) || k.startsWith("tls-") || k.startsWith("cluster-")) {
                out.put("migrateConfig[" + i + "]", "'" + k + "' belongs to the target's own set-up (files, network, authentication, "
                        + "replication, cluster, TLS) and is never copied");
            }
        }
        return out;
    }
}

package io.dfmigrate.validator.service;

import io.dfmigrate.common.endpoint.RedisEndpoint;
import io.dfmigrate.common.redis.BlockingRedis;
import io.dfmigrate.common.redis.KeyScanner;
import io.dfmigrate.common.redis.Replies;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What one connection learns about an endpoint, by reading only: reachability, round trip, INFO, keys per database,
 * a few CONFIG values, modules, FUNCTION libraries, ACL users and command statistics. A command the server lacks or
 * the user may not run leaves its part empty (and {@code configDenied} says whether CONFIG GET was refused).
 */
public record EndpointProbe(String role, RedisEndpoint endpoint, String error, double latencyMillis, Map<String, String> info,
                            Map<Integer, Long> keyspace, Map<String, String> config, boolean configDenied, List<String> modules,
                            List<String> functionLibraries, List<String> aclUsers, Map<String, Long> commandCalls,
                            long keyspacePatternSubscribers, Topology topology) {

    /**
     * Where the server stands: a node of a Redis Cluster ({@code cluster_enabled:1}) with the slots it serves and the
     * addresses of the cluster's other masters ({@code CLUSTER NODES}), and the sentinels that monitor it (each one
     * subscribes to {@code __sentinel__:hello} on the servers it watches: {@code PUBSUB NUMSUB}).
     */
    public record Topology(boolean cluster, int slots, List<String> otherMasters, long sentinels) {
        static final Topology UNKNOWN = new Topology(false, 0, List.of(), 0);
    }

    static final List<String> CONFIG_KEYS = List.of("databases", "dbnum", "maxmemory", "maxmemory-policy", "notify-keyspace-events",
            "client-output-buffer-limit");

    public boolean reachable() {
        return error == null;
    }

    public boolean isDragonfly() {
        return info.containsKey("dragonfly_version");
    }

    public String product() {
        if (isDragonfly()) {
            return "Dragonfly " + info.get("dragonfly_version");
        }
        if (info.containsKey("valkey_version")) {
            return "Valkey " + info.get("valkey_version");
        }
        return "Redis " + info.getOrDefault("redis_version", "(unknown version)");
    }

    /** major*100 + minor of redis_version (Dragonfly reports 7.4), or 0. */
    public int version() {
        String[] v = info.getOrDefault("redis_version", "0.0").split("\\.");
        try {
            return Integer.parseInt(v[0]) * 100 + (v.length > 1 ? Integer.parseInt(v[1]) : 0);
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    public long totalKeys() {
        return keyspace.values().stream().mapToLong(Long::longValue).sum();
    }

    /** Number of databases: CONFIG {@code databases} (Redis) or {@code dbnum} (Dragonfly), null when unknown. */
    public Integer databases() {
        String v = isDragonfly() ? config.get("dbnum") : config.getOrDefault("databases", config.get("dbnum"));
        try {
            return v == null ? null : Integer.valueOf(v.strip());
        } catch (NumberFormatException e) {
            return null;
        }
    }

    public long infoLong(String field) {
        try {
            return Long.parseLong(info.getOrDefault(field, "0").strip());
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    static EndpointProbe run(Vertx vertx, String role, RedisEndpoint endpoint, Duration timeout) {
        try (BlockingRedis redis = BlockingRedis.connect(vertx, endpoint, endpoint.db() == null ? 0 : endpoint.db(), timeout)) {
            long best = Long.MAX_VALUE;
            for (int i = 0; i < 3; i++) {
                long t0 = System.nanoTime();
                redis.send(Request.cmd(Command.PING));
                best = Math.min(best, System.nanoTime() - t0);
            }
            Map<String, String> info = parseInfo(redis.send(Request.cmd(Command.INFO)).toString());
            Map<Integer, Long> keyspace = KeyScanner.keyspace(redis);
            Map<String, String> config = new LinkedHashMap<>();
            boolean denied = false;
            for (String key : CONFIG_KEYS) {
                try {
                    Response r = redis.send(Request.cmd(Command.CONFIG).arg("GET").arg(key));
                    String value = Replies.configValue(r, key);
                    if (value != null) {
                        config.put(key, value);
                    }
                } catch (RuntimeException e) {
                    String m = String.valueOf(e.getMessage()).toUpperCase();
                    if (m.contains("NOPERM") || m.contains("UNKNOWN COMMAND") || m.contains("NOT ALLOWED")) {
                        denied = true;
                        break;
                    }
                }
            }
            Map<String, Long> calls = new HashMap<>();
            for (Map.Entry<String, String> e : parseInfo(optional(redis, Request.cmd(Command.INFO).arg("commandstats"))).entrySet()) {
                // cmdstat_get:calls=12,usec=…   cmdstat_client|list:calls=3,…
                if (e.getKey().startsWith("cmdstat_") && e.getValue().startsWith("calls=")) {
                    String n = e.getValue().substring(6);
                    int comma = n.indexOf(',');
                    calls.put(e.getKey().substring(8).toLowerCase(), Long.parseLong(comma < 0 ? n : n.substring(0, comma)));
                }
            }
            long patternSubscribers = 0;
            try {
                Response numpat = redis.send(Request.cmd(Command.PUBSUB).arg("NUMPAT"));
                Response channels = redis.send(Request.cmd(Command.PUBSUB).arg("CHANNELS").arg("__key*@*__:*"));
                patternSubscribers = (numpat == null ? 0 : numpat.toLong()) + (channels == null ? 0 : channels.size());
            } catch (RuntimeException ignored) {
                // PUBSUB not permitted: nothing to report
            }
            // redis.endpoint(): the server itself (for a Sentinel's master, the one the Sentinel named)
            return new EndpointProbe(role, redis.endpoint(), null, best / 1_000_000.0, info, keyspace, config, denied,
                    names(redis, Request.cmd(Command.MODULE).arg("LIST"), "name"),
                    names(redis, Request.cmd(Command.FUNCTION).arg("LIST"), "library_name"),
                    strings(redis, Request.cmd(Command.ACL).arg("USERS")), calls, patternSubscribers, topology(redis, info));
        } catch (RuntimeException e) {
            return new EndpointProbe(role, endpoint, BlockingRedis.describe(e), 0, Map.of(), Map.of(), Map.of(), false, List.of(),
                    List.of(), List.of(), Map.of(), 0, Topology.UNKNOWN);
        }
    }

    static Topology topology(BlockingRedis redis, Map<String, String> info) {
        boolean cluster = "1".equals(info.get("cluster_enabled"));
        int slots = 0;
        List<String> others = new ArrayList<>();
        if (cluster) {
            // <id> <ip:port@cport[,hostname]> <flags> <master> <ping-sent> <pong-recv> <epoch> <link-state> <slot> <slot> ...
            for (String line : optional(redis, Request.cmd(Command.CLUSTER).arg("NODES")).split("\r?\n")) {
                String[] f = line.strip().split(" ");
                List<String> flags = f.length > 2 ? List.of(f[2].split(",")) : List.of();
                if (f.length < 8 || !flags.contains("master") || flags.contains("fail")) {
                    continue;
                }
                if (flags.contains("myself")) {
                    slots = slotCount(f);
                } else {
                    others.add(f[1].split("@")[0]);
                }
            }
        }
        long sentinels = 0;
        try {
            Response r = redis.send(Request.cmd(Command.PUBSUB).arg("NUMSUB").arg("__sentinel__:hello"));
            if (r != null && r.size() > 0) {
                sentinels = r.containsKey("__sentinel__:hello") ? r.get("__sentinel__:hello").toLong() : r.get(1).toLong();
            }
        } catch (RuntimeException ignored) {
            // PUBSUB not permitted: unknown
        }
        return new Topology(cluster, slots, List.copyOf(others), sentinels);
    }

    /** Slots of a CLUSTER NODES line: {@code 0-5460}, {@code 7}; slots being moved ({@code [5461->-<id>]}) are not counted. */
    private static int slotCount(String[] fields) {
        int n = 0;
        for (int i = 8; i < fields.length; i++) {
            String s = fields[i];
            if (s.startsWith("[")) {
                continue;
            }
            int dash = s.indexOf('-');
            try {
                n += dash < 0 ? 1 : Integer.parseInt(s.substring(dash + 1)) - Integer.parseInt(s.substring(0, dash)) + 1;
            } catch (NumberFormatException ignored) {
                // not a slot
            }
        }
        return n;
    }

    private static String optional(BlockingRedis redis, Request request) {
        try {
            Response r = redis.send(request);
            return r == null ? "" : r.toString();
        } catch (RuntimeException e) {
            return "";
        }
    }

    /** The {@code field} of each map in an array reply (MODULE LIST, FUNCTION LIST); empty when the command fails. */
    private static List<String> names(BlockingRedis redis, Request request, String field) {
        try {
            return Replies.field(redis.send(request), field);
        } catch (RuntimeException e) {
            return new ArrayList<>(); // unknown command or not permitted
        }
    }

    private static List<String> strings(BlockingRedis redis, Request request) {
        List<String> out = new ArrayList<>();
        try {
            Response r = redis.send(request);
            if (r != null) {
                r.forEach(x -> out.add(x.toString()));
            }
        } catch (RuntimeException e) {
            // not permitted
        }
        return out;
    }

    static Map<String, String> parseInfo(String text) {
        Map<String, String> out = new HashMap<>();
        for (String line : text.split("\r?\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && !line.startsWith("#")) {
                out.put(line.substring(0, colon), line.substring(colon + 1).strip());
            }
        }
        return out;
    }
}

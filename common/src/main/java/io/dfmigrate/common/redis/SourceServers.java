package io.dfmigrate.common.redis;

import io.dfmigrate.common.endpoint.RedisEndpoint;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The servers a source's keys live on: the source itself, or for a Redis Cluster ({@code cluster=yes}) its masters, and
 * which of them holds a key (its slot's master). The cluster's masters are asked for once and kept for
 * {@value #KEEP_MILLIS} ms; {@link #forget} drops them after a failure (a failover, a moved slot), so the next call asks
 * the cluster again.
 */
public final class SourceServers {
    private static final long KEEP_MILLIS = 10_000;
    private static final Map<String, Known> KNOWN = new ConcurrentHashMap<>();
    /** The masters last seen per cluster, kept after {@link #forget}: asked when the URI's own node does not answer. */
    private static final Map<String, List<RedisEndpoint>> SEEN = new ConcurrentHashMap<>();

    private record Known(ClusterNodes nodes, long at) {
    }

    private SourceServers() {
    }

    /** Every server that holds keys of {@code source}: itself, or the cluster's masters. */
    public static List<RedisEndpoint> of(Vertx vertx, RedisEndpoint source, Duration timeout) {
        if (!source.cluster()) {
            return List.of(source);
        }
        return nodes(vertx, source, timeout).masters().stream().map(ClusterNodes.Master::endpoint).toList();
    }

    /** The cluster's masters as last asked (at most {@value #KEEP_MILLIS} ms ago), asked again when older or forgotten. */
    public static ClusterNodes nodes(Vertx vertx, RedisEndpoint cluster, Duration timeout) {
        String id = cluster.toUri();
        Known k = KNOWN.get(id);
        if (k == null || System.currentTimeMillis() - k.at() > KEEP_MILLIS) {
            ClusterNodes nodes = discover(vertx, cluster, timeout);
            SEEN.put(id, nodes.masters().stream().map(ClusterNodes.Master::endpoint).toList());
            if (nodes.coveredSlots() < ClusterNodes.SLOTS) {
                throw new RedisCommandException(cluster.address() + ": the cluster's masters serve " + nodes.coveredSlots()
                        + " of the 16384 slots (cluster_state " + (nodes.ok() ? "ok" : "not ok") + "): keys of the others cannot be read");
            }
            k = new Known(nodes, System.currentTimeMillis());
            KNOWN.put(id, k);
        }
        return k.nodes();
    }

    /**
     * Asks the URI's node, and when it does not answer (it may be the master that just failed) the masters seen before,
     * one after the other, until one names the masters with every slot served; else the first answer, or the first error.
     */
    private static ClusterNodes discover(Vertx vertx, RedisEndpoint cluster, Duration timeout) {
        List<RedisEndpoint> ask = new ArrayList<>(List.of(cluster));
        SEEN.getOrDefault(cluster.toUri(), List.of()).forEach(m -> ask.add(m.asCluster()));
        RuntimeException first = null;
        ClusterNodes partial = null;
        for (RedisEndpoint node : ask) {
            try {
                ClusterNodes nodes = ClusterNodes.discover(vertx, node, timeout);
                if (nodes.coveredSlots() == ClusterNodes.SLOTS) {
                    return nodes;
                }
                partial = partial == null ? nodes : partial;
            } catch (RuntimeException e) {
                first = first == null ? e : first;
            }
        }
        if (partial != null) {
            return partial;
        }
        throw first;
    }

    /** After a failure on one of its servers: the cluster's masters are asked again at the next call. */
    public static void forget(RedisEndpoint source) {
        if (source.cluster()) {
            KNOWN.remove(source.toUri());
        }
    }

    /**
     * {@code keys} grouped by the server that holds them, each group in the given order: one group (the source) unless
     * the source is a cluster.
     */
    public static Map<RedisEndpoint, List<byte[]>> byServer(Vertx vertx, RedisEndpoint source, List<byte[]> keys, Duration timeout) {
        if (!source.cluster()) {
            return Map.of(source, keys);
        }
        ClusterNodes nodes = nodes(vertx, source, timeout);
        Map<RedisEndpoint, List<byte[]>> groups = new LinkedHashMap<>();
        for (byte[] key : keys) {
            ClusterNodes.Master owner = nodes.ownerOf(ClusterNodes.slot(key));
            groups.computeIfAbsent(owner.endpoint(), e -> new ArrayList<>()).add(key);
        }
        return groups;
    }
}

package io.dfmigrate.validator.service;

import static io.dfmigrate.common.event.Severity.ERROR;
import static io.dfmigrate.common.event.Severity.INFO;

import io.dfmigrate.common.endpoint.RedisEndpoint;
import io.dfmigrate.common.event.MigrationOptions;
import io.dfmigrate.common.redis.BlockingRedis;
import io.dfmigrate.common.redis.ClusterNodes;
import io.dfmigrate.common.redis.KeyScanner;
import io.dfmigrate.common.redis.KeyspaceNotifications;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A source given as {@code topology cluster}: the node the URI names lists the masters, and each is checked as the copy
 * and the capture will use it (reachable with the URI's credentials, a master, its keyspace notifications). The slots
 * must all be served; a cluster has only database 0; the copy reads live keys ({@code copyMode scan}).
 */
final class ClusterChecks {
    private ClusterChecks() {
    }

    /** Runs the checks; returns the memory the masters use together (0 when the masters could not be listed). */
    static long check(Vertx vertx, RedisEndpoint given, MigrationOptions o, Duration timeout, Report r) {
        ClusterNodes nodes;
        try {
            nodes = ClusterNodes.discover(vertx, given, timeout);
        } catch (RuntimeException e) {
            r.add("topology.source", ERROR, "the masters of the cluster could not be listed from " + given.address() + " (CLUSTER NODES): "
                    + e.getMessage(), "give the address of a node of the cluster (cluster-enabled yes) that dfmigrate reaches with the URI's "
                    + "credentials");
            return 0;
        }
        if (!nodes.ok() || nodes.coveredSlots() < ClusterNodes.SLOTS) {
            r.add("topology.source.slots", ERROR, "the cluster serves " + nodes.coveredSlots() + " of the 16384 slots"
                    + (nodes.ok() ? "" : " and is not cluster_state:ok") + ": keys of unserved slots cannot be copied",
                    "fix the cluster first (redis-cli --cluster check, then fix), then run the check again");
        }
        List<String> described = new ArrayList<>();
        long memory = 0;
        long keys = 0;
        for (ClusterNodes.Master m : nodes.masters()) {
            described.add(m.endpoint().address() + " (" + m.slots() + " slots)");
            try (BlockingRedis node = BlockingRedis.connect(vertx, m.endpoint(), 0, timeout)) {
                Map<String, String> info = EndpointProbe.parseInfo(node.send(Request.cmd(Command.INFO)).toString());
                memory += Long.parseLong(info.getOrDefault("used_memory", "0"));
                keys += KeyScanner.keyspace(node).values().stream().mapToLong(Long::longValue).sum();
                if (!"master".equals(info.getOrDefault("role", "master"))) {
                    r.add("topology.source.role", ERROR, "the cluster names " + m.endpoint().address() + " a master but it says role:"
                            + info.get("role") + " (a failover under way?)", "run the check again once the cluster is stable");
                }
                String notify = KeyspaceNotifications.get(node);
                if (!KeyspaceNotifications.sufficient(notify) && !Boolean.TRUE.equals(o.configureSourceNotifications())) {
                    r.add("capture.notifications.cluster", ERROR, "master " + m.endpoint().address() + " has notify-keyspace-events '" + notify
                            + "': changes of its keys would not be captured", "set it on every master and replica (CONFIG SET "
                            + "notify-keyspace-events KEA), or allow options.configureSourceNotifications");
                }
            } catch (RuntimeException e) {
                r.add("connectivity.source.cluster", ERROR, "master " + m.endpoint().address() + " of the cluster is not usable with the "
                        + "URI's credentials: " + e.getMessage(), "every master must be reachable from dfmigrate with the same user, "
                        + "password and TLS settings");
            }
        }
        r.add("topology.source", INFO, "the source is a Redis Cluster of " + nodes.masters().size() + " master(s) holding " + keys
                + " key(s): " + String.join(", ", described) + "; every master is copied and captured into the one target", null);
        if (!o.dbs().isEmpty() && !o.dbs().equals(List.of(0))) {
            r.add("options.dbs", ERROR, "a Redis Cluster has only database 0, and options.dbs names " + o.dbs(),
                    "leave options.dbs empty or [0]");
        }
        return memory;
    }
}

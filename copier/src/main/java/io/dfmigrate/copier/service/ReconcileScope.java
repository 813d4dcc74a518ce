package io.dfmigrate.copier.service;

import io.dfmigrate.common.endpoint.RedisEndpoint;
import io.dfmigrate.common.event.PhaseEvent;
import io.dfmigrate.common.redis.ClusterNodes;
import io.dfmigrate.common.redis.SourceServers;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;
import org.jboss.logging.Logger;

/**
 * What a reconciliation pass rescans: everything, or (a Redis Cluster's gap on some masters, {@code Reconcile.shards})
 * those masters of the source ({@code servers}) and the target's keys of the slots they serve now ({@code targetKeys}).
 * {@code masters} null: everything.
 */
record ReconcileScope(List<String> masters, Predicate<String> servers, Predicate<byte[]> targetKeys) {
    private static final Logger LOG = Logger.getLogger(ReconcileScope.class);
    static final ReconcileScope ALL = new ReconcileScope(null, a -> true, k -> true);

    static ReconcileScope of(Vertx vertx, Duration timeout, PhaseEvent.Reconcile phase, RedisEndpoint source) {
        if (phase.shards() == null || phase.shards().isEmpty() || !source.cluster()) {
            return ALL;
        }
        ClusterNodes nodes = SourceServers.nodes(vertx, source, timeout);
        if (!mastersOf(nodes).containsAll(phase.shards())) {
            SourceServers.forget(source); // asked before the masters changed: ask the cluster now
            nodes = SourceServers.nodes(vertx, source, timeout);
        }
        Set<String> masters = mastersOf(nodes);
        if (!masters.containsAll(phase.shards())) {
            // a master named by the gap is no longer one (another failover): its slots' owners are not known, rescan all
            LOG.warnf("migration %s: reconciliation of master(s) %s: not all of them are masters now (%s); rescanning every master",
                    phase.migrationId(), phase.shards(), masters);
            return ALL;
        }
        List<String> chosen = List.copyOf(phase.shards());
        ClusterNodes now = nodes;
        return new ReconcileScope(chosen, chosen::contains, k -> chosen.contains(now.ownerOf(ClusterNodes.slot(k)).endpoint().address()));
    }

    private static Set<String> mastersOf(ClusterNodes nodes) {
        Set<String> masters = new HashSet<>();
        nodes.masters().forEach(m -> masters.add(m.endpoint().address()));
        return masters;
    }
}

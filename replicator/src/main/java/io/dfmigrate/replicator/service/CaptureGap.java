package io.dfmigrate.replicator.service;

import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * What a capture may have missed since its last reconciliation request: changes of any key (a flush, a lost change, any
 * source but a Redis Cluster), or of the keys of some masters of a cluster (their subscriptions broke, or masters came
 * that it did not follow). Marked from the connections' event loops, taken by the request.
 */
final class CaptureGap {
    private final boolean cluster;
    private final AtomicBoolean whole = new AtomicBoolean();
    /** Servers (host:port) whose subscription broke since the last request. */
    private final Set<String> servers = ConcurrentHashMap.newKeySet();

    CaptureGap(boolean cluster) {
        this.cluster = cluster;
    }

    /** Changes of any key may be missing. */
    void markWhole() {
        whole.set(true);
    }

    /** Changes of {@code server}'s keys may be missing (null: of masters the capture did not follow, found at the request). */
    void markServer(String server) {
        if (server != null) {
            servers.add(server);
        }
    }

    /** Whether a gap was marked that no request took yet. */
    boolean pending() {
        return whole.get() || !servers.isEmpty();
    }

    /**
     * Takes the gap for a request made after a (re)subscription from masters {@code before} to {@code after}: null for the
     * whole keyspace (not a cluster, a gap of any key, or no master to name), else the masters to rescan: those whose
     * subscription broke and that are masters still, and every master subscribed anew (a promoted replica, an added master).
     */
    List<String> take(Collection<String> before, Collection<String> after) {
        boolean all = whole.getAndSet(false) || !cluster;
        Set<String> masters = new TreeSet<>();
        for (String s : List.copyOf(servers)) {
            servers.remove(s);
            if (after.contains(s)) {
                masters.add(s);
            }
        }
        after.stream().filter(a -> !before.contains(a)).forEach(masters::add);
        return all || masters.isEmpty() ? null : List.copyOf(masters);
    }
}

package io.dfmigrate.validator.service;

import static io.dfmigrate.common.event.Severity.ERROR;
import static io.dfmigrate.common.event.Severity.INFO;
import static io.dfmigrate.common.event.Severity.WARNING;

import io.dfmigrate.common.endpoint.RedisEndpoint;
import io.dfmigrate.common.event.MigrationOptions;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The checks of the servers themselves, from what {@link EndpointProbe} read: their roles (a replica is neither a good
 * source nor a target), a target that already holds keys, enough databases, enough memory.
 */
final class ServerChecks {
    private ServerChecks() {
    }

    /**
     * A replica as the source copies and captures fine, but the cutover's {@code CLIENT PAUSE … WRITE} would pause nobody
     * who writes: the applications write to its primary, and what they write after the cutover's check is lost.
     */
    static void sourceRole(EndpointProbe s, Report r) {
        String role = s.info().getOrDefault("role", "master");
        if (role.equals("slave") || role.equals("replica")) {
            String primary = s.info().getOrDefault("master_host", "?") + ":" + s.info().getOrDefault("master_port", "?");
            r.add("role.source", ERROR, "the source is a replica (role:" + role + ") of the primary " + primary
                    + ": the cutover could not pause the writes made on the primary, and those made after its check would be lost",
                    "point the source URI at the primary " + primary + " (the address its replicas use; from the dfmigrate "
                    + "services it may have another name), with the same credentials if they hold there");
        }
    }

    /**
     * A source given as one server that is part of something larger: a Redis Cluster node holds only its slots' keys
     * (the other masters' are not migrated, and the cutover compares this node alone), and a Sentinel failover moves
     * the writes to a server this migration does not follow.
     */
    static void sourceTopology(RedisEndpoint given, EndpointProbe s, Report r) {
        EndpointProbe.Topology t = s.topology();
        if (given.sentinelMaster() != null) {
            r.add("topology.source", INFO, "the source is master '" + given.sentinelMaster() + "' of Sentinel " + given.sentinel().address()
                    + ", now " + s.endpoint().address() + " (" + t.sentinels() + " Sentinel(s) announce themselves on it): every "
                    + "connection asks the Sentinel for the current master, so after a failover the capture subscribes to the new "
                    + "master and a reconciliation brings the target to it", null);
            return;
        }
        if (t.cluster()) {
            String others = t.otherMasters().isEmpty() ? "" : " (" + String.join(", ", t.otherMasters()) + ")";
            r.add("topology.source.cluster", WARNING, "the source is a node of a Redis Cluster (cluster_enabled:1) and serves "
                    + t.slots() + " of the 16384 slots: only its keys are migrated, not those of the cluster's "
                    + t.otherMasters().size() + " other master(s)" + others + ", and the cutover compares this node alone",
                    "to move the whole cluster, migrate each master into the same target (options.overwrite on all but the first) "
                    + "and cut over once every one replicates; acknowledge if this node alone is what you mean to migrate");
        }
        if (t.sentinels() > 0) {
            r.add("topology.source.sentinel", WARNING, "the source is monitored by " + t.sentinels() + " Sentinel(s) (on its "
                    + "__sentinel__:hello channel): a failover during the migration moves the applications' writes to another "
                    + "server, which this migration does not follow (it would miss those writes, and the cutover would pause the "
                    + "wrong server)", "keep failovers from happening until the cutover (e.g. raise the master's "
                    + "down-after-milliseconds with SENTINEL SET for the migration's duration); after one, stop the migration and "
                    + "restart it against the new primary (SENTINEL GET-MASTER-ADDR-BY-NAME); or give the source as topology sentinel with "
                    + "the Sentinel's address and the master's name, and failovers are followed");
        }
    }

    static void role(EndpointProbe t, Report r) {
        String role = t.info().getOrDefault("role", "master");
        if (role.equals("slave") || role.equals("replica")) {
            r.add("role.target", ERROR, "the target is a replica (role:" + role + ") and rejects writes",
                    "run REPLICAOF NO ONE on the target, or point the target URI at its primary");
        }
        if ("1".equals(t.info().get("loading"))) {
            r.add("loading.target", ERROR, "the target is still loading its dataset", "wait until INFO persistence shows loading:0, then validate again");
        }
    }

    static void targetEmpty(EndpointProbe t, MigrationOptions o, Report r) {
        long keys = t.totalKeys();
        if (keys == 0) {
            return;
        }
        String where = t.keyspace().entrySet().stream().map(e -> "db" + e.getKey() + "=" + e.getValue()).collect(Collectors.joining(", "));
        if (Boolean.TRUE.equals(o.overwrite())) {
            r.add("target.not-empty", WARNING, "the target already holds " + keys + " key(s) (" + where
                    + "); keys with the same names will be replaced, the others are recorded at start as the target's own and stay",
                    "acknowledge, or empty the target first (FLUSHALL)");
        } else {
            r.add("target.not-empty", ERROR, "the target already holds " + keys + " key(s) (" + where + ")",
                    "empty the target (FLUSHALL), or set options.overwrite=true to copy over its data");
        }
    }

    static void databases(EndpointProbe s, EndpointProbe t, List<Integer> wanted, boolean dragonfly, Report r) {
        List<Integer> withKeys = wanted.stream().filter(s.keyspace()::containsKey).toList();
        boolean cluster = "1".equals(t.info().get("cluster_enabled"));
        if (cluster) {
            List<Integer> outside = withKeys.stream().filter(db -> db != 0).toList();
            if (!outside.isEmpty()) {
                r.add("databases.cluster", ERROR, "the target runs in cluster mode, which has only database 0, but the source has keys in "
                        + "database(s) " + outside, "move those keys into db 0 first, migrate them to a non-cluster target, or leave "
                        + "them out with options.dbs");
            }
            return;
        }
        Integer count = t.databases();
        if (count == null && dragonfly && !t.isDragonfly()) {
            count = 16;
        }
        if (count == null) {
            r.add("databases", WARNING, "cannot read the target's number of databases (CONFIG GET denied)", "make sure the target has at least "
                    + (withKeys.stream().mapToInt(Integer::intValue).max().orElse(0) + 1) + " databases");
            return;
        }
        final int n = count;
        List<Integer> missing = wanted.stream().filter(db -> db >= n).toList();
        if (!missing.isEmpty()) {
            String setting = dragonfly ? "--dbnum" : "databases";
            r.add("databases", ERROR, "the source has keys in database(s) " + missing + " but the target has only " + n + " database(s)",
                    "start the target with " + setting + " " + (missing.stream().mapToInt(Integer::intValue).max().orElse(0) + 1)
                            + " or more, or leave those databases out with options.dbs");
        }
    }

    /** {@code used}: the source's memory (of every master together for a cluster). */
    static void memory(EndpointProbe t, Report r, long used) {
        long max = 0;
        try {
            max = Long.parseLong(t.config().getOrDefault("maxmemory", t.info().getOrDefault("maxmemory", "0")).strip());
        } catch (NumberFormatException ignored) {
            // unknown: treated as unlimited
        }
        long targetUsed = t.infoLong("used_memory");
        if (max <= 0) {
            r.add("memory", INFO, "the source uses " + ValidationService.mb(used) + "; the target has no maxmemory limit", null);
            return;
        }
        long need = used + targetUsed;
        if (need > max) {
            r.add("memory", ERROR, "the source uses " + ValidationService.mb(used) + " (target already " + ValidationService.mb(targetUsed) + ") but the target's maxmemory is "
                    + ValidationService.mb(max) + ": the copy would run out of memory", "raise the target's maxmemory above " + ValidationService.mb(need * 12 / 10)
                    + " or choose a larger target");
        } else if (need > max * 0.8) {
            r.add("memory", WARNING, "the source uses " + ValidationService.mb(used) + ", " + Math.round(100.0 * need / max) + "% of the target's maxmemory ("
                    + ValidationService.mb(max) + "), leaving little room for new writes", "raise the target's maxmemory to at least " + ValidationService.mb(need * 12 / 10));
        } else {
            r.add("memory", INFO, "the source uses " + ValidationService.mb(used) + " of the target's maxmemory " + ValidationService.mb(max), null);
        }
    }
}

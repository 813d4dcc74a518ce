package io.dfmigrate.localstack;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A Redis Cluster of our own redis-server processes ({@code --cluster-enabled yes}) for tests: {@code masters} masters
 * sharing the 16384 slots evenly, each with {@code replicasPerMaster} replicas, formed with CLUSTER ADDSLOTSRANGE, MEET
 * and REPLICATE (what {@code redis-cli --cluster create} does) and ready once every node says {@code cluster_state:ok}.
 */
public final class RedisCluster implements AutoCloseable {
    private final List<RedisServer> masters;
    private final List<RedisServer> replicas;
    private final java.util.function.Function<String[], RedisServer> server;
    private final String[] args;

    private RedisCluster(List<RedisServer> masters, List<RedisServer> replicas, java.util.function.Function<String[], RedisServer> server,
                         String[] args) {
        this.masters = masters;
        this.replicas = replicas;
        this.server = server;
        this.args = args;
    }

    public static RedisCluster start(int masters, int replicasPerMaster, String... extraArgs) {
        return start(masters, replicasPerMaster, RedisServer::start, extraArgs);
    }

    /** The same with nodes that {@code server} starts from their arguments (e.g. Valkey 8.1: {@link RedisServer#startTrixie}). */
    public static RedisCluster start(int masters, int replicasPerMaster, java.util.function.Function<String[], RedisServer> server,
                                     String... extraArgs) {
        List<RedisServer> ms = new ArrayList<>();
        List<RedisServer> rs = new ArrayList<>();
        List<String> args = new ArrayList<>(List.of("--cluster-enabled", "yes", "--cluster-node-timeout", "2000"));
        args.addAll(List.of(extraArgs));
        RedisCluster cluster = new RedisCluster(ms, rs, server, args.toArray(String[]::new));
        try {
            for (int i = 0; i < masters; i++) {
                RedisServer m = server.apply(args.toArray(String[]::new));
                int from = i * 16384 / masters;
                int to = (i + 1) * 16384 / masters - 1;
                m.cli("CLUSTER", "ADDSLOTSRANGE", Integer.toString(from), Integer.toString(to));
                ms.add(m);
            }
            for (int i = 0; i < masters * replicasPerMaster; i++) {
                rs.add(server.apply(args.toArray(String[]::new)));
            }
            RedisServer first = ms.get(0);
            for (RedisServer n : cluster.nodes()) {
                if (n != first) {
                    first.cli("CLUSTER", "MEET", "127.0.0.1", Integer.toString(n.port()));
                }
            }
            for (int i = 0; i < rs.size(); i++) {
                RedisServer master = ms.get(i % masters);
                String id = master.cli("CLUSTER", "MYID");
                RedisServer replica = rs.get(i);
                await(() -> replica.cli("CLUSTER", "NODES").contains(id), "replica " + replica.port() + " knows master " + master.port());
                replica.cli("CLUSTER", "REPLICATE", id);
            }
            for (RedisServer n : cluster.nodes()) {
                await(() -> n.cli("CLUSTER", "INFO").contains("cluster_state:ok"), "node " + n.port() + " says cluster_state:ok");
            }
            for (RedisServer r : rs) {
                await(() -> r.cli("INFO", "replication").contains("master_link_status:up"), "replica " + r.port() + " is in sync");
            }
            return cluster;
        } catch (RuntimeException e) {
            cluster.close();
            throw e;
        }
    }

    /** Starts a node without slots and makes it a master of the cluster (what {@code redis-cli --cluster add-node} does). */
    public RedisServer addMaster() {
        RedisServer n = server.apply(args);
        masters.add(n);
        RedisServer first = masters.get(0);
        first.cli("CLUSTER", "MEET", "127.0.0.1", Integer.toString(n.port()));
        String id = n.cli("CLUSTER", "MYID");
        for (RedisServer other : nodes()) {
            if (other.isAlive()) {
                await(() -> other.cli("CLUSTER", "NODES").contains(id), "node " + other.port() + " knows the new master " + n.port());
            }
        }
        await(() -> n.cli("CLUSTER", "INFO").contains("cluster_state:ok"), "the new master " + n.port() + " says cluster_state:ok");
        return n;
    }

    /**
     * Moves slots {@code fromSlot..toSlot} with their keys from master {@code from} to master {@code to}, slot by slot as
     * {@code redis-cli --cluster reshard} does (IMPORTING, MIGRATING, GETKEYSINSLOT + MIGRATE, SETSLOT NODE on every master):
     * the keys leave {@code from} by MIGRATE while clients may go on writing (redirected by ASK, then MOVED).
     */
    public void moveSlots(RedisServer from, RedisServer to, int fromSlot, int toSlot) {
        String fromId = from.cli("CLUSTER", "MYID");
        String toId = to.cli("CLUSTER", "MYID");
        for (int slot = fromSlot; slot <= toSlot; slot++) {
            String s = Integer.toString(slot);
            to.cli("CLUSTER", "SETSLOT", s, "IMPORTING", fromId);
            from.cli("CLUSTER", "SETSLOT", s, "MIGRATING", toId);
            while (true) {
                List<String> keys = from.cli("CLUSTER", "GETKEYSINSLOT", s, "100").lines().filter(l -> !l.isEmpty()).toList();
                if (keys.isEmpty()) {
                    break;
                }
                List<String> migrate = new ArrayList<>(List.of("MIGRATE", "127.0.0.1", Integer.toString(to.port()), "", "0", "10000", "KEYS"));
                migrate.addAll(keys);
                String reply = from.cli(migrate.toArray(String[]::new));
                if (!reply.startsWith("OK") && !reply.startsWith("NOKEY")) {
                    throw new StackException("MIGRATE of slot " + s + " failed: " + reply);
                }
            }
            for (RedisServer m : List.of(to, from)) {
                m.cli("CLUSTER", "SETSLOT", s, "NODE", toId);
            }
            for (RedisServer m : masters) {
                if (m != to && m != from && m.isAlive() && m.cli("ROLE").startsWith("master")) {
                    m.cli("CLUSTER", "SETSLOT", s, "NODE", toId);
                }
            }
        }
    }

    private static void await(java.util.function.BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new StackException("the cluster did not form: timed out waiting until " + what);
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new StackException("interrupted", e);
            }
        }
    }

    public List<RedisServer> masters() {
        return List.copyOf(masters);
    }

    public List<RedisServer> replicas() {
        return List.copyOf(replicas);
    }

    public List<RedisServer> nodes() {
        List<RedisServer> all = new ArrayList<>(masters);
        all.addAll(replicas);
        return all;
    }

    /** The node serving a key's slot now (asked with CLUSTER KEYSLOT and CLUSTER NODES' view of the first live node). */
    public RedisServer ownerOf(String key) {
        for (RedisServer n : nodes()) {
            if (n.isAlive() && n.cli("ROLE").startsWith("master")) {
                String slot = n.cli("CLUSTER", "KEYSLOT", key);
                for (RedisServer m : nodes()) {
                    if (m.isAlive() && m.cli("ROLE").startsWith("master")
                            && m.cli("CLUSTER", "COUNTKEYSINSLOT", slot).length() > 0 && servesSlot(m, Integer.parseInt(slot))) {
                        return m;
                    }
                }
            }
        }
        throw new StackException("no live master serves " + key);
    }

    private static boolean servesSlot(RedisServer m, int slot) {
        String myself = m.cli("CLUSTER", "NODES").lines().filter(l -> l.contains("myself")).findFirst().orElse("");
        String[] f = myself.split(" ");
        for (int i = 8; i < f.length; i++) {
            if (!f[i].startsWith("[")) {
                String[] r = f[i].split("-");
                if (slot >= Integer.parseInt(r[0]) && slot <= Integer.parseInt(r[r.length - 1])) {
                    return true;
                }
            }
        }
        return false;
    }

    @Override
    public void close() {
        nodes().forEach(n -> {
            try {
                n.close();
            } catch (RuntimeException ignored) {
                // the others still close
            }
        });
    }
}

package io.dfmigrate.common.redis;

import io.dfmigrate.common.endpoint.RedisEndpoint;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The masters of a Redis Cluster as one of its nodes sees them ({@code CLUSTER NODES}), each with the slots it serves,
 * and the slot of a key. A source given as {@code topology cluster} is read master by master: each with the URI's
 * credentials and TLS settings ({@link RedisEndpoint#atMaster}).
 *
 * @param masters the masters that serve slots, not failed, ordered by their first slot
 * @param ok      the node reports {@code cluster_state:ok}
 */
public record ClusterNodes(List<Master> masters, boolean ok) {
    public static final int SLOTS = 16384;

    /** One master: where it is, its node id and the slot ranges it serves (inclusive). */
    public record Master(RedisEndpoint endpoint, String id, List<int[]> ranges) {
        public int slots() {
            return ranges.stream().mapToInt(r -> r[1] - r[0] + 1).sum();
        }

        public boolean owns(int slot) {
            return ranges.stream().anyMatch(r -> slot >= r[0] && slot <= r[1]);
        }
    }

    /** Asks the node {@code cluster} names (a {@code cluster=yes} endpoint, or any node's) for the cluster's masters. */
    public static ClusterNodes discover(Vertx vertx, RedisEndpoint cluster, Duration timeout) {
        try (BlockingRedis node = BlockingRedis.connect(vertx, cluster, 0, timeout)) {
            Response info = node.send(Request.cmd(Command.CLUSTER).arg("INFO"));
            Response nodes = node.send(Request.cmd(Command.CLUSTER).arg("NODES"));
            return parse(cluster, info == null ? "" : info.toString(), nodes == null ? "" : nodes.toString());
        }
    }

    /** From {@code CLUSTER INFO} and {@code CLUSTER NODES} as the node {@code seed} answered them. */
    static ClusterNodes parse(RedisEndpoint seed, String clusterInfo, String clusterNodes) {
        List<Master> masters = new ArrayList<>();
        // <id> <ip:port@cport[,hostname]> <flags> <master> <ping-sent> <pong-recv> <epoch> <link-state> <slot> <slot> ...
        for (String line : clusterNodes.split("\r?\n")) {
            String[] f = line.strip().split(" ");
            if (f.length < 8) {
                continue;
            }
            List<String> flags = List.of(f[2].split(","));
            if (!flags.contains("master") || flags.contains("fail") || flags.contains("noaddr")) {
                continue;
            }
            List<int[]> ranges = new ArrayList<>();
            for (int i = 8; i < f.length; i++) {
                if (f[i].startsWith("[")) {
                    continue; // a slot being imported or migrated: still served by its owner
                }
                String[] r = f[i].split("-");
                ranges.add(new int[] {Integer.parseInt(r[0]), Integer.parseInt(r[r.length - 1])});
            }
            if (ranges.isEmpty()) {
                continue; // a master without slots holds no keys
            }
            String address = f[1].split("[@,]")[0];
            int colon = address.lastIndexOf(':');
            String host = colon <= 0 || flags.contains("myself") && address.substring(0, colon).isEmpty() ? seed.host() : address.substring(0, colon);
            int port = Integer.parseInt(address.substring(colon + 1));
            masters.add(new Master(seed.atMaster(host.startsWith("[") ? host.substring(1, host.length() - 1) : host, port), f[0],
                    List.copyOf(ranges)));
        }
        masters.sort(Comparator.comparingInt(m -> m.ranges().stream().mapToInt(r -> r[0]).min().orElse(0)));
        return new ClusterNodes(List.copyOf(masters), clusterInfo.contains("cluster_state:ok"));
    }

    /** Slots that some master serves (16384 when every slot is covered). */
    public int coveredSlots() {
        return masters.stream().mapToInt(Master::slots).sum();
    }

    /** The master serving {@code slot}, or null when none does. */
    public Master ownerOf(int slot) {
        for (Master m : masters) {
            if (m.owns(slot)) {
                return m;
            }
        }
        return null;
    }

    /** The hash slot of a key, as Redis Cluster computes it: CRC16 of the key, or of its first non-empty {@code {tag}}, mod 16384. */
    public static int slot(byte[] key) {
        int from = 0;
        int to = key.length;
        for (int open = 0; open < key.length; open++) {
            if (key[open] == '{') {
                for (int close = open + 1; close < key.length; close++) {
                    if (key[close] == '}') {
                        if (close > open + 1) {
                            from = open + 1;
                            to = close;
                        }
                        break;
                    }
                }
                break;
            }
        }
        return crc16(key, from, to) & (SLOTS - 1);
    }

    /** CRC16-CCITT (XMODEM: polynomial 0x1021, initial 0), as in Redis' crc16.c. */
    static int crc16(byte[] bytes, int from, int to) {
        int crc = 0;
        for (int i = from; i < to; i++) {
            crc ^= (bytes[i] & 0xff) << 8;
            for (int bit = 0; bit < 8; bit++) {
                crc = (crc & 0x8000) != 0 ? (crc << 1) ^ 0x1021 : crc << 1;
            }
            crc &= 0xffff;
        }
        return crc;
    }
}

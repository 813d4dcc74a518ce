package io.dfmigrate.common.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dfmigrate.common.endpoint.RedisEndpoint;
import io.dfmigrate.localstack.RedisCluster;
import io.dfmigrate.localstack.RedisServer;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** A real cluster of 3 masters and 3 replicas: its masters as one node sees them, and key slots as Redis computes them. */
class ClusterNodesTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final Vertx VERTX = Vertx.vertx();

    @AfterAll
    static void close() {
        VERTX.close();
    }

    @Test
    void theMastersAndTheirSlotsAreFoundFromAnyNodeAndEveryKeysSlotIsRedisOwn() {
        try (RedisCluster cluster = RedisCluster.start(3, 1)) {
            checkCluster(cluster);
        }
    }

    /** The same against a cluster of Valkey 8.1 (Debian trixie, DESIGN §9), copied into a Redis 7.0 target. */
    @Test
    void valkey81() {
        try (RedisCluster cluster = RedisCluster.start(3, 1, args -> RedisServer.startTrixie("valkey-server", args))) {
            checkCluster(cluster);
        }
    }

    private static void checkCluster(RedisCluster cluster) {
        {
            for (RedisServer seed : List.of(cluster.masters().get(1), cluster.replicas().get(0))) {
                RedisEndpoint given = RedisEndpoint.parse("redis://127.0.0.1:" + seed.port()).asCluster();
                ClusterNodes nodes = ClusterNodes.discover(VERTX, given, TIMEOUT);
                assertTrue(nodes.ok());
                assertEquals(3, nodes.masters().size(), nodes.toString());
                assertEquals(ClusterNodes.SLOTS, nodes.coveredSlots());
                assertEquals(cluster.masters().stream().map(RedisServer::port).collect(Collectors.toSet()),
                        nodes.masters().stream().map(m -> m.endpoint().port()).collect(Collectors.toSet()), "the masters, not the replicas");
                assertEquals(cluster.masters().get(0).port(), nodes.masters().get(0).endpoint().port(), "ordered by first slot");
                nodes.masters().forEach(m -> assertTrue(!m.endpoint().cluster() && m.endpoint().sentinelMaster() == null, m.toString()));
            }

            ClusterNodes nodes = ClusterNodes.discover(VERTX, RedisEndpoint.parse(cluster.masters().get(0).uri()).asCluster(), TIMEOUT);
            RedisServer any = cluster.masters().get(0);
            Random rnd = new Random(11);
            List<byte[]> keys = new java.util.ArrayList<>(List.of("user:1".getBytes(StandardCharsets.UTF_8),
                    "{user:1}:cart".getBytes(StandardCharsets.UTF_8), "{}x".getBytes(StandardCharsets.UTF_8),
                    "a{}{b}".getBytes(StandardCharsets.UTF_8), "x{".getBytes(StandardCharsets.UTF_8), new byte[0]));
            for (int i = 0; i < 300; i++) {
                byte[] k = new byte[1 + rnd.nextInt(24)];
                rnd.nextBytes(k);
                keys.add(k);
            }
            try (BlockingRedis r = BlockingRedis.connect(VERTX, RedisEndpoint.parse(any.uri()), 0, TIMEOUT)) {
                for (byte[] k : keys) {
                    int expected = r.send(Request.cmd(Command.CLUSTER).arg("KEYSLOT").arg(Buffer.buffer(k))).toInteger();
                    assertEquals(expected, ClusterNodes.slot(k), "slot of " + java.util.HexFormat.of().formatHex(k));
                    assertNotNull(nodes.ownerOf(expected));
                }
            }
            Set<Integer> owners = keys.stream().map(k -> nodes.ownerOf(ClusterNodes.slot(k)).endpoint().port()).collect(Collectors.toSet());
            assertEquals(3, owners.size(), "keys spread over every master");
            String key = "user:42";
            assertEquals(cluster.ownerOf(key).port(), nodes.ownerOf(ClusterNodes.slot(key.getBytes(StandardCharsets.UTF_8))).endpoint().port());

            // a master's keys of many slots are read with one script call per 1,000 (keys as ARGV after one CROSSSLOT), not per key
            RedisServer first = cluster.masters().get(0);
            List<byte[]> mine = new java.util.ArrayList<>();
            for (int i = 0; mine.size() < 3000; i++) {
                byte[] k = ("k:" + i).getBytes(StandardCharsets.UTF_8);
                if (nodes.ownerOf(ClusterNodes.slot(k)).endpoint().port() == first.port()) {
                    mine.add(k);
                }
            }
            try (RedisServer target = RedisServer.start();
                 BlockingRedis s = BlockingRedis.connect(VERTX, RedisEndpoint.parse(first.uri()), 0, TIMEOUT);
                 BlockingRedis t = BlockingRedis.connect(VERTX, RedisEndpoint.parse(target.uri()), 0, TIMEOUT)) {
                s.pipeline(mine.stream().map(k -> Request.cmd(Command.SET).arg(Buffer.buffer(k)).arg("v").arg("PX").arg(3_600_000)).toList());
                first.cli("CONFIG", "RESETSTAT");
                KeySync.Result r = new KeySync(s, t).sync(mine);
                assertEquals(3000, r.written(), r.toString());
                assertEquals("3000", target.cli("DBSIZE"));
                assertTrue(Long.parseLong(target.cli("PTTL", new String(mine.get(7), StandardCharsets.UTF_8))) > 3_500_000);
                String stats = first.cli("INFO", "commandstats");
                assertTrue(stats.matches("(?s).*cmdstat_eval(sha)?_ro:calls=[1-9].*"), stats);
                long dumps = Long.parseLong(stats.replaceAll("(?s).*cmdstat_dump:calls=(\\d+).*", "$1"));
                assertEquals(3000, dumps, "each key dumped once, inside the script calls: " + stats);
                assertTrue(stats.contains("cmdstat_eval_ro:calls=3,") || stats.contains("cmdstat_evalsha_ro:calls=9,"),
                        "3 script calls read the 3,000 keys: " + stats);
            }
        }
    }
}

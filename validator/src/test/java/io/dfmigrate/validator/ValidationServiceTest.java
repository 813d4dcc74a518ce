package io.dfmigrate.validator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dfmigrate.common.endpoint.RedisEndpoint;
import io.dfmigrate.common.event.MigrationOptions;
import io.dfmigrate.common.event.Severity;
import io.dfmigrate.common.event.ValidationCheck;
import io.dfmigrate.localstack.Ports;
import io.dfmigrate.localstack.RedisCluster;
import io.dfmigrate.localstack.RedisServer;
import io.dfmigrate.validator.service.ValidationService;
import io.vertx.core.Vertx;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import io.dfmigrate.common.redis.BlockingRedis;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.concurrent.atomic.AtomicBoolean;

/** Each check against real redis-server processes set up to trigger it. */
class ValidationServiceTest {
    static Vertx vertx;
    static ValidationService service;

    @BeforeAll
    static void setUp() {
        vertx = Vertx.vertx();
        service = new ValidationService(vertx, TestConfig.defaults());
    }

    @AfterAll
    static void tearDown() {
        vertx.close();
    }

    static RedisEndpoint ep(String uri) {
        return RedisEndpoint.parse(uri);
    }

    static Optional<ValidationCheck> check(List<ValidationCheck> checks, String id) {
        return checks.stream().filter(c -> c.id().equals(id)).findFirst();
    }

    static MigrationOptions overwrite() {
        return new MigrationOptions(true, null, null, null, null, null, null, null);
    }

    @Test
    void healthyPairHasNoErrorAndIsQuick() {
        try (RedisServer source = RedisServer.start(); RedisServer target = RedisServer.start()) {
            source.cli("SET", "a", "1");
            source.cli("-n", "2", "SET", "b", "2");
            source.cli("CONFIG", "SET", "notify-keyspace-events", "KEA");
            long t0 = System.nanoTime();
            List<ValidationCheck> checks = service.validate(ep(source.uri()), ep(target.uri()), MigrationOptions.DEFAULTS);
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(checks.stream().noneMatch(c -> c.severity() == Severity.ERROR), checks.toString());
            assertTrue(check(checks, "identity.source").orElseThrow().message().contains("2 key(s) in 2 database(s)"), checks.toString());
            assertTrue(check(checks, "identity.target").orElseThrow().message().contains("Redis 7"), checks.toString());
            assertTrue(ms < 5000, "took " + ms + " ms");
            var guard = check(checks, "guard.target").orElseThrow();
            assertEquals(Severity.INFO, guard.severity());
            assertTrue(guard.message().contains("by user(s) default will be refused"), guard.message());
        }
    }

    @Test
    void unreachableAndSilentEndpointsAreErrorsWithinTheTimeout() throws Exception {
        int closedPort = Ports.free();
        // accepts TCP connections but never answers: a hung server
        try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            long t0 = System.nanoTime();
            List<ValidationCheck> checks = service.validate(ep("redis://127.0.0.1:" + closedPort),
                    ep("redis://127.0.0.1:" + silent.getLocalPort()), MigrationOptions.DEFAULTS);
            long ms = (System.nanoTime() - t0) / 1_000_000;
            ValidationCheck src = check(checks, "connectivity.source").orElseThrow();
            ValidationCheck tgt = check(checks, "connectivity.target").orElseThrow();
            assertEquals(Severity.ERROR, src.severity());
            assertTrue(src.message().contains("127.0.0.1:" + closedPort), src.message());
            assertTrue(src.remediation().contains("nothing listens"), src.remediation());
            assertEquals(Severity.ERROR, tgt.severity());
            assertTrue(tgt.message().contains("timed out"), tgt.message());
            assertTrue(ms < 10_000, "took " + ms + " ms");
        }
    }

    @Test
    void snapshotCopyNeedsAUserThatMayPsyncAndASourceWhoseRdbTheReaderParses() {
        MigrationOptions snapshot = new MigrationOptions(null, null, null, null, null, null, null, null, MigrationOptions.COPY_SNAPSHOT);
        try (RedisServer source = RedisServer.start(); RedisServer target = RedisServer.start()) {
            source.cli("SET", "a", "1");
            source.cli("ACL", "SETUSER", "reader", "on", ">pw", "~*", "&*", "+@all", "-psync", "-sync");
            List<ValidationCheck> denied = service.validate(ep("redis://reader:pw@127.0.0.1:" + source.port()), ep(target.uri()), snapshot);
            ValidationCheck c = check(denied, "copy.snapshot").orElseThrow();
            assertEquals(Severity.ERROR, c.severity(), c.toString());
            assertTrue(c.message().contains("psync"), c.message());
            assertTrue(c.remediation().contains("ACL SETUSER reader +psync +replconf"), c.remediation());
            assertTrue(check(denied, "copy.read").isEmpty(), "the read script is not what this copy uses");
            // copyMode auto: the same finding is no error, the copy will scan (and says how to get the snapshot)
            MigrationOptions auto = new MigrationOptions(null, null, null, null, null, null, null, null, MigrationOptions.COPY_AUTO);
            List<ValidationCheck> autoDenied = service.validate(ep("redis://reader:pw@127.0.0.1:" + source.port()), ep(target.uri()), auto);
            ValidationCheck scan = check(autoDenied, "copy.mode").orElseThrow();
            assertEquals(Severity.INFO, scan.severity(), scan.toString());
            assertTrue(scan.message().contains("will scan") && scan.message().contains("PSYNC"), scan.message());
            assertTrue(scan.remediation().contains("ACL SETUSER reader +psync +replconf"), scan.remediation());
            assertTrue(check(autoDenied, "copy.snapshot").isEmpty() && check(autoDenied, "copy.read").isPresent(), autoDenied.toString());
            MigrationOptions autoWithPattern = new MigrationOptions(null, null, "user:*", null, null, null, null, null, MigrationOptions.COPY_AUTO);
            ValidationCheck patterned = check(service.validate(ep(source.uri()), ep(target.uri()), autoWithPattern), "copy.mode").orElseThrow();
            assertTrue(patterned.message().contains("will scan") && patterned.message().contains("keyPattern 'user:*'"), patterned.message());

            source.cli("ACL", "SETUSER", "reader", "+psync");
            List<ValidationCheck> allowed = service.validate(ep("redis://reader:pw@127.0.0.1:" + source.port()), ep(target.uri()), snapshot);
            ValidationCheck ok = check(allowed, "copy.snapshot").orElseThrow();
            assertEquals(Severity.INFO, ok.severity(), ok.toString());
            assertTrue(ok.message().contains("forks once") && ok.message().contains("limit 268435456 67108864 60"), ok.message());
            assertTrue(check(service.validate(ep(source.uri()), ep(target.uri()), MigrationOptions.DEFAULTS), "copy.snapshot").isEmpty());
            List<ValidationCheck> autoAllowed = service.validate(ep("redis://reader:pw@127.0.0.1:" + source.port()), ep(target.uri()), auto);
            ValidationCheck snapshotChosen = check(autoAllowed, "copy.mode").orElseThrow();
            assertTrue(snapshotChosen.message().contains("will read the source's RDB snapshot"), snapshotChosen.message());
            assertEquals(Severity.INFO, check(autoAllowed, "copy.snapshot").orElseThrow().severity(), "its cost is reported as for snapshot");
        }
        // Redis 8.0 writes RDB 12, which the reader parses (SnapshotReaderTest)
        try (RedisServer source = RedisServer.startTrixie("redis-server"); RedisServer target = RedisServer.start()) {
            ValidationCheck redis80 = check(service.validate(ep(source.uri()), ep(target.uri()), snapshot), "copy.snapshot").orElseThrow();
            assertEquals(Severity.INFO, redis80.severity(), redis80.toString());
        }
    }

    @Test
    void wrongPasswordIsNamed() {
        try (RedisServer source = RedisServer.start("--requirepass", "right"); RedisServer target = RedisServer.start()) {
            List<ValidationCheck> checks = service.validate(ep("redis://:wrong@127.0.0.1:" + source.port()), ep(target.uri()),
                    MigrationOptions.DEFAULTS);
            ValidationCheck c = check(checks, "connectivity.source").orElseThrow();
            assertEquals(Severity.ERROR, c.severity());
            assertTrue(c.remediation().contains("password"), c.toString());
            assertTrue(!c.message().contains("wrong") || c.message().contains("WRONGPASS"), "password not echoed: " + c.message());
            List<ValidationCheck> ok = service.validate(ep("redis://:right@127.0.0.1:" + source.port()), ep(target.uri()),
                    MigrationOptions.DEFAULTS);
            assertEquals(Severity.INFO, check(ok, "connectivity.source").orElseThrow().severity(), ok.toString());
        }
    }

    @Test
    void nonEmptyTargetIsAnErrorUnlessOverwrite() {
        try (RedisServer source = RedisServer.start(); RedisServer target = RedisServer.start()) {
            source.cli("SET", "a", "1");
            target.cli("-n", "1", "SET", "old", "x");
            List<ValidationCheck> strict = service.validate(ep(source.uri()), ep(target.uri()), MigrationOptions.DEFAULTS);
            ValidationCheck c = check(strict, "target.not-empty").orElseThrow();
            assertEquals(Severity.ERROR, c.severity());
            assertTrue(c.message().contains("db1=1"), c.message());
            assertTrue(c.remediation().contains("options.overwrite"), c.remediation());
            List<ValidationCheck> lenient = service.validate(ep(source.uri()), ep(target.uri()), overwrite());
            assertEquals(Severity.WARNING, check(lenient, "target.not-empty").orElseThrow().severity());
        }
    }

    @Test
    void targetWithTooFewDatabasesOrInReplicaRoleIsAnError() {
        try (RedisServer source = RedisServer.start(); RedisServer target = RedisServer.start("--databases", "2")) {
            source.cli("-n", "5", "SET", "a", "1");
            List<ValidationCheck> checks = service.validate(ep(source.uri()), ep(target.uri()), MigrationOptions.DEFAULTS);
            ValidationCheck db = check(checks, "databases").orElseThrow();
            assertEquals(Severity.ERROR, db.severity());
            assertTrue(db.message().contains("[5]") && db.message().contains("only 2"), db.message());
            source.cli("-n", "5", "FLUSHDB"); // a 2-database replica cannot load db 5: it would exit
            target.cli("REPLICAOF", "127.0.0.1", Integer.toString(source.port()));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos(); // probed after its sync (not while loading)
            while (!target.cli("INFO", "replication").contains("master_link_status:up") && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            List<ValidationCheck> replica = service.validate(ep(source.uri()), ep(target.uri()), MigrationOptions.DEFAULTS);
            assertEquals(Severity.ERROR, check(replica, "role.target").orElseThrow().severity(), replica.toString());
        }
    }

    @Test
    void aSourceThatIsAReplicaIsAnErrorNamingItsPrimary() {
        try (RedisServer primary = RedisServer.start(); RedisServer replica = RedisServer.start(); RedisServer target = RedisServer.start()) {
            primary.cli("SET", "a", "1");
            primary.cli("CONFIG", "SET", "notify-keyspace-events", "KEA");
            replica.cli("CONFIG", "SET", "notify-keyspace-events", "KEA");
            List<ValidationCheck> before = service.validate(ep(replica.uri()), ep(target.uri()), MigrationOptions.DEFAULTS);
            assertTrue(check(before, "role.source").isEmpty(), "a primary is a fine source: " + before);
            replica.cli("REPLICAOF", "127.0.0.1", Integer.toString(primary.port()));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (!replica.cli("INFO", "replication").contains("master_link_status:up") && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            List<ValidationCheck> checks = service.validate(ep(replica.uri()), ep(target.uri()), MigrationOptions.DEFAULTS);
            ValidationCheck role = check(checks, "role.source").orElseThrow(() -> new AssertionError(checks.toString()));
            assertEquals(Severity.ERROR, role.severity());
            assertTrue(role.message().contains("127.0.0.1:" + primary.port()), role.message());
            assertTrue(role.remediation().contains("point the source URI at the primary 127.0.0.1:" + primary.port()), role.remediation());
        }
    }

    @Test
    void aSourceThatIsOneNodeOfAClusterIsWarnedAboutNamingTheOtherMasters() {
        try (RedisServer a = RedisServer.start("--cluster-enabled", "yes"); RedisServer b = RedisServer.start("--cluster-enabled", "yes");
             RedisServer target = RedisServer.start()) {
            List<ValidationCheck> alone = service.validate(ep(target.uri()), ep(target.uri()), MigrationOptions.DEFAULTS);
            assertTrue(check(alone, "topology.source.cluster").isEmpty(), "a standalone server: " + alone);
            a.cli("CLUSTER", "ADDSLOTSRANGE", "0", "5460");
            b.cli("CLUSTER", "ADDSLOTSRANGE", "5461", "16383");
            a.cli("CLUSTER", "MEET", "127.0.0.1", Integer.toString(b.port()));
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (!a.cli("CLUSTER", "INFO").contains("cluster_state:ok") && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            assertTrue(a.cli("CLUSTER", "INFO").contains("cluster_state:ok"), a.cli("CLUSTER", "INFO"));
            List<ValidationCheck> checks = service.validate(ep(a.uri()), ep(target.uri()), MigrationOptions.DEFAULTS);
            ValidationCheck c = check(checks, "topology.source.cluster").orElseThrow(() -> new AssertionError(checks.toString()));
            assertEquals(Severity.WARNING, c.severity());
            assertTrue(c.message().contains("serves 5461 of the 16384 slots"), c.message());
            assertTrue(c.message().contains("1 other master(s) (127.0.0.1:" + b.port() + ")"), c.message());
            assertTrue(c.remediation().contains("migrate each master into the same target"), c.remediation());
        }
    }

    @Test
    void aClusterSourceIsCheckedMasterByMaster() {
        try (RedisCluster cluster = RedisCluster.start(3, 1); RedisServer target = RedisServer.start()) {
            cluster.masters().get(2).cli("CONFIG", "SET", "notify-keyspace-events", "KEA");
            RedisEndpoint viaReplica = ep(cluster.replicas().get(0).uri()).asCluster(); // any node names the masters
            List<ValidationCheck> checks = service.validate(viaReplica, ep(target.uri()), MigrationOptions.DEFAULTS);
            ValidationCheck t = check(checks, "topology.source").orElseThrow(() -> new AssertionError(checks.toString()));
            assertEquals(Severity.INFO, t.severity());
            assertTrue(t.message().contains("Redis Cluster of 3 master(s)"), t.message());
            for (RedisServer m : cluster.masters()) {
                assertTrue(t.message().contains("127.0.0.1:" + m.port()), t.message());
            }
            assertTrue(check(checks, "role.source").isEmpty(), "the node the URI names may be a replica: " + checks);
            assertTrue(check(checks, "topology.source.cluster").isEmpty(), checks.toString());
            List<ValidationCheck> notify = checks.stream().filter(c -> c.id().equals("capture.notifications.cluster")).toList();
            assertEquals(2, notify.size(), "the two masters without notifications are named: " + checks);
            assertTrue(notify.stream().noneMatch(c -> c.message().contains(":" + cluster.masters().get(2).port() + " ")), notify.toString());

            MigrationOptions wrong = new MigrationOptions(null, List.of(1), null, null, null, null, null, null, "snapshot");
            List<ValidationCheck> refused = service.validate(viaReplica, ep(target.uri()), wrong);
            assertEquals(Severity.ERROR, check(refused, "options.dbs").orElseThrow().severity());
            ValidationCheck snapshotOfACluster = check(refused, "copy.snapshot").orElseThrow();
            assertEquals(Severity.ERROR, snapshotOfACluster.severity());
            assertTrue(snapshotOfACluster.message().contains("cluster"), snapshotOfACluster.message());
            MigrationOptions auto = new MigrationOptions(null, null, null, null, null, null, null, null, MigrationOptions.COPY_AUTO);
            ValidationCheck scans = check(service.validate(viaReplica, ep(target.uri()), auto), "copy.mode").orElseThrow();
            assertEquals(Severity.INFO, scans.severity());
            assertTrue(scans.message().contains("will scan") && scans.message().contains("cluster"), scans.message());

            cluster.replicas().get(1).kill(); // master 1's replica, then master 1: its slots stay unserved
            cluster.masters().get(1).kill();
            RedisEndpoint viaFirst = ep(cluster.masters().get(0).uri()).asCluster();
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            List<ValidationCheck> broken;
            do {
                broken = service.validate(viaFirst, ep(target.uri()), MigrationOptions.DEFAULTS);
            } while (check(broken, "connectivity.source.cluster").isEmpty() && check(broken, "topology.source.slots").isEmpty()
                    && System.nanoTime() < deadline);
            List<ValidationCheck> seen = broken;
            assertTrue(check(seen, "connectivity.source.cluster").isPresent() || check(seen, "topology.source.slots").isPresent(), seen.toString());
        }
    }

    @Test
    void aSourceMonitoredBySentinelIsWarnedAboutFailovers() {
        try (RedisServer source = RedisServer.start(); RedisServer target = RedisServer.start()) {
            source.cli("SET", "a", "1");
            List<ValidationCheck> before = service.validate(ep(source.uri()), ep(target.uri()), MigrationOptions.DEFAULTS);
            assertTrue(check(before, "topology.source.sentinel").isEmpty(), "no sentinel yet: " + before);
            try (RedisServer sentinel = RedisServer.startSentinel("app", source, 1)) {
                long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                while (!source.cli("PUBSUB", "NUMSUB", "__sentinel__:hello").endsWith("1") && System.nanoTime() < deadline) {
                    Thread.onSpinWait();
                }
                assertTrue(sentinel.cli("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "app").contains(Integer.toString(source.port())));
                List<ValidationCheck> checks = service.validate(ep(source.uri()), ep(target.uri()), MigrationOptions.DEFAULTS);
                ValidationCheck c = check(checks, "topology.source.sentinel").orElseThrow(() -> new AssertionError(checks.toString()));
                assertEquals(Severity.WARNING, c.severity());
                assertTrue(c.message().contains("monitored by 1 Sentinel(s)"), c.message());
                assertTrue(c.remediation().contains("SENTINEL GET-MASTER-ADDR-BY-NAME"), c.remediation());
                assertTrue(c.remediation().contains("topology sentinel"), c.remediation());

                // given as topology sentinel: the Sentinel names the master, which is checked; no warning, the master named
                RedisEndpoint viaSentinel = ep(sentinel.uri()).viaSentinel("app", null, null);
                List<ValidationCheck> followed = service.validate(viaSentinel, ep(target.uri()), MigrationOptions.DEFAULTS);
                assertTrue(check(followed, "topology.source.sentinel").isEmpty(), followed.toString());
                ValidationCheck t = check(followed, "topology.source").orElseThrow(() -> new AssertionError(followed.toString()));
                assertEquals(Severity.INFO, t.severity());
                assertTrue(t.message().contains("master 'app' of Sentinel 127.0.0.1:" + sentinel.port() + ", now 127.0.0.1:" + source.port()),
                        t.message());
                assertTrue(check(followed, "connectivity.source").orElseThrow().message().contains("127.0.0.1:" + source.port()));
                assertTrue(check(followed, "identity.source").orElseThrow().message().contains("1 key(s)"));

                List<ValidationCheck> unknown = service.validate(ep(sentinel.uri()).viaSentinel("other", null, null), ep(target.uri()),
                        MigrationOptions.DEFAULTS);
                ValidationCheck u = check(unknown, "connectivity.source").orElseThrow(() -> new AssertionError(unknown.toString()));
                assertEquals(Severity.ERROR, u.severity(), u.toString());
                assertTrue(u.message().contains("monitors no master named 'other'"), u.message());
            }
        }
    }

    @Test
    void theSourcesWriteRateIsMeasuredAndABusySourceIsWarnedAbout() throws Exception {
        try (RedisServer source = RedisServer.start(); RedisServer target = RedisServer.start()) {
            source.cli("CONFIG", "SET", "notify-keyspace-events", "KEA");
            List<ValidationCheck> idle = service.validate(ep(source.uri()), ep(target.uri()), MigrationOptions.DEFAULTS);
            ValidationCheck quiet = check(idle, "capture.rate").orElseThrow();
            assertEquals(Severity.INFO, quiet.severity(), quiet.toString());
            assertTrue(quiet.message().contains("about 0 writes/s"), quiet.message());

            // a writer of about 2,000+ writes/s against a capture capacity set to 500/s
            AtomicBoolean writing = new AtomicBoolean(true);
            Thread writer = Thread.ofVirtual().start(() -> {
                try (var r = BlockingRedis.connect(vertx, ep(source.uri()), 0, Duration.ofSeconds(5))) {
                    for (int i = 0; writing.get(); i++) {
                        List<Request> batch = new ArrayList<>();
                        for (int n = 0; n < 50; n++) {
                            batch.add(Request.cmd(Command.SET).arg("k" + (i * 50 + n)).arg("v"));
                        }
                        r.pipeline(batch);
                        Thread.sleep(5);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            try {
                ValidationService busy = new ValidationService(vertx, TestConfig.defaults().withCaptureCapacity(500));
                List<ValidationCheck> checks = busy.validate(ep(source.uri()), ep(target.uri()), MigrationOptions.DEFAULTS);
                ValidationCheck rate = check(checks, "capture.rate").orElseThrow();
                assertEquals(Severity.WARNING, rate.severity(), rate.toString());
                long measured = Long.parseLong(rate.message().replaceAll(".*about (\\d+) writes/s.*", "$1"));
                assertTrue(measured > 500, rate.message());
                assertTrue(rate.remediation().contains("client-output-buffer-limit"), rate.remediation());
            } finally {
                writing.set(false);
                writer.join();
            }
        }
    }
}

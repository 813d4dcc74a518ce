package io.dfmigrate.validator;

import io.dfmigrate.common.endpoint.EndpointPolicy;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dfmigrate.common.endpoint.RedisEndpoint;
import io.dfmigrate.common.event.MigrationOptions;
import io.dfmigrate.common.endpoint.EndpointPolicy;
import io.dfmigrate.common.event.Severity;
import io.dfmigrate.common.event.ValidationCheck;
import io.dfmigrate.localstack.Ports;
import io.dfmigrate.localstack.RedisServer;
import io.dfmigrate.localstack.TlsFiles;
import io.dfmigrate.validator.service.ValidationService;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import java.util.ArrayList;

/** The checks of docs/validation.md, each against real redis-server processes set up to trigger it. */
class DataAndCompatibilityChecksTest {
    static Vertx vertx;

    @BeforeAll
    static void setUp() {
        vertx = Vertx.vertx();
    }

    @AfterAll
    static void tearDown() {
        vertx.close();
    }

    static List<ValidationCheck> validate(TestConfig config, String source, String target, MigrationOptions options) {
        return new ValidationService(vertx, config).validate(RedisEndpoint.parse(source), RedisEndpoint.parse(target), options);
    }

    static List<ValidationCheck> validate(String source, String target, MigrationOptions options) {
        return validate(TestConfig.defaults(), source, target, options);
    }

    static ValidationCheck check(List<ValidationCheck> checks, String id) {
        return checks.stream().filter(c -> c.id().equals(id)).findFirst()
                .orElseThrow(() -> new AssertionError("no check " + id + " in " + checks));
    }

    static boolean has(List<ValidationCheck> checks, String id) {
        return checks.stream().anyMatch(c -> c.id().equals(id));
    }

    static MigrationOptions options(String profile, Boolean configureNotifications) {
        return new MigrationOptions(null, null, null, profile, configureNotifications, null, null, null);
    }

    static final MigrationOptions DRAGONFLY = options("dragonfly", null);

    @Test
    void tlsWithTheServersCaWorksAndWithoutItNamesTheCause() throws Exception {
        TlsFiles tls = TlsFiles.create("localhost", "DNS:localhost,IP:127.0.0.1");
        int tlsPort = Ports.free();
        try (RedisServer source = RedisServer.start(tls.redisArgs(tlsPort)); RedisServer target = RedisServer.start()) {
            source.cli("SET", "k", "v");
            // ?ca= files are read only from the CA directory (DFM_CA_DIR): elsewhere the same file is refused
            List<ValidationCheck> outside = validate("rediss://127.0.0.1:" + tlsPort + "?ca=" + tls.ca(), target.uri(), null);
            assertEquals(Severity.ERROR, check(outside, "connectivity.source").severity(), outside.toString());
            assertTrue(check(outside, "connectivity.source").message().contains("DFM_CA_DIR"), outside.toString());
            EndpointPolicy withoutCaDir = EndpointPolicy.current();
            EndpointPolicy.install(withoutCaDir.withCaDirectory(tls.dir()));
            List<ValidationCheck> ok;
            try {
                ok = validate("rediss://127.0.0.1:" + tlsPort + "?ca=" + tls.ca(), target.uri(), null);
            } finally {
                EndpointPolicy.install(withoutCaDir);
            }
            ValidationCheck c = check(ok, "connectivity.source");
            assertEquals(Severity.INFO, c.severity(), ok.toString());
            assertTrue(c.message().contains("over TLS"), c.message());

            List<ValidationCheck> untrusted = validate("rediss://127.0.0.1:" + tlsPort, target.uri(), null);
            ValidationCheck bad = check(untrusted, "connectivity.source");
            assertEquals(Severity.ERROR, bad.severity());
            assertTrue(bad.remediation().contains("caPem"), bad.toString());

            // the CA as PEM content, sealed with the URI: no file on any worker
            String pem = tls.caPem();
            ValidationCheck byContent = check(validate(RedisEndpoint.parse("rediss://localhost:" + tlsPort).withCaPem(pem).toUri(),
                    target.uri(), null), "connectivity.source");
            assertEquals(Severity.INFO, byContent.severity(), byContent.toString());

            // without certificate checks only when the operator allows it (DFM_ALLOW_INSECURE_TLS)
            ValidationCheck refused = check(validate("rediss://127.0.0.1:" + tlsPort + "?verify=none", target.uri(), null),
                    "connectivity.source");
            assertEquals(Severity.ERROR, refused.severity());
            assertTrue(refused.message().contains("DFM_ALLOW_INSECURE_TLS"), refused.message());
            EndpointPolicy policy = EndpointPolicy.current();
            EndpointPolicy.install(policy.withInsecureTls(true));
            try {
                assertEquals(Severity.INFO, check(validate("rediss://127.0.0.1:" + tlsPort + "?verify=none", target.uri(), null),
                        "connectivity.source").severity());
            } finally {
                EndpointPolicy.install(policy);
            }
            ValidationCheck plainOnTls = check(validate("redis://127.0.0.1:" + tlsPort, target.uri(), null), "connectivity.source");
            assertEquals(Severity.ERROR, plainOnTls.severity());
        }
    }

    @Test
    void unknownAclUserIsNamed() {
        try (RedisServer source = RedisServer.start(); RedisServer target = RedisServer.start()) {
            ValidationCheck c = check(validate("redis://nobody:pw@127.0.0.1:" + source.port(), target.uri(), null), "connectivity.source");
            assertEquals(Severity.ERROR, c.severity());
            assertTrue(c.remediation().contains("user or password"), c.toString());
            assertFalse(c.message().contains(":pw"), c.message());
        }
    }

    @Test
    void clusterModeTargetCannotTakeKeysOutsideDatabaseZero() {
        try (RedisServer source = RedisServer.start(); RedisServer target = RedisServer.start("--cluster-enabled", "yes")) {
            source.cli("-n", "2", "SET", "k", "v");
            ValidationCheck c = check(validate(source.uri(), target.uri(), null), "databases.cluster");
            assertEquals(Severity.ERROR, c.severity());
            assertTrue(c.message().contains("[2]"), c.message());
        }
    }

    @Test
    void targetMaxmemoryBelowTheSourcesDataIsAnError() {
        try (RedisServer source = RedisServer.start(); RedisServer target = RedisServer.start("--maxmemory", "3mb")) {
            source.cli("DEBUG", "POPULATE", "50000", "k", "100");
            ValidationCheck c = check(validate(source.uri(), target.uri(), null), "memory");
            assertEquals(Severity.ERROR, c.severity(), c.toString());
            assertTrue(c.remediation().contains("maxmemory"), c.toString());
        }
    }

    @Test
    void functionLibrariesAreReportedWithTheRightAdvice() {
        try (RedisServer source = RedisServer.start(); RedisServer target = RedisServer.start()) {
            source.cli("FUNCTION", "LOAD", "#!lua name=billing\nredis.register_function('total', function(keys, args) return 1 end)");
            ValidationCheck forRedis = check(validate(source.uri(), target.uri(), null), "functions");
            assertEquals(Severity.WARNING, forRedis.severity());
            assertTrue(forRedis.message().contains("billing"), forRedis.message());
            assertTrue(forRedis.remediation().contains("FUNCTION LOAD"), forRedis.remediation());
            assertTrue(check(validate(source.uri(), target.uri(), DRAGONFLY), "functions").remediation().contains("EVAL"));
        }
    }

    @Test
    void dragonflyLimitsNameTheKeys() {
        try (RedisServer source = RedisServer.start(); RedisServer target = RedisServer.start()) {
            source.cli("SET", "forever-ish", "v", "EX", "300000000");
            source.cli("SET", "huge", "x".repeat(3000));
            source.cli("SET", "fine", "v", "EX", "3600");
            TestConfig config = TestConfig.defaults().withMaxStringBytes(2000);
            List<ValidationCheck> checks = validate(config, source.uri(), target.uri(), DRAGONFLY);
            ValidationCheck ttl = check(checks, "ttl.too-long");
            assertEquals(Severity.ERROR, ttl.severity());
            assertTrue(ttl.message().contains("'forever-ish'") && !ttl.message().contains("'fine'"), ttl.message());
            ValidationCheck big = check(checks, "strings.too-big");
            assertTrue(big.message().contains("'huge'"), big.message());
            // without the Dragonfly profile a Redis target takes them
            List<ValidationCheck> redis = validate(config, source.uri(), target.uri(), null);
            assertFalse(has(redis, "ttl.too-long") || has(redis, "strings.too-big"), redis.toString());
        }
    }

    @Test
    void copyMethodIsDecidedByARealRestoreProbe() {
        try (RedisServer source = RedisServer.start(); RedisServer target = RedisServer.start();
             RedisServer old = RedisServer.startBinary(RedisServer.redis62Binary(), false)) {
            source.cli("SET", "k", "v");
            source.cli("HSET", "h", "f", "v");
            ValidationCheck same = check(validate(source.uri(), target.uri(), null), "copy.method");
            assertEquals(Severity.INFO, same.severity());
            assertTrue(same.message().contains("RESTORE") && same.message().contains("RDB version 10"), same.message());
            assertEquals("0", target.cli("DBSIZE"), "the probe key is gone");

            ValidationCheck cross = check(validate(source.uri(), "redis://127.0.0.1:" + old.port(), null), "copy.method");
            assertEquals(Severity.INFO, cross.severity(), cross.toString());
            assertTrue(cross.message().contains("payload version") && cross.message().contains("structurally"), cross.message());

            target.cli("ACL", "SETUSER", "loader", "on", ">pw", "~*", "+@all", "-restore");
            ValidationCheck denied = check(validate(source.uri(), "redis://loader:pw@127.0.0.1:" + target.port(), null), "copy.method");
            assertEquals(Severity.ERROR, denied.severity(), denied.toString());
        }
    }

    @Test
    void aSourceThatRefusesScriptsIsReadWithPipelinesAndSaysSo() {
        try (RedisServer source = RedisServer.start(); RedisServer target = RedisServer.start()) {
            source.cli("SET", "k", "v");
            source.cli("ACL", "SETUSER", "noscript", "on", ">pw", "~*", "&*", "+@all", "-@scripting");
            ValidationCheck fast = check(validate(source.uri(), target.uri(), null), "copy.read");
            assertTrue(fast.message().contains("one read-only script call"), fast.message());
            ValidationCheck slow = check(validate("redis://noscript:pw@127.0.0.1:" + source.port(), target.uri(), null), "copy.read");
            assertEquals(Severity.INFO, slow.severity());
            assertTrue(slow.message().contains("NOPERM") && slow.remediation().contains("+@scripting"), slow.toString());
        }
    }

    @Test
    void theWriteGuardNeedsAclRightsOnTheTarget() {
        try (RedisServer source = RedisServer.start(); RedisServer target = RedisServer.start()) {
            source.cli("SET", "k", "v");
            target.cli("ACL", "SETUSER", "app", "on", ">pw", "~*", "+@all");
            target.cli("ACL", "SETUSER", "writer", "on", ">pw", "~*", "+@all", "-@admin");
            ValidationCheck ok = check(validate(source.uri(), target.uri(), null), "guard.target");
            assertEquals(Severity.INFO, ok.severity(), ok.toString());
            assertTrue(ok.message().contains("user(s) app, default, writer will be refused"), ok.message());
            ValidationCheck denied = check(validate(source.uri(), "redis://writer:pw@127.0.0.1:" + target.port(), null), "guard.target");
            assertEquals(Severity.ERROR, denied.severity(), denied.toString());
            assertTrue(denied.message().contains("NOPERM") && denied.remediation().contains("options.guardTarget=false"), denied.toString());
            assertTrue(denied.remediation().contains("+@admin"), denied.remediation());
        }
    }

    @Test
    void changeCapturePlanFollowsTheSourceConfigAndTheOption() {
        try (RedisServer source = RedisServer.start(); RedisServer target = RedisServer.start()) {
            source.cli("SET", "k", "v");
            ValidationCheck off = check(validate(source.uri(), target.uri(), null), "capture.notifications");
            assertEquals(Severity.ERROR, off.severity());
            assertTrue(off.remediation().contains("configureSourceNotifications"), off.remediation());
            ValidationCheck allowed = check(validate(source.uri(), target.uri(), options(null, true)), "capture.notifications");
            assertEquals(Severity.INFO, allowed.severity());
            assertTrue(allowed.message().contains("will set"), allowed.message());

            source.cli("ACL", "SETUSER", "app", "on", ">pw", "~*", "+@all", "-config");
            ValidationCheck denied = check(validate("redis://app:pw@127.0.0.1:" + source.port(), target.uri(), options(null, true)),
                    "capture.notifications");
            assertEquals(Severity.ERROR, denied.severity(), denied.toString());

            source.cli("CONFIG", "SET", "notify-keyspace-events", "KEA");
            assertEquals(Severity.INFO, check(validate(source.uri(), target.uri(), null), "capture.notifications").severity());
            source.cli("CONFIG", "SET", "client-output-buffer-limit", "pubsub 1mb 1mb 60");
            assertEquals(Severity.WARNING, check(validate(source.uri(), target.uri(), null), "capture.buffer").severity());
            // validation never writes to the source
            assertEquals("KEA", source.cli("CONFIG", "GET", "notify-keyspace-events").lines().reduce((a, b) -> b).orElse("")
                    .replaceAll("[^AEK]", "").chars().sorted().collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append)
                    .toString().equals("AEK") ? "KEA" : "changed");
        }
    }

    @Test
    void applicationCommandsTheTargetLacksAreListedWithCounts() throws Exception {
        try (RedisServer source = RedisServer.start(); RedisServer target = RedisServer.start()) {
            source.cli("SET", "k", "v");
            source.cli("OBJECT", "ENCODING", "k");
            source.cli("OBJECT", "ENCODING", "k");
            source.cli("SWAPDB", "0", "1");
            source.cli("SWAPDB", "0", "1");
            source.cli("EVAL", "return redis.call('GET', 'k')", "0");
            Process subscriber = new ProcessBuilder("redis-cli", "-p", Integer.toString(source.port()), "PSUBSCRIBE", "__keyspace@*")
                    .redirectErrorStream(true).start();
            try {
                Thread.sleep(300);
                List<ValidationCheck> checks = validate(source.uri(), target.uri(), DRAGONFLY);
                ValidationCheck commands = check(checks, "compat.commands");
                assertEquals(Severity.WARNING, commands.severity());
                assertTrue(commands.message().contains("OBJECT (2 calls)") && commands.message().contains("SWAPDB (2 calls)"),
                        commands.message());
                assertTrue(check(checks, "compat.lua").message().contains("1 EVAL"), checks.toString());
                assertEquals(Severity.WARNING, check(checks, "compat.keyspace-events").severity());
                List<ValidationCheck> redisTarget = validate(source.uri(), target.uri(), null);
                assertFalse(has(redisTarget, "compat.commands"), "a Redis target supports them");
            } finally {
                subscriber.destroy();
            }
        }
    }

    /**
     * A Redis 8.0 source whose applications use the hash-field TTL family: a Redis 7.0 target has none of it, a Valkey 8.1
     * target not HSETEX/HGETEX (nor HEXPIRE), a Redis 8.0 target all of it; asked of the target itself (COMMAND INFO).
     */
    @Test
    void commandsTheApplicationsCallThatARedisOrValkeyTargetLacksAreListed() {
        try (RedisServer source = RedisServer.startTrixie("redis-server"); RedisServer redis70 = RedisServer.start();
             RedisServer valkey81 = RedisServer.startTrixie("valkey-server"); RedisServer redis80 = RedisServer.startTrixie("redis-server")) {
            source.cli("HSETEX", "h", "EX", "600", "FIELDS", "1", "f", "v");
            source.cli("HSETEX", "h", "EX", "600", "FIELDS", "1", "g", "v");
            source.cli("HEXPIRE", "h", "900", "FIELDS", "1", "f");
            source.cli("HGETEX", "h", "PERSIST", "FIELDS", "1", "g");
            ValidationCheck old = check(validate(source.uri(), redis70.uri(), null), "compat.commands");
            assertEquals(Severity.WARNING, old.severity());
            assertTrue(old.message().contains("HSETEX (2 calls)") && old.message().contains("HEXPIRE (1 calls)")
                    && old.message().contains("HGETEX (1 calls)"), old.message());
            assertFalse(old.message().contains("HSET ") || old.message().contains("CONFIG"), "commands 7.0 has are not listed: " + old.message());
            ValidationCheck valkey = check(validate(source.uri(), valkey81.uri(), null), "compat.commands");
            assertTrue(valkey.message().contains("HSETEX (2 calls)"), valkey.message());
            // a Redis 7.0 source into 6.2: the validator's own FUNCTION LIST on the source is no application's call
            try (RedisServer source70 = RedisServer.start(); RedisServer redis62 = RedisServer.startBinary(RedisServer.redis62Binary(), false)) {
                source70.cli("SET", "k", "v");
                validate(source70.uri(), redis62.uri(), null);
                assertFalse(has(validate(source70.uri(), redis62.uri(), null), "compat.commands"), "nothing the applications called is missing");
                source70.cli("LCS", "k", "k"); // Redis 7.0's LCS; 6.2 has only STRALGO LCS
                assertTrue(check(validate(source70.uri(), redis62.uri(), null), "compat.commands").message().contains("LCS (1 calls)"));
            }
            assertFalse(has(validate(source.uri(), redis80.uri(), null), "compat.commands"), "Redis 8.0 has them all");
        }
    }

    @Test
    void aclUsersAndConfigThatAreNotMigratedAreListed() {
        try (RedisServer source = RedisServer.start(); RedisServer target = RedisServer.start()) {
            source.cli("SET", "k", "v");
            source.cli("ACL", "SETUSER", "billing-app", "on", ">pw", "~*", "+@all");
            source.cli("CONFIG", "SET", "maxmemory-policy", "allkeys-lru");
            List<ValidationCheck> checks = validate(source.uri(), target.uri(), null);
            ValidationCheck acl = check(checks, "not-migrated.acl");
            assertEquals(Severity.WARNING, acl.severity());
            assertTrue(acl.message().contains("billing-app") && !acl.message().contains("default"), acl.message());
            assertTrue(check(checks, "not-migrated.config").message().contains("allkeys-lru"), checks.toString());
            assertFalse(has(checks, "users.plan"));

            // options.migrateUsers: the plan names who comes along at the cutover instead
            MigrationOptions users = new MigrationOptions(null, null, null, null, null, null, null, null, null, true);
            List<ValidationCheck> planned = validate(source.uri(), target.uri(), users);
            ValidationCheck plan = check(planned, "users.plan");
            assertEquals(Severity.INFO, plan.severity(), plan.toString());
            assertTrue(plan.message().contains("user(s) billing-app are created on the target"), plan.message());
            assertFalse(has(planned, "not-migrated.acl"), planned.toString());
            assertFalse(has(planned, "config.plan"));
            // into Dragonfly (here its profile) a user with a password comes only with its password given: the plan says where
            source.cli("ACL", "SETUSER", "report-job", "on", "nopass", "~r:*", "+get");
            MigrationOptions dragonfly = new MigrationOptions(null, null, null, "dragonfly", null, null, null, null, null, true);
            ValidationCheck noHashes = check(validate(source.uri(), target.uri(), dragonfly), "users.plan");
            assertEquals(Severity.WARNING, noHashes.severity(), noHashes.toString());
            assertTrue(noHashes.message().contains("user(s) billing-app are created only with their password given"), noHashes.message());
            assertTrue(noHashes.remediation().contains("PUT /api/migrations/{id}/users/passwords")
                    && noHashes.remediation().contains("users/acl-file"), noHashes.remediation());

            // options.migrateConfig: the plan names each setting the cutover changes, and the functions that come along
            source.cli("FUNCTION", "LOAD", "#!lua name=greetings\nredis.register_function('hello', function() return 'hi' end)");
            MigrationOptions settings = new MigrationOptions(null, null, null, null, null, null, null, null, null, null,
                    io.dfmigrate.common.event.Json.read("true", io.dfmigrate.common.event.ConfigChoice.class));
            List<ValidationCheck> withSettings = validate(source.uri(), target.uri(), settings);
            assertFalse(has(withSettings, "not-migrated.config"), "the plan says it instead");
            ValidationCheck config = check(withSettings, "config.plan");
            assertEquals(Severity.INFO, config.severity(), config.toString());
            assertTrue(config.message().contains("maxmemory-policy 'noeviction' -> 'allkeys-lru'")
                    && config.message().contains("function libraries greetings come along"), config.message());
            MigrationOptions named = new MigrationOptions(null, null, null, null, null, null, null, null, null, null,
                    io.dfmigrate.common.event.Json.read("[\"timeout\",\"no-such-setting\"]", io.dfmigrate.common.event.ConfigChoice.class));
            ValidationCheck lacking = check(validate(source.uri(), target.uri(), named), "config.plan");
            assertEquals(Severity.WARNING, lacking.severity(), lacking.toString());
            assertTrue(lacking.message().contains("no-such-setting (not on the source)"), lacking.message());
        }
    }

    @Test
    void bigKeysAreNamedWithTheirSize() {
        try (RedisServer source = RedisServer.start(); RedisServer target = RedisServer.start()) {
            StringBuilder fields = new StringBuilder();
            List<String> args = new ArrayList<>(List.of("HSET", "big-hash"));
            for (int i = 0; i < 1500; i++) {
                args.add("f" + i);
                args.add("v" + i);
            }
            source.cli(args.toArray(String[]::new));
            source.cli("SET", "small", "v");
            List<ValidationCheck> checks = validate(TestConfig.defaults().withBigKeyElements(1000), source.uri(), target.uri(), null);
            ValidationCheck big = check(checks, "bigkeys");
            assertEquals(Severity.INFO, big.severity());
            assertTrue(big.message().contains("'big-hash' (1500 elements"), big.message());
            assertTrue(check(checks, "bigkeys.sample").message().startsWith("largest sampled keys: db0 'big-hash'"), checks.toString());
        }
    }

    @Test
    void aSlowRoundTripIsAWarning() {
        try (RedisServer source = RedisServer.start(); RedisServer target = RedisServer.start()) {
            List<ValidationCheck> checks = validate(TestConfig.defaults().withLatencyWarning(Duration.ZERO), source.uri(), target.uri(), null);
            assertEquals(Severity.WARNING, check(checks, "latency.source").severity());
        }
    }
}

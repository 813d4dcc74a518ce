package io.dfmigrate.common.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dfmigrate.common.endpoint.RedisEndpoint;
import io.dfmigrate.localstack.RedisServer;
import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The two ways users reach a target that takes no password hash in {@code ACL SETUSER} (Dragonfly): passwords given
 * per user, proven against the source's hashes; and the ACL file, loaded by a fresh server with {@code --aclfile}.
 * Real servers: a Redis 7.0 source; targets Redis 7.0 treated as Dragonfly, Valkey 8.1 and Redis 8.0 loading the file.
 */
class AclHandoverTest {
    static Vertx vertx;
    static RedisServer source;

    @BeforeAll
    static void setUp() {
        vertx = Vertx.vertx();
        source = RedisServer.start();
        source.cli("ACL", "SETUSER", "alice", "on", ">alice-secret", "~cache:*", "+@all", "-@dangerous");
        source.cli("ACL", "SETUSER", "bob", "on", ">bob-secret", "~*", "+@read");
        source.cli("ACL", "SETUSER", "carol", "off", ">carol-secret", "~*", "+@all");
        source.cli("ACL", "SETUSER", "dave", "on", "nopass", "~dave:*", "+get", "+select");
        source.cli("ACL", "SETUSER", "dfmigrate-m1", "on", ">own", "~*", "+@all");
    }

    @AfterAll
    static void tearDown() {
        source.close();
        vertx.close();
    }

    static BlockingRedis connect(RedisServer s) {
        return BlockingRedis.connect(vertx, RedisEndpoint.parse(s.uri()), 0, Duration.ofSeconds(10));
    }

    /** The reply of a command sent as {@code user} with {@code password}; an error reply as its message. */
    static String as(RedisServer s, String user, String password, String... command) {
        String uri = "redis://" + user + ":" + password + "@" + s.host() + ":" + s.port();
        try (BlockingRedis r = BlockingRedis.connect(vertx, RedisEndpoint.parse(uri), 0, Duration.ofSeconds(10))) {
            io.vertx.redis.client.Request req = io.vertx.redis.client.Request.cmd(io.vertx.redis.client.Command.create(command[0]));
            for (int i = 1; i < command.length; i++) {
                req.arg(command[i]);
            }
            return String.valueOf(r.send(req));
        } catch (RuntimeException e) {
            return e.getMessage();
        }
    }

    static final Predicate<String> OWN = n -> n.startsWith("dfmigrate-");

    @Test
    void intoATargetWithoutHashesAUserComesOnlyWithItsOwnPasswordGiven() {
        try (RedisServer target = RedisServer.start(); BlockingRedis s = connect(source); BlockingRedis t = connect(target)) {
            AclUsers.Copied copied = AclUsers.copy(s, t, OWN, Map.of("alice", "alice-secret", "bob", "not-bobs"), true);

            assertEquals(List.of("alice", "dave"), copied.created(), copied.summary());
            assertTrue(copied.skipped().get("bob").contains("not one of its passwords"), copied.summary());
            assertTrue(copied.skipped().get("carol").contains("PUT /api/migrations/{id}/users/passwords"), copied.summary());
            assertTrue(copied.differ().isEmpty(), copied.summary());
            assertFalse(copied.summary().contains("secret") || copied.summary().contains("not-bobs"), copied.summary());

            assertEquals("OK", as(target, "alice", "alice-secret", "SET", "cache:1", "v"));
            assertTrue(as(target, "alice", "alice-secret", "FLUSHALL").contains("NOPERM"), "alice keeps -@dangerous");
            assertTrue(as(target, "alice", "wrong", "PING").contains("WRONGPASS"));
            assertTrue(as(target, "bob", "bob-secret", "PING").contains("WRONGPASS"), "bob was not created");
            assertTrue(as(target, "dave", "anything", "GET", "dave:1").equals("null"), "a user without password needs none");
            assertFalse(t.send(io.vertx.redis.client.Request.cmd(io.vertx.redis.client.Command.ACL).arg("USERS")).toString()
                    .contains("dfmigrate-m1"));
        }
    }

    @Test
    void theAclFileIsLoadedByValkeyAndRedis8AndItsUsersLogInWithTheirPasswords() throws Exception {
        String file;
        try (BlockingRedis s = connect(source)) {
            file = AclUsers.aclFile(s, OWN);
            assertEquals(List.of("alice", "bob", "carol"), AclUsers.withPassword(s).stream().filter(OWN.negate()).toList());
        }
        assertFalse(file.contains("user default") || file.contains("dfmigrate-m1") || file.contains("secret"), file);
        assertEquals(4, file.lines().count(), file);
        for (String binary : List.of("valkey-server", "redis-server")) {
            Path tmp = Files.createDirectories(RedisServer.trixieRoot().resolve("tmp"));
            Path acl = Files.createTempFile(tmp, "users-", ".acl");
            Files.writeString(acl, file);
            try (RedisServer target = RedisServer.startTrixie(binary, "--aclfile", "/" + RedisServer.trixieRoot().relativize(acl))) {
                assertEquals("OK", as(target, "alice", "alice-secret", "SET", "cache:1", "v"), binary);
                assertTrue(as(target, "alice", "alice-secret", "FLUSHALL").contains("NOPERM"), binary);
                assertTrue(as(target, "bob", "bob-secret", "SET", "k", "v").contains("NOPERM"), binary + ": bob may only read");
                assertTrue(as(target, "carol", "carol-secret", "PING").contains("WRONGPASS"), binary + ": carol stays disabled");
                assertEquals("null", as(target, "dave", "x", "GET", "dave:1"), binary);
            } finally {
                Files.deleteIfExists(acl);
            }
        }
    }

    @Test
    void aPasswordsHashIsItsLowercaseHexSha256() {
        assertEquals("5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8", AclUsers.sha256("password"));
    }
}

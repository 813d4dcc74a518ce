package io.dfmigrate.common.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dfmigrate.common.endpoint.RedisEndpoint;
import io.dfmigrate.localstack.Ports;
import io.dfmigrate.localstack.RedisServer;
import io.dfmigrate.localstack.TlsFiles;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The write pipelines' own connection ({@link WritePipeline}) against a real redis-server. */
class WritePipelineTest {
    static Vertx vertx;
    static final Duration TIMEOUT = Duration.ofSeconds(10);

    @BeforeAll
    static void setUp() {
        vertx = Vertx.vertx();
    }

    @AfterAll
    static void tearDown() {
        vertx.close();
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void commandsAreEncodedAsRespArraysOfBulkStrings() {
        byte[] binary = {0, '\r', '\n', (byte) 0xff};
        String encoded = new String(WritePipeline.encode(List.of(new byte[][] {b("DEL"), b("k")},
                new byte[][] {b("SET"), binary, new byte[0]})).getBytes(), StandardCharsets.ISO_8859_1);
        assertEquals("*2\r\n$3\r\nDEL\r\n$1\r\nk\r\n*3\r\n$3\r\nSET\r\n$4\r\n\0\r\n\u00ff\r\n$0\r\n\r\n", encoded);
        byte[][] many = new byte[12][];
        Arrays.fill(many, b("x".repeat(1234)));
        assertTrue(new String(WritePipeline.encode(List.<byte[][]>of(many)).getBytes(), StandardCharsets.ISO_8859_1)
                .startsWith("*12\r\n$1234\r\nxxx"));
    }

    /**
     * Over TLS with a server name, as an ACL user, in database 3: RESTOREs and DELs land, a command the server refuses is
     * that command's error only, and the connection shows its name.
     */
    @Test
    void writesOverTlsAsAnAclUserInTheSelectedDatabaseWithAnErrorPerCommand() throws Exception {
        TlsFiles tls = TlsFiles.create("redis.internal", "DNS:redis.internal");
        int tlsPort = Ports.free();
        try (RedisServer server = RedisServer.start(tls.redisArgs(tlsPort))) {
            server.cli("ACL", "SETUSER", "copier", "on", ">s3cret pass", "~*", "+@all");
            server.cli("-n", "3", "SET", "gone", "soon");
            server.cli("SET", "k", "value");
            byte[] payload = BlockingRedis.connect(vertx, RedisEndpoint.parse(server.uri()), 0, TIMEOUT)
                    .send(Request.cmd(Command.DUMP).arg("k")).toBuffer().getBytes();
            RedisEndpoint endpoint = RedisEndpoint.parse("rediss://copier:s3cret%20pass@127.0.0.1:" + tlsPort + "?sni=redis.internal")
                    .withCaPem(tls.caPem());
            try (BlockingRedis r = BlockingRedis.connect(vertx, endpoint, 3, TIMEOUT)) {
                List<byte[][]> commands = new ArrayList<>();
                for (int i = 0; i < 2000; i++) {
                    commands.add(new byte[][] {b("RESTORE"), b("copy:" + i), b("0"), payload, b("REPLACE")});
                }
                commands.add(new byte[][] {b("RESTORE"), b("bad"), b("0"), b("not a payload"), b("REPLACE")});
                commands.add(new byte[][] {b("DEL"), b("gone")});
                List<BlockingRedis.Result> results = r.write(commands);
                assertEquals(commands.size(), results.size());
                for (int i = 0; i < 2000; i++) {
                    assertNull(results.get(i).error(), "RESTORE " + i);
                }
                assertFalse(results.get(2000).ok());
                assertTrue(results.get(2000).error().contains("payload"), results.get(2000).error());
                assertTrue(results.get(2001).ok());
                assertEquals("2000", server.cli("-n", "3", "DBSIZE").strip());
                assertEquals("value", server.cli("-n", "3", "GET", "copy:1999").strip());
                assertTrue(server.cli("CLIENT", "LIST").contains("name=" + WritePipeline.NAME + " "), server.cli("CLIENT", "LIST"));
            }
        }
    }

    @Test
    void refusedCredentialsAreNamedWithoutThePassword() {
        try (RedisServer server = RedisServer.start()) {
            server.cli("ACL", "SETUSER", "copier", "on", ">right", "~*", "+@all");
            RedisEndpoint wrong = RedisEndpoint.parse("redis://copier:wrong-secret@" + server.host() + ":" + server.port());
            RedisCommandException e = assertThrows(RedisCommandException.class,
                    () -> WritePipeline.connect(vertx, vertx.getOrCreateContext(), wrong, 0, TIMEOUT));
            assertTrue(e.getMessage().contains("AUTH refused (WRONGPASS)"), e.getMessage());
            assertFalse(e.getMessage().contains("wrong-secret"), e.getMessage());
        }
    }

    /**
     * A pipeline in flight when its connection is killed fails at once with the endpoint named, instead of waiting for its
     * timeout; the next pipeline connects again. The source holds the pipeline with {@code CLIENT PAUSE … WRITE}.
     */
    @Test
    void aPipelineInFlightFailsWhenItsConnectionIsKilled() throws Exception {
        Duration timeout = Duration.ofSeconds(120);
        try (RedisServer server = RedisServer.start();
             BlockingRedis r = BlockingRedis.connect(vertx, RedisEndpoint.parse(server.uri()), 0, timeout)) {
            assertTrue(r.write(List.<byte[][]>of(new byte[][] {b("DEL"), b("x")})).get(0).ok()); // connected
            server.cli("CLIENT", "PAUSE", "60000", "WRITE");
            CompletableFuture<Object> outcome = new CompletableFuture<>();
            Thread.ofVirtual().start(() -> {
                try {
                    outcome.complete(r.write(List.<byte[][]>of(new byte[][] {b("DEL"), b("held")})));
                } catch (RuntimeException e) {
                    outcome.complete(e);
                }
            });
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (!server.cli("INFO", "clients").contains("blocked_clients:1")) {
                assertTrue(System.nanoTime() < deadline, "the pipeline never reached the paused server");
                Thread.onSpinWait();
            }
            String id = Arrays.stream(server.cli("CLIENT", "LIST").split("\n"))
                    .filter(line -> line.contains("name=" + WritePipeline.NAME + " ")).findFirst().orElseThrow()
                    .replaceAll("^id=(\\d+) .*", "$1");
            long killedAt = System.nanoTime();
            assertEquals("1", server.cli("CLIENT", "KILL", "ID", id).strip());
            Object result = outcome.get(60, TimeUnit.SECONDS);
            assertTrue(result instanceof RedisCommandException, String.valueOf(result));
            assertTrue(((RedisCommandException) result).getMessage().contains(server.host() + ":" + server.port()), result.toString());
            assertTrue(System.nanoTime() - killedAt < Duration.ofSeconds(60).toNanos(), "failed only at its timeout");
            server.cli("CLIENT", "UNPAUSE");
            assertTrue(r.write(List.<byte[][]>of(new byte[][] {b("DEL"), b("x")})).get(0).ok(), "the next pipeline reconnects");
        }
    }

    /** A killed connection fails the pipeline that used it (never hangs); the next pipeline connects again. */
    @Test
    void aKilledConnectionFailsItsPipelineAndTheNextOneReconnects() throws Exception {
        try (RedisServer server = RedisServer.start();
             BlockingRedis r = BlockingRedis.connect(vertx, RedisEndpoint.parse(server.uri()), 0, TIMEOUT)) {
            assertTrue(r.write(List.<byte[][]>of(new byte[][] {b("DEL"), b("x")})).get(0).ok());
            String id = Arrays.stream(server.cli("CLIENT", "LIST").split("\n"))
                    .filter(line -> line.contains("name=" + WritePipeline.NAME + " ")).findFirst().orElseThrow()
                    .replaceAll("^id=(\\d+) .*", "$1");
            assertEquals("1", server.cli("CLIENT", "KILL", "ID", id).strip());
            List<byte[][]> many = new ArrayList<>();
            for (int i = 0; i < 50_000; i++) {
                many.add(new byte[][] {b("DEL"), b("k" + i)});
            }
            int failed = 0;
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (true) {
                try {
                    List<BlockingRedis.Result> results = r.write(many);
                    assertEquals(many.size(), results.size());
                    assertTrue(results.stream().allMatch(BlockingRedis.Result::ok));
                    break;
                } catch (RedisCommandException e) {
                    failed++;
                    assertTrue(e.getMessage().contains(server.host() + ":" + server.port()), e.getMessage());
                    assertTrue(System.nanoTime() < deadline, "still failing: " + e.getMessage());
                }
            }
            assertTrue(failed <= 1, failed + " failed pipelines: only the one in flight on the killed connection may fail");
            assertTrue(server.cli("CLIENT", "LIST").contains("name=" + WritePipeline.NAME + " "));
        }
    }

    @Test
    void aServersLongOrMultiLineErrorTextIsCutToOneShortLine() {
        try (RedisServer server = RedisServer.start();
             BlockingRedis r = BlockingRedis.connect(vertx, io.dfmigrate.common.endpoint.RedisEndpoint.parse(server.uri()), 0, TIMEOUT)) {
            List<BlockingRedis.Result> out = r.pipeline(List.of(
                    io.vertx.redis.client.Request.cmd(io.vertx.redis.client.Command.EVAL)
                            .arg("return redis.error_reply('ERR ' .. string.rep('x', 5000) .. '\\nsecond line')").arg(0),
                    io.vertx.redis.client.Request.cmd(io.vertx.redis.client.Command.PING)));
            assertFalse(out.get(0).ok());
            assertTrue(out.get(0).error().length() < 400, "cut: " + out.get(0).error().length());
            assertTrue(out.get(0).error().startsWith("ERR xxx") && out.get(0).error().endsWith("characters)"), out.get(0).error());
            assertFalse(out.get(0).error().contains("\n"));
            assertTrue(out.get(1).ok());
        }
    }
}

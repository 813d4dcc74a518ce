package io.dfmigrate.localstack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dfmigrate.common.Topics;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;
import org.junit.jupiter.api.Test;

class InfrastructureTest {

    @Test
    void startsKafkaWithTopicsAndPostgresAndKeepsDataAcrossRestart() throws Exception {
        Path state = LocalStack.testStateDir(Path.of("target"));
        LocalStack.Config config = LocalStack.Config.forTests(Path.of("../..").toAbsolutePath().normalize(), state);
        try (LocalStack stack = new LocalStack(config).startInfrastructure()) {
            try (Admin admin = stack.kafka().admin()) {
                Map<String, TopicDescription> topics = admin.describeTopics(List.of(Topics.ALL)).allTopicNames().get(30, TimeUnit.SECONDS);
                assertEquals(Set.of(Topics.ALL), topics.keySet());
                assertEquals(12, topics.get(Topics.COPY_BATCHES).partitions().size());
            }
            String out = ManagedProcess.run("psql", List.of(PostgresServer.binDir().resolve("psql").toString(), "-h", "127.0.0.1",
                    "-p", Integer.toString(stack.postgresPort()), "-U", PostgresServer.USER, "-d", PostgresServer.DATABASE, "-tAc",
                    "CREATE TABLE kept(v int); INSERT INTO kept VALUES (42);"), java.time.Duration.ofSeconds(30));
            assertTrue(out.contains("INSERT"), out);
        }
        // a second start on the same state directory keeps the data
        try (LocalStack stack = new LocalStack(config).startInfrastructure()) {
            String out = ManagedProcess.run("psql", List.of(PostgresServer.binDir().resolve("psql").toString(), "-h", "127.0.0.1",
                    "-p", Integer.toString(stack.postgresPort()), "-U", PostgresServer.USER, "-d", PostgresServer.DATABASE, "-tAc",
                    "SELECT v FROM kept"), java.time.Duration.ofSeconds(30));
            assertEquals("42", out.strip());
        }
    }

    /** A clone or state directory under /root (mode 0700) as root: PostgreSQL's data goes where its user can reach it. */
    @Test
    void postgresStartsAsRootFromAPrivateDirectoryAndKeepsItsData() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "only root hands PostgreSQL to its own user");
        Path secret = Files.createTempDirectory(Path.of("target").toAbsolutePath(), "private-",
                java.nio.file.attribute.PosixFilePermissions.asFileAttribute(java.nio.file.attribute.PosixFilePermissions.fromString("rwx------")));
        Path dir = secret.resolve("state/postgres");
        int port = Ports.free();
        for (int round = 0; round < 2; round++) {
            try (PostgresServer pg = new PostgresServer(dir, port, false).start()) {
                String sql = round == 0 ? "CREATE TABLE kept(v int); INSERT INTO kept VALUES (7);" : "SELECT v FROM kept";
                String out = ManagedProcess.run("psql", List.of(PostgresServer.binDir().resolve("psql").toString(), "-h", "127.0.0.1",
                        "-p", Integer.toString(port), "-U", PostgresServer.USER, "-d", PostgresServer.DATABASE, "-tAc", sql),
                        java.time.Duration.ofSeconds(30));
                assertTrue(round == 0 ? out.contains("INSERT") : out.strip().equals("7"), out);
            }
        }
        Path location = Path.of(Files.readString(dir.resolve("postgres-location")).strip());
        assertTrue(Files.exists(location.resolve("data/PG_VERSION")), "the data is where postgres-location says: " + location);
        ManagedProcess.run("cleanup", List.of("rm", "-rf", location.toString()), java.time.Duration.ofSeconds(30));
    }

    @Test
    void failsFastNamingTheTakenPort() throws Exception {
        try (ServerSocket taken = new ServerSocket(0)) {
            StackException e = assertThrows(StackException.class,
                    () -> Ports.requireFree(taken.getLocalPort(), "Kafka", "DFM_KAFKA_PORT"));
            assertTrue(e.getMessage().contains(Integer.toString(taken.getLocalPort())), e.getMessage());
            assertTrue(e.getMessage().contains("DFM_KAFKA_PORT"), e.getMessage());
        }
    }

    @Test
    void redisServerStartsOnARandomPortWithDebugEnabled() {
        try (RedisServer redis = RedisServer.start("--databases", "4")) {
            assertEquals("PONG", redis.cli("PING"));
            redis.cli("SET", "k", "v");
            assertEquals(40, redis.cli("DEBUG", "DIGEST").length());
            assertTrue(redis.cli("CONFIG", "GET", "databases").endsWith("4"));
        }
    }
}

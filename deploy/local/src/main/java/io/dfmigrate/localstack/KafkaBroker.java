package io.dfmigrate.localstack;

import io.dfmigrate.common.Topics;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import java.io.File;
import java.util.Arrays;

/**
 * A single-node KRaft Kafka broker in its own JVM, from the {@code kafka_2.13} jars (listed at build time in
 * {@code dfmigrate/kafka-classpath.txt}). Its log lives in {@code dir}, so a restart keeps the topics.
 */
public final class KafkaBroker implements AutoCloseable {
    private final Path dir;
    private final int port;
    private final int controllerPort;
    private ManagedProcess process;

    public KafkaBroker(Path dir, int port, int controllerPort) {
        this.dir = dir;
        this.port = port;
        this.controllerPort = controllerPort;
    }

    public String bootstrapServers() {
        return "127.0.0.1:" + port;
    }

    public int port() {
        return port;
    }

    public KafkaBroker start() {
        try {
            Files.createDirectories(dir);
            Path logDir = dir.resolve("data");
            Path props = dir.resolve("server.properties");
            Files.writeString(props, String.join("\n",
                    "process.roles=broker,controller",
                    "node.id=1",
                    "controller.quorum.voters=1@127.0.0.1:" + controllerPort,
                    "listeners=PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort,
                    "advertised.listeners=PLAINTEXT://127.0.0.1:" + port,
                    "controller.listener.names=CONTROLLER",
                    "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
                    "inter.broker.listener.name=PLAINTEXT",
                    "log.dirs=" + logDir,
                    "num.partitions=3",
                    "offsets.topic.replication.factor=1",
                    "offsets.topic.num.partitions=10",
                    "transaction.state.log.replication.factor=1",
                    "transaction.state.log.min.isr=1",
                    "group.initial.rebalance.delay.ms=0",
                    "auto.create.topics.enable=true",
                    "log.retention.hours=168",
                    "") + "\n");
            String classpath = classpath();
            String java = javaExecutable();
            if (!Files.exists(logDir.resolve("meta.properties"))) {
                String uuid = ManagedProcess.run("kafka random-uuid",
                        List.of(java, "-cp", classpath, "kafka.tools.StorageTool", "random-uuid"), Duration.ofSeconds(60)).strip();
                uuid = uuid.lines().reduce((a, b) -> b).orElse(uuid).strip();
                ManagedProcess.run("kafka storage format", List.of(java, "-cp", classpath, "kafka.tools.StorageTool", "format",
                        "-t", uuid, "-c", props.toString(), "--ignore-formatted"), Duration.ofSeconds(60));
            }
            List<String> cmd = new ArrayList<>(List.of(java, "-Xms128m", "-Xmx512m", "-XX:+UseSerialGC",
                    "-Dlog4j2.level=WARN", "-cp", classpath, "kafka.Kafka", props.toString()));
            process = ManagedProcess.start("kafka", cmd, Map.of(), dir, dir.resolve("kafka.log"), "TERM");
            process.awaitReady(this::ready, Duration.ofSeconds(90));
            return this;
        } catch (IOException e) {
            throw new StackException("cannot prepare Kafka in " + dir + ": " + e.getMessage(), e);
        }
    }

    private boolean ready() {
        try (Admin admin = admin()) {
            admin.describeCluster().nodes().get(2, TimeUnit.SECONDS);
            return true;
        } catch (Exception e) {
            return false;
        }
    }

    public Admin admin() {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5000);
        p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 10000);
        return Admin.create(p);
    }

    /** Creates the dfmigrate topics that do not exist yet, with {@link Topics#defaultPartitions(String)}. */
    public void createTopics() {
        try (Admin admin = admin()) {
            Set<String> existing = admin.listTopics().names().get(30, TimeUnit.SECONDS);
            List<NewTopic> missing = Arrays.stream(Topics.ALL)
                    .filter(t -> !existing.contains(t))
                    .map(t -> new NewTopic(t, Topics.defaultPartitions(t), (short) 1))
                    .collect(Collectors.toList());
            if (!missing.isEmpty()) {
                admin.createTopics(missing).all().get(30, TimeUnit.SECONDS);
            }
        } catch (Exception e) {
            throw new StackException("cannot create the dfmigrate topics: " + e.getMessage(), e);
        }
    }

    static String classpath() {
        return resourceClasspath("kafka-classpath.txt");
    }

    private static String resourceClasspath(String name) {
        try (InputStream in = KafkaBroker.class.getResourceAsStream("/dfmigrate/" + name)) {
            if (in == null) {
                throw new StackException("dfmigrate/" + name + " is missing: build deploy/local with Maven first");
            }
            String cp = new String(in.readAllBytes(), StandardCharsets.UTF_8).strip();
            String first = cp.split(File.pathSeparator)[0];
            if (!Files.exists(Path.of(first))) {
                throw new StackException("the Kafka jars listed at build time are gone (" + first + "): rebuild with Maven");
            }
            return cp;
        } catch (IOException e) {
            throw new StackException("cannot read the Kafka classpath: " + e.getMessage(), e);
        }
    }

    static String javaExecutable() {
        return ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    }

    public boolean isAlive() {
        return process != null && process.isAlive();
    }

    /** Kills the broker at once, as a crash would; {@link #start()} brings it back with its data. */
    public void kill() {
        if (process != null) {
            process.kill();
        }
    }

    public void stop() {
        if (process != null) {
            process.stop(Duration.ofSeconds(30));
        }
    }

    @Override
    public void close() {
        stop();
    }
}

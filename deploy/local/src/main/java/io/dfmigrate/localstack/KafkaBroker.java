package io.dfmigrate.localstack;

import io.dfmigrate.common.Topics;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;

/**
 * A single-node KRaft Kafka broker in its own JVM, from the {@code kafka_2.13} jars (listed at build time in
 * {@code dfmigrate/kafka-classpath.txt}). Its log lives in {@code dir}, so a restart keeps the topics. With a
 * {@link Scram} user its client listener is {@code SASL_PLAINTEXT} with SCRAM-SHA-512 (the user is created when the
 * storage is formatted), and every client must log in; with {@link MutualTls} it is {@code SSL} and every client must
 * present a certificate of the local CA; with {@link ScramOverMutualTls} it is {@code SASL_SSL} and a client needs both;
 * {@link #clientProperties()} says how.
 */
public final class KafkaBroker extends InfrastructureProcess {
    private final Path dir;
    private final int port;
    private final int controllerPort;
    private final Security security;

    /** How clients must connect: {@link Scram} or {@link MutualTls}; none (null) is plaintext. */
    public sealed interface Security permits Scram, MutualTls, ScramOverMutualTls {
        /** The protocol of the client listener. */
        String protocol();

        /** Broker settings for that listener. */
        List<String> brokerSettings();

        /** What a client needs besides the bootstrap servers (kafka.* settings of the services). */
        Map<String, String> clientProperties();
    }

    /** The SCRAM-SHA-512 user clients log in as. */
    public record Scram(String user, String password) implements Security {
        String jaas() {
            return "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"" + user + "\" password=\""
                    + password + "\";";
        }

        @Override
        public String protocol() {
            return "SASL_PLAINTEXT";
        }

        @Override
        public List<String> brokerSettings() {
            return settings("sasl_plaintext");
        }

        /** The SCRAM settings of the listener of this name (its protocol in lower case). */
        List<String> settings(String listener) {
            return List.of("sasl.enabled.mechanisms=SCRAM-SHA-512", "sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512",
                    "listener.name." + listener + ".scram-sha-512.sasl.jaas.config=" + jaas());
        }

        @Override
        public Map<String, String> clientProperties() {
            return Map.of("security.protocol", "SASL_PLAINTEXT", "sasl.mechanism", "SCRAM-SHA-512", "sasl.jaas.config", jaas());
        }
    }

    /** TLS with client certificates ({@code ssl.client.auth=required}): the stores {@link LocalCertificates} made. */
    public record MutualTls(LocalCertificates certificates) implements Security {
        @Override
        public String protocol() {
            return "SSL";
        }

        @Override
        public List<String> brokerSettings() {
            LocalCertificates c = certificates;
            return List.of("ssl.client.auth=required",
                    "ssl.keystore.type=PKCS12", "ssl.keystore.location=" + c.brokerKeystore(), "ssl.keystore.password=" + c.password(),
                    "ssl.key.password=" + c.password(),
                    "ssl.truststore.type=PKCS12", "ssl.truststore.location=" + c.truststore(), "ssl.truststore.password=" + c.password());
        }

        @Override
        public Map<String, String> clientProperties() {
            LocalCertificates c = certificates;
            return Map.of("security.protocol", "SSL",
                    "ssl.truststore.type", "PKCS12", "ssl.truststore.location", c.truststore().toString(), "ssl.truststore.password", c.password(),
                    "ssl.keystore.type", "PKCS12", "ssl.keystore.location", c.clientKeystore().toString(), "ssl.keystore.password", c.password(),
                    "ssl.key.password", c.password());
        }
    }

    /**
     * Both at once, as a production listener with SCRAM users over TLS that also wants client certificates: protocol
     * {@code SASL_SSL}, every client must log in and present a certificate of the local CA.
     */
    public record ScramOverMutualTls(Scram scram, MutualTls tls) implements Security {
        @Override
        public String protocol() {
            return "SASL_SSL";
        }

        @Override
        public List<String> brokerSettings() {
            List<String> settings = new ArrayList<>(scram.settings("sasl_ssl"));
            settings.addAll(tls.brokerSettings());
            // a SASL_SSL listener ignores the broker-wide ssl.client.auth; only its listener-prefixed one asks for
            // certificates (KIP-684): without it a login over TLS without a certificate was let in
            settings.add("listener.name.sasl_ssl.ssl.client.auth=required");
            return settings;
        }

        @Override
        public Map<String, String> clientProperties() {
            Map<String, String> both = new java.util.HashMap<>(tls.clientProperties());
            both.putAll(scram.clientProperties());
            both.put("security.protocol", protocol());
            return Map.copyOf(both);
        }
    }

    public KafkaBroker(Path dir, int port, int controllerPort) {
        this(dir, port, controllerPort, null);
    }

    public KafkaBroker(Path dir, int port, int controllerPort, Security security) {
        this.dir = dir;
        this.port = port;
        this.controllerPort = controllerPort;
        this.security = security;
    }

    /**
     * The client settings besides the bootstrap servers: none for a plain broker; security protocol, mechanism and
     * JAAS login for SCRAM; protocol SSL with trust and key stores for mutual TLS. The services get them as
     * {@code KAFKA_<SETTING>} ({@code KAFKA_SECURITY_PROTOCOL}, {@code KAFKA_SASL_JAAS_CONFIG}, {@code KAFKA_SSL_KEYSTORE_LOCATION} …).
     */
    public Map<String, String> clientProperties() {
        return security == null ? Map.of() : security.clientProperties();
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
            String listener = security == null ? "PLAINTEXT" : security.protocol();
            List<String> settings = security == null ? List.of() : security.brokerSettings();
            Files.writeString(props, String.join("\n",
                    "process.roles=broker,controller",
                    "node.id=1",
                    "controller.quorum.voters=1@127.0.0.1:" + controllerPort,
                    "listeners=" + listener + "://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort,
                    "advertised.listeners=" + listener + "://127.0.0.1:" + port,
                    "controller.listener.names=CONTROLLER",
                    "listener.security.protocol.map=CONTROLLER:PLAINTEXT," + listener + ":" + listener,
                    "inter.broker.listener.name=" + listener,
                    String.join("\n", settings),
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
            // it holds the SCRAM login or the TLS store password: readable by this user only
            Files.setPosixFilePermissions(props, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
            String classpath = classpath();
            String java = javaExecutable();
            if (!Files.exists(logDir.resolve("meta.properties"))) {
                String uuid = ManagedProcess.run("kafka random-uuid",
                        List.of(java, "-cp", classpath, "kafka.tools.StorageTool", "random-uuid"), Duration.ofSeconds(60)).strip();
                uuid = uuid.lines().reduce((a, b) -> b).orElse(uuid).strip();
                List<String> format = new ArrayList<>(List.of(java, "-cp", classpath, "kafka.tools.StorageTool", "format",
                        "-t", uuid, "-c", props.toString(), "--ignore-formatted"));
                Scram scram = security instanceof Scram alone ? alone : security instanceof ScramOverMutualTls both ? both.scram() : null;
                if (scram != null) {
                    format.addAll(List.of("--add-scram", "SCRAM-SHA-512=[name=" + scram.user() + ",password=" + scram.password() + "]"));
                }
                ManagedProcess.run("kafka storage format", format, Duration.ofSeconds(60));
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
        p.putAll(clientProperties());
        return Admin.create(p);
    }

    /** Creates the dfmigrate topics that do not exist yet, with {@link Topics#defaultPartitions(String)}. */
    public void createTopics() {
        createTopics(admin());
    }

    /** The same for a broker started elsewhere (deploy/kubernetes/play.sh: Kafka in a pod): {@code KafkaBroker <bootstrap>}. */
    public static void main(String[] args) {
        if (args.length != 1) {
            System.err.println("usage: KafkaBroker <bootstrap servers>");
            System.exit(2);
        }
        Properties p = new Properties();
        p.put("bootstrap.servers", args[0]);
        createTopics(Admin.create(p));
        System.out.println("dfmigrate topics ready on " + args[0]);
    }

    private static void createTopics(Admin client) {
        try (Admin admin = client) {
            Set<String> existing = admin.listTopics().names().get(30, TimeUnit.SECONDS);
            List<NewTopic> missing = Arrays.stream(Topics.ALL)
                    .filter(t -> !existing.contains(t))
                    .map(t -> new NewTopic(t, Topics.defaultPartitions(t), (short) 1).configs(Topics.configs(t)))
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
}

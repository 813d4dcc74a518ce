package io.dfmigrate.localstack;

import io.dfmigrate.common.secret.EventSigner;
import io.dfmigrate.common.secret.SecretBox;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.concurrent.Future;
import java.util.concurrent.Executors;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ExecutionException;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.function.Supplier;

/**
 * The whole dfmigrate stack on one machine without Docker: Kafka (KRaft, own JVM), PostgreSQL (our own server from
 * Debian's binaries, or yours via {@code DFM_DB_URL}) and the four services as separate processes. {@code run.sh}
 * and the end-to-end tests both use this class. Everything it starts, it stops, in reverse order.
 */
public final class LocalStack implements AutoCloseable {
    public static final List<String> SERVICES = List.of("orchestrator", "validator", "copier", "replicator");

    private final Config config;
    private final List<AutoCloseable> started = Collections.synchronizedList(new ArrayList<>());
    private final Map<String, ServiceProcess> services = Collections.synchronizedMap(new LinkedHashMap<>());
    private KafkaBroker kafka;
    private PostgresServer postgres;
    private String secretKey;
    private String eventKey;
    private String apiToken;
    private String jdbcUrl;

    /** Settings; {@link #fromEnvironment()} reads them from {@code DFM_*} variables. */
    public record Config(Path home, Path stateDir, String httpHost, int httpPort, int validatorPort, int copierPort, int replicatorPort,
                         int kafkaPort, int kafkaControllerPort, int pgPort, String dbUrl, String dbUser, String dbPassword,
                         String secretKey, String apiToken, String serviceHeap, boolean fsync, Map<String, String> extraEnv,
                         boolean randomPorts) {

        public static Config fromEnvironment() {
            Map<String, String> env = System.getenv();
            Path home = Path.of(System.getProperty("dfm.home", env.getOrDefault("DFM_HOME", "."))).toAbsolutePath().normalize();
            String defaultState = "root".equals(System.getProperty("user.name")) ? "/var/lib/dfmigrate"
                    : System.getProperty("user.home") + "/.dfmigrate";
            return new Config(home,
                    Path.of(env.getOrDefault("DFM_STATE_DIR", defaultState)).toAbsolutePath(),
                    env.getOrDefault("DFM_HTTP_HOST", "127.0.0.1"), port(env, "DFM_HTTP_PORT", 8080), port(env, "DFM_VALIDATOR_PORT", 8081),
                    port(env, "DFM_COPIER_PORT", 8082), port(env, "DFM_REPLICATOR_PORT", 8083),
                    port(env, "DFM_KAFKA_PORT", 19092), port(env, "DFM_KAFKA_CONTROLLER_PORT", 19093),
                    port(env, "DFM_PG_PORT", 15432),
                    env.get("DFM_DB_URL"), env.getOrDefault("DFM_DB_USER", PostgresServer.USER), env.get("DFM_DB_PASSWORD"),
                    env.get("DFM_SECRET_KEY"), env.get("DFM_ORCHESTRATOR_API_TOKEN"), env.getOrDefault("DFM_SERVICE_HEAP", "384m"), true,
                    Map.of(), false);
        }

        /** A config for tests: random ports, state under {@code stateDir}, fsync off. */
        public static Config forTests(Path home, Path stateDir) {
            return new Config(home, stateDir, "127.0.0.1", Ports.free(), Ports.free(), Ports.free(), Ports.free(), Ports.free(),
                    Ports.free(), Ports.free(), null, PostgresServer.USER, null, SecretBox.generateKey(), newApiToken(), "256m", false,
                    Map.of(), true);
        }

        public Config withExtraEnv(Map<String, String> extra) {
            return new Config(home, stateDir, httpHost, httpPort, validatorPort, copierPort, replicatorPort, kafkaPort,
                    kafkaControllerPort, pgPort, dbUrl, dbUser, dbPassword, secretKey, apiToken, serviceHeap, fsync, extra, randomPorts);
        }

        private static int port(Map<String, String> env, String name, int dflt) {
            String v = env.get(name);
            if (v == null || v.isBlank()) {
                return dflt;
            }
            try {
                int p = Integer.parseInt(v.trim());
                if (p < 1 || p > 65535) {
                    throw new NumberFormatException();
                }
                return p;
            } catch (NumberFormatException e) {
                throw new StackException(name + "=" + v + " is not a port number (1..65535)");
            }
        }
    }

    /**
     * A fresh state directory below {@code parent} that the {@code postgres} user can reach (mode 755, not the 700 of a
     * temp directory), for tests.
     */
    public static Path testStateDir(Path parent) {
        try {
            Files.createDirectories(parent);
            return Files.createTempDirectory(parent.toAbsolutePath(), "stack-",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        } catch (IOException e) {
            throw new StackException("cannot create a state directory under " + parent + ": " + e.getMessage(), e);
        }
    }

    public LocalStack(Config config) {
        this.config = config;
        // Whatever way the JVM ends (short of SIGKILL), nothing it started is left behind.
        Runtime.getRuntime().addShutdownHook(new Thread(this::close, "dfm-local-stack-stop"));
    }

    public Config config() {
        return config;
    }

    /** Starts Kafka and PostgreSQL only (what service tests need). */
    public LocalStack startInfrastructure() {
        try {
            Files.createDirectories(config.stateDir());
        } catch (IOException e) {
            throw new StackException("cannot create the state directory " + config.stateDir() + ": " + e.getMessage(), e);
        }
        Ports.requireFree(config.kafkaPort(), "Kafka", "DFM_KAFKA_PORT");
        Ports.requireFree(config.kafkaControllerPort(), "Kafka controller", "DFM_KAFKA_CONTROLLER_PORT");
        if (config.dbUrl() == null) {
            Ports.requireFree(config.pgPort(), "PostgreSQL", "DFM_PG_PORT");
        }
        secretKey = config.secretKey() != null ? config.secretKey() : fromStateDir("secret.key", SecretBox::generateKey);
        SecretBox.fromBase64Key(secretKey); // fail fast on a bad key
        String givenEventKey = System.getenv("DFM_EVENT_KEY");
        eventKey = givenEventKey != null && !givenEventKey.isBlank() ? givenEventKey : fromStateDir("event.key", SecretBox::generateKey);
        EventSigner.of(eventKey, List.of()); // fail fast on a bad key
        apiToken = config.apiToken() != null ? config.apiToken() : fromStateDir("api-token", LocalStack::newApiToken);
        Path kafkaDir = config.stateDir().resolve("kafka");
        KafkaBroker.Security security = kafkaSecurity();
        // Kafka and PostgreSQL start side by side: each waits mostly for its own JVM or process to come up
        Runnable startKafka = () -> {
            KafkaBroker k = config.randomPorts() ? StackException.onFreePorts((p, c) -> new KafkaBroker(kafkaDir, p, c, security).start())
                    : new KafkaBroker(kafkaDir, config.kafkaPort(), config.kafkaControllerPort(), security).start();
            synchronized (this) {
                kafka = k;
                started.add(k);
            }
            k.createTopics();
        };
        Runnable startPostgres = () -> {
            if (config.dbUrl() == null) {
                Path pgDir = config.stateDir().resolve("postgresql");
                PostgresServer pg = config.randomPorts()
                        ? StackException.onFreePorts((p, unused) -> new PostgresServer(pgDir, p, config.fsync()).start())
                        : new PostgresServer(pgDir, config.pgPort(), config.fsync()).start();
                synchronized (this) {
                    postgres = pg;
                    started.add(pg);
                    jdbcUrl = pg.jdbcUrl();
                }
            } else {
                jdbcUrl = config.dbUrl();
            }
        };
        inParallel(List.of(startKafka, startPostgres));
        return this;
    }

    /** Starts Kafka, PostgreSQL and the four services. */
    public LocalStack start() {
        Ports.requireFree(config.httpPort(), "orchestrator HTTP", "DFM_HTTP_PORT");
        Ports.requireFree(config.validatorPort(), "validator HTTP", "DFM_VALIDATOR_PORT");
        Ports.requireFree(config.copierPort(), "copier HTTP", "DFM_COPIER_PORT");
        Ports.requireFree(config.replicatorPort(), "replicator HTTP", "DFM_REPLICATOR_PORT");
        if (!config.randomPorts()) {
            Ports.requireFree(managementPort(config.validatorPort()), "validator health and metrics", "DFM_VALIDATOR_PORT (+1000)");
            Ports.requireFree(managementPort(config.copierPort()), "copier health and metrics", "DFM_COPIER_PORT (+1000)");
            Ports.requireFree(managementPort(config.replicatorPort()), "replicator health and metrics", "DFM_REPLICATOR_PORT (+1000)");
        }
        startInfrastructure();
        // the four services boot side by side (each waits for its own readiness)
        inParallel(List.of(() -> startService("orchestrator", "orchestrator", config.httpPort()),
                () -> startService("validator", "validator", config.validatorPort()),
                () -> startService("copier", "copier", config.copierPort()),
                () -> startService("replicator", "replicator", config.replicatorPort())));
        return this;
    }

    /** Runs the steps at once and waits for all; the first failure is thrown (what did start is closed with the stack). */
    private static void inParallel(List<Runnable> steps) {
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> running = steps.stream().<Future<?>>map(pool::submit).toList();
            RuntimeException failed = null;
            for (Future<?> f : running) {
                try {
                    f.get();
                } catch (ExecutionException e) {
                    RuntimeException cause = e.getCause() instanceof RuntimeException r ? r
                            : new StackException("start failed: " + e.getCause(), e.getCause());
                    if (failed == null) {
                        failed = cause;
                    } else {
                        failed.addSuppressed(cause);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new StackException("interrupted while starting");
                }
            }
            if (failed != null) {
                throw failed;
            }
        }
    }

    /** The settings (environment) a service of this stack starts with: Kafka and its login, keys, the orchestrator's database. */
    public Map<String, String> serviceEnv(String module) {
        Map<String, String> env = new HashMap<>(config.extraEnv());
        env.put("KAFKA_BOOTSTRAP_SERVERS", kafka.bootstrapServers());
        // the broker's login, as every service's kafka.* settings: KAFKA_SECURITY_PROTOCOL, KAFKA_SASL_MECHANISM, KAFKA_SASL_JAAS_CONFIG
        kafka.clientProperties().forEach((k, v) -> env.put("KAFKA_" + k.toUpperCase(Locale.ROOT).replace('.', '_'), v));
        env.put("DFM_SECRET_KEY", secretKey);
        env.putIfAbsent("DFM_EVENT_KEY", eventKey);
        if (module.equals("orchestrator")) {
            env.put("QUARKUS_HTTP_HOST", config.httpHost());
            env.putIfAbsent("DFM_ORCHESTRATOR_API_TOKEN", apiToken);
            env.put("QUARKUS_DATASOURCE_JDBC_URL", jdbcUrl);
            env.put("QUARKUS_DATASOURCE_USERNAME", config.dbUser());
            if (config.dbPassword() != null) {
                env.put("QUARKUS_DATASOURCE_PASSWORD", config.dbPassword());
            }
        }
        return env;
    }

    /** A worker's management interface (health, metrics) listens 1000 above its HTTP port: 9081, 9082, 9083 by default. */
    public static int managementPort(int httpPort) {
        return httpPort + 1000;
    }

    /** Starts (or restarts) one instance of a service module under {@code name}; a second copier is {@code copier-2}. */
    public ServiceProcess startService(String module, String name, int port) {
        Map<String, String> env = serviceEnv(module);
        boolean orchestrator = module.equals("orchestrator"); // its health and metrics are on its HTTP port, behind its API security
        ServiceProcess s;
        try {
            int management = orchestrator ? port : config.randomPorts() ? Ports.free() : managementPort(port);
            s = ServiceProcess.start(config.home(), module, name, port, management, env, config.stateDir().resolve("logs"), config.serviceHeap());
        } catch (StackException e) {
            if (!config.randomPorts() || !e.portTaken()) {
                throw e;
            }
            // a port picked as free was taken by another process before the service bound it (a busy machine): take others
            int again = Ports.free();
            s = ServiceProcess.start(config.home(), module, name, again, orchestrator ? again : Ports.free(), env,
                    config.stateDir().resolve("logs"), config.serviceHeap());
        }
        synchronized (this) {
            ServiceProcess previous = services.put(name, s);
            if (previous != null) {
                started.remove(previous);
            }
            started.add(s);
        }
        return s;
    }

    public ServiceProcess service(String name) {
        return services.get(name);
    }

    /** The names of the service instances this stack started (a second copier is {@code copier-2}). */
    public List<String> serviceNames() {
        synchronized (services) {
            return List.copyOf(services.keySet());
        }
    }

    public KafkaBroker kafka() {
        return kafka;
    }

    /** The stack's own PostgreSQL (null when DFM_DB_URL names another). */
    public PostgresServer postgres() {
        return postgres;
    }

    public int postgresPort() {
        return postgres.port();
    }

    public String jdbcUrl() {
        return jdbcUrl;
    }

    public String secretKey() {
        return secretKey;
    }

    /** The orchestrator's operator token: {@code Authorization: Bearer <token>} on every API call. */
    public String apiToken() {
        return apiToken;
    }

    /** The file holding the generated API token (null when the token came from DFM_ORCHESTRATOR_API_TOKEN). */
    public Path apiTokenFile() {
        return config.apiToken() != null ? null : config.stateDir().resolve("api-token");
    }

    public String orchestratorUrl() {
        String host = config.httpHost().equals("0.0.0.0") || config.httpHost().equals("::") ? "localhost" : config.httpHost();
        ServiceProcess orchestrator = services.get("orchestrator");
        int port = orchestrator != null ? orchestrator.httpPort() : config.httpPort();
        return "http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }

    /** A random token of 32 bytes, URL-safe base64. */
    static String newApiToken() {
        byte[] bytes = new byte[32];
        new SecureRandom().nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    /** A secret kept in the state directory: created once, readable by this user only from its first byte. */
    /**
     * {@code DFM_KAFKA_SASL=scram}: the broker accepts only SCRAM-SHA-512 logins over SASL_PLAINTEXT, as user
     * {@code dfmigrate} with a password generated once into {@code $DFM_STATE_DIR/kafka-password} (mode 600);
     * {@code DFM_KAFKA_TLS=mtls}: the broker speaks only TLS and wants a client certificate of the local CA made once
     * into {@code $DFM_STATE_DIR/kafka-tls} ({@link LocalCertificates}); both: SCRAM logins over TLS with client
     * certificates ({@code SASL_SSL}); neither (default): plaintext, as a broker on the loopback interface of one machine.
     */
    private KafkaBroker.Security kafkaSecurity() {
        String sasl = setting("DFM_KAFKA_SASL", "none");
        String tls = setting("DFM_KAFKA_TLS", "none");
        if (!List.of("", "none", "scram").contains(sasl)) {
            throw new StackException("DFM_KAFKA_SASL=" + sasl + " is not known: use scram or none");
        }
        if (!List.of("", "none", "mtls").contains(tls)) {
            throw new StackException("DFM_KAFKA_TLS=" + tls + " is not known: use mtls or none");
        }
        KafkaBroker.Scram scram = sasl.equals("scram") ? new KafkaBroker.Scram("dfmigrate", fromStateDir("kafka-password", LocalStack::newApiToken)) : null;
        KafkaBroker.MutualTls mtls = tls.equals("mtls") ? new KafkaBroker.MutualTls(LocalCertificates.in(config.stateDir().resolve("kafka-tls"))) : null;
        if (scram != null && mtls != null) {
            return new KafkaBroker.ScramOverMutualTls(scram, mtls);
        }
        return scram != null ? scram : mtls;
    }

    private String setting(String name, String dflt) {
        return config.extraEnv().getOrDefault(name, System.getenv().getOrDefault(name, dflt)).strip();
    }

    private String fromStateDir(String name, Supplier<String> generate) {
        Path file = config.stateDir().resolve(name);
        try {
            if (!Files.exists(file)) {
                Path tmp = Files.createFile(config.stateDir().resolve(name + ".tmp-" + System.nanoTime()),
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
                Files.writeString(tmp, generate.get() + "\n");
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
            }
            return Files.readString(file).strip();
        } catch (IOException e) {
            throw new StackException("cannot read or create " + file + ": " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized void close() {
        List<AutoCloseable> toStop = new ArrayList<>(started);
        Collections.reverse(toStop);
        for (AutoCloseable c : toStop) {
            try {
                c.close();
            } catch (Exception e) {
                System.err.println("dfmigrate: while stopping: " + e.getMessage());
            }
        }
        started.clear();
    }

    /** {@code deploy/local/run.sh}: start everything, print the URL, stay in the foreground until Ctrl-C or SIGTERM. */
    public static void main(String[] args) throws InterruptedException {
        Config config;
        try {
            config = Config.fromEnvironment();
        } catch (StackException e) {
            System.err.println("dfmigrate: " + e.getMessage());
            System.exit(2);
            return;
        }
        LocalStack stack = new LocalStack(config);
        // DFM_INFRA_ONLY=1: Kafka and PostgreSQL only, for services run elsewhere (from an IDE, say)
        boolean infrastructureOnly = "1".equals(System.getenv("DFM_INFRA_ONLY"));
        CountDownLatch stopped = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            System.out.println("dfmigrate: stopping everything this launcher started ...");
            stack.close();
            System.out.println("dfmigrate: stopped");
            stopped.countDown();
        }, "dfm-stop");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            System.out.println("dfmigrate: state directory " + config.stateDir() + " (logs in " + config.stateDir().resolve("logs") + ")");
            if (infrastructureOnly) {
                stack.startInfrastructure();
            } else {
                stack.start();
            }
        } catch (StackException e) {
            System.err.println("dfmigrate: " + e.getMessage());
            System.exit(1);
            return;
        }
        System.out.println("dfmigrate: Kafka at " + stack.kafka().bootstrapServers() + ", PostgreSQL at "
                + stack.jdbcUrl().replaceAll("//[^@/]*@", "//"));
        if (infrastructureOnly) {
            System.out.println("dfmigrate: infrastructure ready (keys and API token in " + config.stateDir() + "); press Ctrl-C to stop");
            stopped.await();
            return;
        }
        System.out.println("dfmigrate: ready — orchestrator at " + stack.orchestratorUrl()
                + " (readiness " + stack.orchestratorUrl() + "/q/health/ready, API " + stack.orchestratorUrl() + "/api/migrations)");
        Path tokenFile = stack.apiTokenFile();
        System.out.println("dfmigrate: every API call needs the token: TOKEN=" + (tokenFile == null ? "\"$DFM_ORCHESTRATOR_API_TOKEN\""
                : "$(cat " + tokenFile + ")") + "; curl -H \"Authorization: Bearer $TOKEN\" " + stack.orchestratorUrl() + "/api/migrations");
        System.out.println("dfmigrate: press Ctrl-C to stop");
        stopped.await();
    }
}

package io.dfmigrate.localstack;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.HashMap;

/** One dfmigrate service started from its built artifact ({@code <module>/target/quarkus-app/quarkus-run.jar}). */
public final class ServiceProcess implements AutoCloseable {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private final String name;
    /** Where it is reached from this machine (its listening address, or loopback when it listens on every interface). */
    private final String host;
    private final int httpPort;
    /** Where its health and metrics are served: the workers' management interface, the orchestrator's HTTP port. */
    private final int managementPort;
    private final ManagedProcess process;

    private ServiceProcess(String name, String host, int httpPort, int managementPort, ManagedProcess process) {
        this.name = name;
        this.host = host;
        this.httpPort = httpPort;
        this.managementPort = managementPort;
        this.process = process;
    }

    /**
     * Starts {@code module}'s app as {@code name} on {@code httpPort} and waits for {@code /q/health/ready} on
     * {@code managementPort}: a worker's management interface (which listens where its HTTP server does), or
     * {@code httpPort} itself for the orchestrator, which serves health and metrics with its API.
     */
    public static ServiceProcess start(Path home, String module, String name, int httpPort, int managementPort, Map<String, String> env,
                                       Path logDir, String heap) {
        Path jar = home.resolve(module).resolve("target/quarkus-app/quarkus-run.jar");
        if (!Files.exists(jar)) {
            throw new StackException(jar + " is missing: build first with ./mvnw -DskipTests package");
        }
        List<String> cmd = new ArrayList<>(List.of(KafkaBroker.javaExecutable(), "-Xmx" + heap, "-XX:+UseSerialGC",
                "-jar", jar.toString()));
        Map<String, String> full = new HashMap<>(env);
        full.put("QUARKUS_HTTP_PORT", Integer.toString(httpPort));
        // only the orchestrator needs to be reachable from elsewhere, and only when the operator says so (DFM_HTTP_HOST)
        full.putIfAbsent("QUARKUS_HTTP_HOST", "127.0.0.1");
        if (managementPort != httpPort) {
            full.put("QUARKUS_MANAGEMENT_PORT", Integer.toString(managementPort));
            full.putIfAbsent("QUARKUS_MANAGEMENT_HOST", full.get("QUARKUS_HTTP_HOST"));
        }
        full.put("DFM_INSTANCE", name);
        ManagedProcess p = ManagedProcess.start(name, cmd, full, home, logDir.resolve(name + ".log"), "TERM");
        String host = full.get("QUARKUS_HTTP_HOST");
        ServiceProcess s = new ServiceProcess(name, host.equals("0.0.0.0") || host.equals("::") ? "127.0.0.1" : host, httpPort,
                managementPort, p);
        p.awaitReady(s::ready, Duration.ofSeconds(120));
        return s;
    }

    public boolean ready() {
        try {
            HttpResponse<Void> r = HTTP.send(HttpRequest.newBuilder(URI.create(managementUrl() + "/q/health/ready"))
                    .timeout(Duration.ofSeconds(2)).GET().build(), HttpResponse.BodyHandlers.discarding());
            return r.statusCode() == 200;
        } catch (Exception e) {
            return false;
        }
    }

    public String name() {
        return name;
    }

    public String baseUrl() {
        return "http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + httpPort;
    }

    /** Where {@code /q/health} and {@code /q/metrics} are: the management interface of a worker. */
    public String managementUrl() {
        return "http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + managementPort;
    }

    public int managementPort() {
        return managementPort;
    }

    public int httpPort() {
        return httpPort;
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** The service's process id (for RSS samples in benchmarks). */
    public long pid() {
        return process.pid();
    }

    public Path log() {
        return process.log();
    }

    /** Kills the service at once (SIGKILL), as a crash would. */
    public void kill() {
        process.kill();
    }

    public void stop() {
        process.stop(Duration.ofSeconds(30));
    }

    @Override
    public void close() {
        stop();
    }
}

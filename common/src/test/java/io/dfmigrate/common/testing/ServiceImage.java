package io.dfmigrate.common.testing;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.URI;
import java.net.UnixDomainSocketAddress;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.utility.DockerImageName;

/**
 * A service's container image (one the Kubernetes play built, e2e KubePlayTest) run with Testcontainers through podman's
 * Docker-compatible API ({@code DOCKER_HOST}, set by the e2e module's surefire configuration; this class starts
 * {@code podman system service} there when nothing answers). It runs as the Kubernetes manifests run it: user 185,
 * read-only root filesystem with a tmpfs on /tmp, settings only from the
 * environment, on the host's network (as the local overlay) so that it reaches the test's Kafka and PostgreSQL.
 */
public final class ServiceImage {
    private static Process podmanService;

    /** The clone's root (a module's tests run in the module's directory). */
    public static Path home() {
        return Path.of("..").toAbsolutePath().normalize();
    }

    /** A container of {@code image} with these settings, started, and the API socket it needs. */
    public static GenericContainer<?> start(String image, Map<String, String> env) {
        ensurePodmanApi();
        GenericContainer<?> c = new GenericContainer<>(DockerImageName.parse(image))
                .withNetworkMode("host")
                .withEnv(env)
                .withCreateContainerCmdModifier(cmd -> cmd.getHostConfig()
                        .withReadonlyRootfs(true)
                        .withTmpFs(Map.of("/tmp", "rw,size=64m"))
                        .withSecurityOpts(java.util.List.of("no-new-privileges")));
        c.start();
        return c;
    }

    /**
     * What the orchestrator image's container test asserts (the workers' images are checked in the Kubernetes play that
     * runs them, e2e KubePlayTest): started with {@code env} (plus its HTTP port) the container gets ready on that port, runs as user 185 on a read-only root filesystem; with a malformed DFM_SECRET_KEY it refuses to start
     * and names the setting. Returns the ready container (the caller closes it) for checks of its own.
     */
    public static GenericContainer<?> assertStartsFromTheEnvironment(String image, Map<String, String> env, int port) throws Exception {
        Map<String, String> bad = new java.util.HashMap<>(env);
        bad.putIfAbsent("QUARKUS_HTTP_HOST", "127.0.0.1"); // the host's network: not on every interface
        bad.put("QUARKUS_HTTP_PORT", Integer.toString(port));
        bad.put("DFM_SECRET_KEY", "not-a-key");
        try (GenericContainer<?> refused = start(image, bad)) {
            long end = System.nanoTime() + Duration.ofMinutes(3).toNanos();
            while (refused.isRunning() && System.nanoTime() < end) {
                sleep(500);
            }
            String logs = refused.getLogs();
            if (refused.isRunning() || !logs.contains("DFM_SECRET_KEY")) {
                throw new AssertionError("a malformed DFM_SECRET_KEY must stop the service with its name:\n" + logs);
            }
        }
        Map<String, String> good = new java.util.HashMap<>(env);
        good.putIfAbsent("QUARKUS_HTTP_HOST", "127.0.0.1");
        good.put("QUARKUS_HTTP_PORT", Integer.toString(port));
        GenericContainer<?> c = start(image, good);
        try {
            awaitReady(c, port, Duration.ofMinutes(3));
            String uid = c.execInContainer("id", "-u").getStdout().strip();
            if (!uid.equals("185")) {
                throw new AssertionError("runs as user " + uid + ", not 185");
            }
            var write = c.execInContainer("touch", "/deployments/x");
            if (write.getExitCode() == 0) {
                throw new AssertionError("the root filesystem is writable");
            }
            return c;
        } catch (Exception | AssertionError e) {
            c.close();
            throw e;
        }
    }

    /** Waits until {@code http://127.0.0.1:<port>/q/health/ready} answers 200; the container's log is in the failure. */
    public static void awaitReady(GenericContainer<?> c, int port, Duration limit) {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        long end = System.nanoTime() + limit.toNanos();
        String last = "no answer";
        while (System.nanoTime() < end) {
            if (!c.isRunning()) {
                throw new AssertionError("the container stopped before it was ready:\n" + c.getLogs());
            }
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/q/health/ready"))
                        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) {
                    return;
                }
                last = r.statusCode() + " " + r.body();
            } catch (IOException e) {
                last = e.toString();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
            sleep(500);
        }
        throw new AssertionError("not ready on port " + port + " within " + limit + " (" + last + "):\n" + c.getLogs());
    }

    /** Starts podman's Docker-compatible API on DOCKER_HOST's socket unless one answers there already; it ends with the JVM. */
    static synchronized void ensurePodmanApi() {
        String dockerHost = System.getenv("DOCKER_HOST");
        if (dockerHost == null || !dockerHost.startsWith("unix://")) {
            throw new IllegalStateException("DOCKER_HOST must name podman's socket (unix://…); the parent pom's failsafe configuration sets it");
        }
        Path socket = Path.of(dockerHost.substring("unix://".length()));
        if (answers(socket)) {
            return;
        }
        try {
            Files.deleteIfExists(socket);
            ProcessBuilder pb = new ProcessBuilder("podman", "system", "service", "--time=0", dockerHost)
                    .redirectErrorStream(true).redirectOutput(Path.of("target", "podman-service.log").toFile());
            pb.environment().putIfAbsent("CONTAINERS_CONF", home().resolve("deploy/images/containers.conf").toString());
            podmanService = pb.start();
        } catch (IOException e) {
            throw new IllegalStateException("cannot start podman system service (install podman and runc): " + e.getMessage(), e);
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> podmanService.destroy(), "podman-service-stop"));
        long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!answers(socket)) {
            if (System.nanoTime() > end || !podmanService.isAlive()) {
                throw new IllegalStateException("podman system service did not open " + socket + " (target/podman-service.log)");
            }
            sleep(200);
        }
    }

    private static boolean answers(Path socket) {
        if (!Files.exists(socket)) {
            return false;
        }
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            return ch.connect(UnixDomainSocketAddress.of(socket));
        } catch (IOException e) {
            return false;
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private ServiceImage() {
    }
}

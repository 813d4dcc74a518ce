package io.dfmigrate.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.dfmigrate.common.secret.SecretBox;
import io.dfmigrate.common.testing.ServiceImage;
import io.dfmigrate.localstack.Ports;
import io.dfmigrate.localstack.RedisServer;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Kubernetes manifests played for real, as docs/deploy.md tells users to: {@code deploy/kubernetes/play.sh up}
 * builds the images on bases made from Debian packages and runs Kafka, PostgreSQL and the local overlay with
 * {@code podman kube play} (podman + runc). A migration of mixed data with live writes runs
 * through three copier pods, one of which is killed mid-copy, then replication and cutover; source and target are
 * compared with DEBUG DIGEST. {@code play.sh down} leaves nothing running.
 */
class KubePlayTest {
    static final Path HOME = Path.of("..").toAbsolutePath().normalize();
    static final Path LOG = Path.of("target", "kube-play.log").toAbsolutePath();
    static final Map<String, String> ENV = new HashMap<>();
    static Api api;

    @BeforeAll
    static void up() throws Exception {
        Files.createDirectories(LOG.getParent());
        Files.deleteIfExists(LOG);
        // the play uses free ports and its own state, so that it does not depend on being alone on the machine
        ENV.put("DFM_STATE_DIR", Files.createTempDirectory(Path.of("/var/tmp"), "dfm-kube-play").toString());
        ENV.put("DFM_HTTP_PORT", Integer.toString(Ports.free()));
        ENV.put("DFM_VALIDATOR_PORT", Integer.toString(freeEveryTen(1)));
        ENV.put("DFM_COPIER_PORT", Integer.toString(freeEveryTen(3)));
        ENV.put("DFM_REPLICATOR_PORT", Integer.toString(freeEveryTen(1)));
        ENV.put("DFM_KAFKA_PORT", Integer.toString(Ports.free()));
        ENV.put("DFM_KAFKA_CONTROLLER_PORT", Integer.toString(Ports.free()));
        ENV.put("DFM_PG_PORT", Integer.toString(Ports.free()));
        ENV.put("DFM_SECRET_KEY", SecretBox.generateKey());
        ENV.put("DFM_EVENT_KEY", SecretBox.generateKey());
        ENV.put("DFM_ORCHESTRATOR_API_TOKEN", "play-" + SecretBox.generateKey().replaceAll("[^A-Za-z0-9]", ""));
        String out = play(Duration.ofMinutes(20), "up");
        assertTrue(out.contains("play: ready"), out);
        api = new Api("http://127.0.0.1:" + ENV.get("DFM_HTTP_PORT"), ENV.get("DFM_ORCHESTRATOR_API_TOKEN"));
        assertEquals(401, new Api("http://127.0.0.1:" + ENV.get("DFM_HTTP_PORT"), null).get("/api/migrations").status());
    }

    @AfterAll
    static void down() throws Exception {
        if (ENV.isEmpty()) {
            return;
        }
        String out = play(Duration.ofMinutes(5), "down");
        assertTrue(out.contains("nothing of the play is running"), out);
        assertEquals("", run(Duration.ofMinutes(1), "podman", "pod", "ps", "--noheading", "--filter", "name=^dfm-").strip(),
                "no pod left after play.sh down");
        assertFalse(Ports.isListening(Integer.parseInt(ENV.get("DFM_KAFKA_PORT"))), "Kafka stopped");
        assertFalse(Ports.isListening(Integer.parseInt(ENV.get("DFM_HTTP_PORT"))), "orchestrator stopped");
        assertFalse(Ports.isListening(Integer.parseInt(ENV.get("DFM_PG_PORT"))), "PostgreSQL stopped");
        run(Duration.ofMinutes(1), "rm", "-rf", ENV.get("DFM_STATE_DIR")); // Kafka's and PostgreSQL's data of this play
    }

    @Test
    void aMigrationThroughThePlayedPodsSurvivesACopierPodKilledMidCopyAndCutsOverWithNothingLost() throws Exception {
        String scaled = play(Duration.ofMinutes(10), "scale", "copier", "3");
        assertTrue(scaled.contains("copier: 3 pod(s) ready"), scaled);
        assertTrue(play(Duration.ofMinutes(1), "status").contains("dfm-copier-3-pod-0"));
        // a played worker serves health and metrics on its management interface (port + 1000) and nothing on its HTTP port
        int copier3 = Integer.parseInt(ENV.get("DFM_COPIER_PORT")) + 20;
        assertTrue(new Api("http://127.0.0.1:" + (copier3 + 1000), null).get("/q/metrics").body().contains("jvm_"));
        assertEquals(404, new Api("http://127.0.0.1:" + copier3, null).get("/q/metrics").status());
        Vertx vertx = Vertx.vertx();
        try (RedisServer source = RedisServer.start(); RedisServer target = RedisServer.start()) {
            AcceptanceTest.load(source); // every type, TTLs, 3 databases, streams, a big hash
            source.cli("DEBUG", "POPULATE", "200000", "key", "64");
            String id = api.create("kube-play", source.uri(), target.uri(), null);
            assertEquals(202, api.post("/api/migrations/" + id + "/validate", null).status());
            JsonNode validated = api.await(id, m -> !m.path("state").asText().equals("VALIDATING"), Duration.ofSeconds(120));
            assertEquals("VALIDATED", validated.get("state").asText(), validated.toString());

            AtomicBoolean writing = new AtomicBoolean(true);
            AtomicLong writes = new AtomicLong();
            Thread writer = Thread.ofVirtual().start(() -> DataPathAndRecoveryTest.write(vertx, source, writing, writes));
            try {
                // a warning may depend on the machine's load (a round trip over the latency threshold): acknowledged, shown on failure
                Api.Reply started = api.post("/api/migrations/" + id + "/start", "{\"acknowledgeWarnings\":true}");
                assertEquals(202, started.status(), started.body() + "; the check: " + validated.at("/validation/checks"));
                api.await(id, m -> m.at("/progress/batchesDone").asLong() >= 2, Duration.ofSeconds(300));
                run(Duration.ofMinutes(1), "podman", "pod", "kill", "dfm-copier-2-pod-0");
                JsonNode atKill = api.get("/api/migrations/" + id).json();
                assertEquals("COPYING", atKill.get("state").asText(), "the copier pod was killed mid-copy: " + atKill);
                assertTrue(atKill.at("/progress/keysCopied").asLong() < atKill.at("/progress/keysTotal").asLong() / 2, atKill.toString());
                // the surviving pods take over the killed pod's partitions; its unacknowledged batches are copied again
                JsonNode replicating = api.await(id, m -> m.path("state").asText().matches("REPLICATING|FAILED"), Duration.ofSeconds(600));
                assertEquals("REPLICATING", replicating.get("state").asText(), replicating.toString());
                assertEquals(replicating.at("/progress/batchesTotal").asLong(), replicating.at("/progress/batchesDone").asLong(),
                        replicating.toString());
                E2e.sleep(2000); // keep writing while replicating
            } finally {
                writing.set(false);
                writer.join();
            }
            assertTrue(writes.get() > 1000, "the writer made " + writes.get() + " writes");
            api.await(id, m -> m.at("/replication/pendingChanges").asLong(-1) == 0 && m.at("/replication/appliedChanges").asLong() > 0,
                    Duration.ofSeconds(120));
            Api.Reply cut = api.post("/api/migrations/" + id + "/complete", "{\"cutover\":true}");
            assertEquals(202, cut.status(), cut.body());
            JsonNode done = api.await(id, m -> m.path("state").asText().equals("FAILED")
                    || m.path("state").asText().equals("COMPLETED") && m.at("/cutover/state").asText().matches("DONE|MISMATCH"),
                    Duration.ofSeconds(120));
            assertEquals("COMPLETED", done.get("state").asText(), done.toString());
            assertEquals("DONE", done.at("/cutover/state").asText(), done.toString());
            AcceptanceTest.assertSame(source, target);
            assertTrue(play(Duration.ofMinutes(1), "status").contains("dfm-copier-2-pod-0"));
        } finally {
            vertx.close();
        }
        String scaledDown = play(Duration.ofMinutes(5), "scale", "copier", "1");
        assertTrue(scaledDown.contains("copier: 1 pod(s) ready"), scaledDown);
        assertEquals("", run(Duration.ofMinutes(1), "podman", "pod", "ps", "--noheading", "--filter", "name=^dfm-copier-[23]-pod").strip());
    }

    /**
     * What each image's own container test checked before it was folded in here (the play runs the same images): the
     * image's user is 185, the played container runs as 185 on a read-only root filesystem, and the image started with a
     * malformed DFM_SECRET_KEY stops and names the setting (nothing starts half-configured).
     */
    @Test
    void everyPlayedImageRunsAsUser185OnAReadOnlyRootAndStopsOnAMalformedSecretKey() throws Exception {
        for (String s : List.of("orchestrator", "validator", "copier", "replicator")) {
            String container = "dfm-" + s + "-pod-0-" + s;
            String image = run(Duration.ofMinutes(1), "podman", "inspect", "--format", "{{.ImageName}}", container).strip();
            assertTrue(image.startsWith("localhost/dfmigrate/" + s + ":"), image);
            assertEquals("185", run(Duration.ofMinutes(1), "podman", "image", "inspect", "--format", "{{.Config.User}}", image).strip(), image);
            assertEquals("185", run(Duration.ofMinutes(1), "podman", "exec", container, "id", "-u").strip(), container);
            assertTrue(exec(Duration.ofMinutes(1), "podman", "exec", container, "touch", "/deployments/x").exit() != 0,
                    container + ": the root filesystem is writable");
        }
        // the workers' three refusals at once (each is a JVM start that ends at the key check), beside the orchestrator's image
        // run through Testcontainers: refused with a malformed key, then a second orchestrator replica on the play's Kafka and
        // PostgreSQL that migrates nothing twice, gets ready and demands the token
        var refusals = new java.util.LinkedHashMap<String, java.util.concurrent.Future<Ran>>();
        try (var pool = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
            var orchestrator = pool.submit(() -> {
                orchestratorImageThroughTestcontainers();
                return null;
            });
            for (String s : List.of("validator", "copier", "replicator")) {
                String image = run(Duration.ofMinutes(1), "podman", "inspect", "--format", "{{.ImageName}}", "dfm-" + s + "-pod-0-" + s).strip();
                List<String> cmd = new java.util.ArrayList<>(List.of("podman", "run", "--rm", "--network", "host", "--read-only",
                        "--tmpfs", "/tmp", "--security-opt", "no-new-privileges",
                        "-e", "DFM_SECRET_KEY=not-a-key", "-e", "DFM_EVENT_KEY=" + ENV.get("DFM_EVENT_KEY"),
                        "-e", "KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:" + ENV.get("DFM_KAFKA_PORT"),
                        "-e", "QUARKUS_HTTP_HOST=127.0.0.1", "-e", "QUARKUS_HTTP_PORT=" + Ports.free(),
                        "-e", "QUARKUS_MANAGEMENT_HOST=127.0.0.1", "-e", "QUARKUS_MANAGEMENT_PORT=" + Ports.free()));
                cmd.add(image);
                refusals.put(s, pool.submit(() -> exec(Duration.ofMinutes(4), cmd.toArray(String[]::new))));
            }
            for (var e : refusals.entrySet()) {
                Ran refused = e.getValue().get();
                assertTrue(refused.exit() != 0 && refused.output().contains("DFM_SECRET_KEY"),
                        e.getKey() + ": a malformed DFM_SECRET_KEY must stop the service with its name:\n" + refused.output());
            }
            orchestrator.get();
        }
    }

    /**
     * The played orchestrator's image started by Testcontainers over podman's API ({@link ServiceImage}) with its settings
     * only in the environment: a malformed DFM_SECRET_KEY stops it naming the setting; with the play's settings it runs as
     * user 185 on a read-only root, gets ready, and answers 401 without the token and 200 with it.
     */
    static void orchestratorImageThroughTestcontainers() throws Exception {
        String image = run(Duration.ofMinutes(1), "podman", "inspect", "--format", "{{.ImageName}}", "dfm-orchestrator-pod-0-orchestrator").strip();
        int port = Ports.free();
        Map<String, String> env = Map.of("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:" + ENV.get("DFM_KAFKA_PORT"),
                "QUARKUS_DATASOURCE_JDBC_URL", "jdbc:postgresql://127.0.0.1:" + ENV.get("DFM_PG_PORT") + "/dfmigrate",
                "QUARKUS_DATASOURCE_USERNAME", "dfm", "DFM_SECRET_KEY", ENV.get("DFM_SECRET_KEY"), "DFM_EVENT_KEY", ENV.get("DFM_EVENT_KEY"),
                "DFM_ORCHESTRATOR_API_TOKEN", ENV.get("DFM_ORCHESTRATOR_API_TOKEN"));
        try (var c = ServiceImage.assertStartsFromTheEnvironment(image, env, port)) {
            assertEquals(401, new Api("http://127.0.0.1:" + port, null).get("/api/migrations").status());
            assertEquals(200, new Api("http://127.0.0.1:" + port, ENV.get("DFM_ORCHESTRATOR_API_TOKEN")).get("/api/migrations").status());
        }
    }

    /**
     * A free port p of a worker such that p + 10, p + 20 ... (pods 2..n of a service on the host's network) are free too,
     * and each one's management port (+1000).
     */
    static int freeEveryTen(int pods) {
        while (true) {
            int p = Ports.free();
            boolean all = p + 1000 + 10 * pods < 65536;
            for (int k = 0; all && k < pods; k++) {
                all = (k == 0 || !Ports.isListening(p + 10 * k)) && !Ports.isListening(p + 1000 + 10 * k);
            }
            if (all) {
                return p;
            }
        }
    }

    static String play(Duration limit, String... args) throws IOException, InterruptedException {
        String[] cmd = new String[args.length + 1];
        cmd[0] = HOME.resolve("deploy/kubernetes/play.sh").toString();
        System.arraycopy(args, 0, cmd, 1, args.length);
        return run(limit, cmd);
    }

    /** Runs a command in the clone's root with the play's settings and demands that it succeed; see {@link #exec}. */
    static String run(Duration limit, String... cmd) throws IOException, InterruptedException {
        Ran r = exec(limit, cmd);
        assertEquals(0, r.exit(), String.join(" ", cmd) + " failed:\n" + r.output());
        return r.output();
    }

    record Ran(int exit, String output) {
    }

    /** Runs a command in the clone's root with the play's settings; its output is appended to target/kube-play.log. */
    static Ran exec(Duration limit, String... cmd) throws IOException, InterruptedException {
        Path out = Files.createTempFile("dfm-play", ".out");
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd).directory(HOME.toFile()).redirectErrorStream(true).redirectOutput(out.toFile());
            pb.environment().putAll(ENV);
            pb.environment().put("CONTAINERS_CONF", HOME.resolve("deploy/images/containers.conf").toString());
            Process p = pb.start();
            boolean ended = p.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS);
            if (!ended) {
                p.descendants().forEach(ProcessHandle::destroy);
                p.destroy();
            }
            String text = Files.readString(out, StandardCharsets.UTF_8);
            Files.writeString(LOG, "$ " + String.join(" ", List.of(cmd)) + "\n" + text, StandardCharsets.UTF_8,
                    java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
            assertTrue(ended, String.join(" ", cmd) + " did not end within " + limit + ":\n" + text);
            return new Ran(p.exitValue(), text);
        } finally {
            Files.deleteIfExists(out);
        }
    }
}

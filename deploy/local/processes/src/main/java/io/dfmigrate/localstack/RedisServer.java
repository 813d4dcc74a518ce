package io.dfmigrate.localstack;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.io.InputStream;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;

/**
 * A {@code redis-server} process of our own (Debian's package; {@code DFM_REDIS_SERVER} to use another binary) on a
 * random port, for sources and targets in tests and demos. Nothing is persisted; {@code DEBUG} is enabled so tests can
 * compare data with {@code DEBUG DIGEST}.
 */
public final class RedisServer implements AutoCloseable {
    private final int port;
    private final Path dir;
    private final ManagedProcess process;

    private RedisServer(int port, Path dir, ManagedProcess process) {
        this.port = port;
        this.dir = dir;
        this.process = process;
    }

    /** Starts a redis-server with the extra arguments (e.g. {@code "--databases", "2"} or {@code "--requirepass", "x"}). */
    public static RedisServer start(String... extraArgs) {
        return startBinary(System.getenv().getOrDefault("DFM_REDIS_SERVER", "redis-server"), true, extraArgs);
    }

    /**
     * Starts another redis-server binary (e.g. an older version for cross-version tests); {@code debugCommand} adds
     * {@code --enable-debug-command yes}, which servers before 7.0 do not know (they allow DEBUG anyway).
     */
    public static RedisServer startBinary(String binary, boolean debugCommand, String... extraArgs) {
        return startBinary(binary, debugCommand, 0, extraArgs);
    }

    /** A redis-server on a given port (e.g. to bring a crashed source back at its address); 0 picks a free one. */
    public static RedisServer startOnPort(int fixedPort, String... extraArgs) {
        return startBinary(System.getenv().getOrDefault("DFM_REDIS_SERVER", "redis-server"), true, fixedPort, extraArgs);
    }

    /**
     * A Sentinel ({@code redis-server <config> --sentinel}) that monitors {@code master} as {@code masterName} with a
     * quorum of {@code quorum}; it rewrites its config file (in its own directory) as Sentinel does. {@link #cli} talks to
     * the sentinel, e.g. {@code SENTINEL GET-MASTER-ADDR-BY-NAME <name>}.
     */
    public static RedisServer startSentinel(String masterName, RedisServer master, int quorum) {
        int port = Ports.free();
        try {
            Path dir = Files.createTempDirectory("dfm-sentinel-" + port + "-");
            Path conf = dir.resolve("sentinel.conf");
            Files.writeString(conf, String.join("\n", "port " + port, "bind 127.0.0.1", "protected-mode no", "daemonize no",
                    "dir " + dir, "sentinel monitor " + masterName + " 127.0.0.1 " + master.port() + " " + quorum,
                    "sentinel down-after-milliseconds " + masterName + " 2000", "sentinel failover-timeout " + masterName + " 10000",
                    "") );
            String binary = System.getenv().getOrDefault("DFM_REDIS_SERVER", "redis-server");
            ManagedProcess p = ManagedProcess.start("sentinel:" + port, List.of(binary, conf.toString(), "--sentinel"), Map.of(), dir,
                    dir.resolve("sentinel.log"), "TERM");
            try {
                p.awaitReady(() -> Ports.isListening(port), Duration.ofSeconds(20));
            } catch (StackException e) {
                p.kill();
                throw e;
            }
            return new RedisServer(port, dir, p);
        } catch (IOException e) {
            throw new StackException("cannot write a sentinel config: " + e.getMessage(), e);
        }
    }

    /** Where {@code deploy/local/servers.sh} puts Debian trixie's redis-server 8.0 and valkey-server 8.1 (DESIGN §9). */
    public static Path trixieRoot() {
        String root = System.getenv("DFM_TRIXIE_ROOT");
        return Path.of(root != null && !root.isBlank() ? root : "/var/cache/dfmigrate/trixie-servers");
    }

    /**
     * Debian trixie's {@code redis-server} 8.0 ({@code "redis-server"}) or {@code valkey-server} 8.1
     * ({@code "valkey-server"}), run with {@code chroot} in the root that {@code deploy/local/servers.sh} builds (as root;
     * {@code deploy/local/test.sh} does so). Same network: the host's redis-cli and clients reach it on its port.
     */
    public static RedisServer startTrixie(String binary, String... extraArgs) {
        Path root = trixieRoot();
        if (!Files.isExecutable(root.resolve("usr/bin").resolve(binary))) {
            throw new StackException(binary + " of Debian trixie is not in " + root + ": run deploy/local/servers.sh as root "
                    + "(or set DFM_TRIXIE_ROOT to a root that has it)");
        }
        return startIn(root, List.of("chroot", root.toString(), "/usr/bin/" + binary), true, 0, extraArgs);
    }

    private static RedisServer startBinary(String binary, boolean debugCommand, int fixedPort, String... extraArgs) {
        return startIn(null, List.of(binary), debugCommand, fixedPort, extraArgs);
    }

    /** {@code root}: the server runs chrooted there (its directory is made inside it), else null. */
    private static RedisServer startIn(Path root, List<String> binary, boolean debugCommand, int fixedPort, String... extraArgs) {
        StackException last = null;
        for (int attempt = 0; attempt < 5; attempt++) {
            int port = fixedPort > 0 ? fixedPort : Ports.free();
            Path dir;
            try {
                dir = root == null ? Files.createTempDirectory("dfm-redis-" + port + "-")
                        : Files.createTempDirectory(Files.createDirectories(root.resolve("tmp")), "dfm-redis-" + port + "-");
            } catch (IOException e) {
                throw new StackException("cannot create a directory for redis-server: " + e.getMessage(), e);
            }
            String serverDir = root == null ? dir.toString() : "/" + root.relativize(dir);
            List<String> cmd = new ArrayList<>(binary);
            cmd.addAll(List.of("--port", Integer.toString(port), "--bind", "127.0.0.1",
                    "--save", "", "--appendonly", "no", "--daemonize", "no", "--dir", serverDir, "--protected-mode", "no",
                    "--repl-diskless-sync-delay", "0")); // a full sync (native REPLICAOF, copyMode=snapshot) starts at once
            if (debugCommand) {
                cmd.addAll(List.of("--enable-debug-command", "yes"));
            }
            cmd.addAll(List.of(extraArgs));
            ManagedProcess p = ManagedProcess.start(binary.get(binary.size() - 1) + ":" + port, cmd, Map.of(), dir, dir.resolve("redis.log"), "TERM");
            try {
                p.awaitReady(() -> Ports.isListening(port), Duration.ofSeconds(20));
                return new RedisServer(port, dir, p);
            } catch (StackException e) {
                p.kill();
                last = e;
            }
        }
        throw new StackException("redis-server did not start (is it installed? apt-get install redis-server): "
                + (last == null ? "" : last.getMessage()), last);
    }

    /**
     * A Linux x86-64 redis-server 6.2 for cross-version tests, extracted from {@code com.github.codemonstur:embedded-redis}
     * (which must be on the test classpath). A DUMP of Redis 7 is refused by it as Redis 7.4+ payloads are by Dragonfly.
     */
    public static String redis62Binary() {
        String resource = "/redis-server-6.2.6-v5-linux-amd64";
        try (InputStream in = RedisServer.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new StackException("redis-server 6.2 not on the classpath: add test dependency com.github.codemonstur:embedded-redis");
            }
            Path file = Files.createTempFile("redis-server-6.2-", "");
            Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
            file.toFile().setExecutable(true);
            file.toFile().deleteOnExit();
            return file.toString();
        } catch (IOException e) {
            throw new StackException("cannot extract redis-server 6.2: " + e.getMessage(), e);
        }
    }

    public int port() {
        return port;
    }

    public String host() {
        return "127.0.0.1";
    }

    /** {@code redis://127.0.0.1:<port>}. */
    public String uri() {
        return "redis://127.0.0.1:" + port;
    }

    /** Runs {@code redis-cli} against this server and returns its raw output (for test set-up and checks). */
    public String cli(String... args) {
        List<String> cmd = new ArrayList<>(List.of("redis-cli", "-h", "127.0.0.1", "-p", Integer.toString(port)));
        cmd.addAll(List.of(args));
        return ManagedProcess.run("redis-cli " + String.join(" ", args), cmd, Duration.ofSeconds(60)).strip();
    }

    /** Kills the server at once, as a crash would. */
    public void kill() {
        process.kill();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    @Override
    public void close() {
        process.stop(Duration.ofSeconds(10));
        try (var files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException ignored) {
            // a temp dir left behind is harmless
        }
    }
}

package io.dfmigrate.localstack;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.nio.file.attribute.PosixFileAttributeView;

/**
 * A PostgreSQL server of our own from Debian's binaries ({@code apt-get install postgresql}; {@code DFM_PG_BIN}
 * to point elsewhere), its data in {@code dir}. PostgreSQL refuses to run as root, so when we are root it runs as
 * the {@code postgres} system user, with its data where that user can reach it ({@link #placeForPostgres}). Local-only: it listens on 127.0.0.1 with trust authentication.
 */
public final class PostgresServer extends InfrastructureProcess {
    public static final String DATABASE = "dfmigrate";
    public static final String USER = "dfm";

    private final Path dir;
    private final int port;
    private final boolean fsync;

    public PostgresServer(Path dir, int port, boolean fsync) {
        this.dir = dir;
        this.port = port;
        this.fsync = fsync;
    }

    public String jdbcUrl() {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + DATABASE;
    }

    /**
     * A new, empty database on this server, for tests that share one server but not its data (each Quarkus test class of
     * the orchestrator its own schema); returns its JDBC URL.
     */
    public String createDatabase(String name) {
        if (!name.matches("[a-z][a-z0-9_]{0,62}")) {
            throw new IllegalArgumentException("not a plain database name: " + name);
        }
        ManagedProcess.run("createdb " + name, List.of(binDir().resolve("createdb").toString(), "-h", "127.0.0.1", "-p",
                Integer.toString(port), "-U", USER, name), Duration.ofSeconds(30));
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + name;
    }

    public int port() {
        return port;
    }

    public PostgresServer start() {
        Path bin = binDir();
        boolean root = "root".equals(System.getProperty("user.name"));
        Path pg = root ? placeForPostgres(dir) : dir;
        Path data = pg.resolve("data");
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new StackException("cannot prepare " + dir + ": " + e.getMessage(), e);
        }
        if (!Files.exists(data.resolve("PG_VERSION"))) {
            ManagedProcess.run("initdb", asPostgres(root, List.of(bin.resolve("initdb").toString(), "-D", data.toString(),
                    "-U", USER, "--auth=trust", "-E", "UTF8", "--no-locale")), Duration.ofMinutes(2));
        }
        List<String> cmd = asPostgres(root, List.of(bin.resolve("postgres").toString(), "-D", data.toString(),
                "-p", Integer.toString(port), "-k", pg.toString(), "-c", "listen_addresses=127.0.0.1",
                "-c", "fsync=" + (fsync ? "on" : "off"), "-c", "max_connections=100"));
        process = ManagedProcess.start("postgresql", cmd, Map.of(), pg, dir.resolve("postgresql.log"), "INT");
        process.awaitReady(() -> Ports.isListening(port) && isReady(bin), Duration.ofSeconds(60));
        String exists = ManagedProcess.run("psql", List.of(bin.resolve("psql").toString(), "-h", "127.0.0.1", "-p",
                Integer.toString(port), "-U", USER, "-d", "postgres", "-tAc",
                "SELECT 1 FROM pg_database WHERE datname='" + DATABASE + "'"), Duration.ofSeconds(30)).strip();
        if (!exists.equals("1")) {
            ManagedProcess.run("createdb", List.of(bin.resolve("createdb").toString(), "-h", "127.0.0.1", "-p",
                    Integer.toString(port), "-U", USER, DATABASE), Duration.ofSeconds(30));
        }
        return this;
    }

    /**
     * As root, PostgreSQL runs as the {@code postgres} user, which must own its data directory and reach it. When
     * {@code dir} is somewhere that user cannot reach (a clone or state directory under {@code /root}, mode 0700), the data
     * goes to {@code $DFM_PG_DATA_BASE/dfmigrate-postgres-<hash of dir>} ({@code /var/tmp} by default: it survives
     * reboots), owned by {@code postgres} with mode 0700, and {@code dir/postgres-location} says where.
     */
    static Path placeForPostgres(Path dir) {
        try {
            Files.createDirectories(dir);
            chownRecursive(dir, "postgres");
            if (postgresCanWrite(dir)) {
                return dir;
            }
            String base = System.getenv().getOrDefault("DFM_PG_DATA_BASE", "/var/tmp");
            String hash = Integer.toHexString(dir.toAbsolutePath().normalize().toString().hashCode());
            Path elsewhere = Path.of(base, "dfmigrate-postgres-" + hash);
            Files.createDirectories(elsewhere);
            chownRecursive(elsewhere, "postgres");
            Files.setPosixFilePermissions(elsewhere, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
            if (!postgresCanWrite(elsewhere)) {
                throw new StackException("PostgreSQL runs as user 'postgres' (it refuses root) and can write neither " + dir + " nor "
                        + elsewhere + "; set DFM_PG_DATA_BASE to a directory that user can reach");
            }
            Files.writeString(dir.resolve("postgres-location"), elsewhere + System.lineSeparator());
            return elsewhere;
        } catch (IOException e) {
            throw new StackException("cannot prepare a data directory for PostgreSQL (" + dir + "): " + e.getMessage(), e);
        }
    }

    private static boolean postgresCanWrite(Path dir) {
        try {
            ManagedProcess.run("access check for the postgres user",
                    List.of("setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "test", "-w", dir.toString()),
                    Duration.ofSeconds(10));
            return true;
        } catch (StackException e) {
            return false;
        }
    }

    private boolean isReady(Path bin) {
        try {
            ManagedProcess.run("pg_isready", List.of(bin.resolve("pg_isready").toString(), "-h", "127.0.0.1", "-p",
                    Integer.toString(port), "-U", USER), Duration.ofSeconds(5));
            return true;
        } catch (StackException e) {
            return false;
        }
    }

    private static List<String> asPostgres(boolean root, List<String> cmd) {
        if (!root) {
            return cmd;
        }
        List<String> out = new ArrayList<>(List.of("setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups"));
        out.addAll(cmd);
        return out;
    }

    private static void chownRecursive(Path dir, String user) throws IOException {
        UserPrincipalLookupService lookup = dir.getFileSystem().getUserPrincipalLookupService();
        var owner = lookup.lookupPrincipalByName(user);
        var group = lookup.lookupPrincipalByGroupName(user);
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) all::iterator) {
                Files.setOwner(p, owner);
                Files.getFileAttributeView(p, PosixFileAttributeView.class).setGroup(group);
            }
        }
    }

    /** {@code DFM_PG_BIN}, else the newest {@code /usr/lib/postgresql/<version>/bin}. */
    static Path binDir() {
        String env = System.getenv("DFM_PG_BIN");
        if (env != null && !env.isBlank()) {
            return Path.of(env);
        }
        Path base = Path.of("/usr/lib/postgresql");
        try (Stream<Path> versions = Files.list(base)) {
            return versions.filter(p -> Files.isExecutable(p.resolve("bin/postgres")))
                    .max(Comparator.comparingInt(p -> parseVersion(p.getFileName().toString())))
                    .map(p -> p.resolve("bin"))
                    .orElseThrow(() -> new StackException("no PostgreSQL server binaries under " + base
                            + ": run 'apt-get install postgresql', set DFM_PG_BIN, or set DFM_DB_URL to use your own PostgreSQL"));
        } catch (IOException e) {
            throw new StackException("no PostgreSQL server binaries (" + base + " is missing): run 'apt-get install postgresql',"
                    + " set DFM_PG_BIN, or set DFM_DB_URL to use your own PostgreSQL");
        }
    }

    private static int parseVersion(String s) {
        try {
            return Integer.parseInt(s);
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}

package io.dfmigrate.e2e;

import io.dfmigrate.localstack.LocalStack;
import io.dfmigrate.localstack.RedisServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.HashMap;

/** What the end-to-end classes share: the stack as run.sh starts it, and small measuring helpers. */
final class E2e {
    /**
     * The settings of the stack the data-path classes share (AcceptanceTest, DataPathAndRecoveryTest, ProductionScaleTest):
     * big keys copied by type from 1 MB, the DBSIZE drift watch every 3 s, a silent capture taken over after 8 s, a stall
     * shown after 10 s, the replicator's Redis calls bounded by 5 s, a lost source's capture given up after 20 s: each class's tests need one of them, none is hurt by the
     * others, and one stack instead of three saves two boots of Kafka, PostgreSQL and four services.
     */
    static final Map<String, String> SHARED_ENV = Map.of("DFM_COPIER_BIG_KEY_BYTES", "1000000",
            "DFM_ORCHESTRATOR_DRIFT_CHECK_INTERVAL", "3s", "DFM_ORCHESTRATOR_CAPTURE_TIMEOUT", "8s",
            "DFM_ORCHESTRATOR_STALL_TIMEOUT", "10s", "DFM_REPLICATOR_TIMEOUT", "5s", "DFM_REPLICATOR_CAPTURE_RESUBSCRIBE", "20s");
    private static LocalStack shared;

    /**
     * The stack the data-path classes share, started by the first that asks and stopped with the test JVM (LocalStack's
     * shutdown hook). A class must leave it as it found it: every service running, no live migration left.
     */
    static synchronized LocalStack sharedStack() {
        if (shared == null) {
            shared = startStack(SHARED_ENV);
        }
        return shared;
    }

    /**
     * The shared stack as the next class expects it: the four services running (one restarted if a test killed it),
     * no second instance (copier-2, replicator-2 …) left running.
     */
    static void restoreServices(LocalStack stack) {
        for (String name : stack.serviceNames()) {
            if (!LocalStack.SERVICES.contains(name)) {
                stack.service(name).stop();
            } else if (!stack.service(name).isAlive()) {
                stack.startService(name, name, stack.service(name).httpPort());
            }
        }
    }

    /** Stops what a class left live on the shared stack (a test that failed half way), so the next class starts clean. */
    static void stopLiveMigrations(Api api) {
        api.get("/api/migrations?limit=500").json().forEach(m -> {
            if (m.path("state").asText().matches("VALIDATING|COPYING|REPLICATING")) {
                api.post("/api/migrations/" + m.get("id").asText() + "/stop", null);
            }
        });
    }

    /** Kafka, PostgreSQL and the four services from their built artifacts, state under e2e/target. */
    static LocalStack startStack(Map<String, String> extraEnv) {
        Path home = Path.of("..").toAbsolutePath().normalize();
        Map<String, String> env = new HashMap<>(extraEnv);
        // a loaded 2-core machine sees round trips over the 50 ms latency warning, and a start without acknowledgement then
        // gets a 409 (a CI run's migration stayed VALIDATED): the warning's own test is in the validator's module
        env.putIfAbsent("DFM_VALIDATOR_LATENCY_WARNING", "1s");
        return new LocalStack(LocalStack.Config.forTests(home, LocalStack.testStateDir(Path.of("target"))).withExtraEnv(env)).start();
    }

    /** Service settings a benchmark passes on: {@code -Ddfm.benchmark.env="DFM_COPIER_SCAN_COUNT=5000;DFM_COPIER_CONCURRENCY=16"}. */
    static Map<String, String> benchmarkEnv() {
        Map<String, String> env = new HashMap<>();
        for (String kv : System.getProperty("dfm.benchmark.env", "").split(";")) {
            if (kv.contains("=")) {
                env.put(kv.substring(0, kv.indexOf('=')).strip(), kv.substring(kv.indexOf('=') + 1).strip());
            }
        }
        return env;
    }

    /** Waits until {@code condition} holds, polling; fails naming {@code what}. */
    static void await(java.util.function.BooleanSupplier condition, Duration timeout, String what) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting until " + what);
            }
            sleep(200);
        }
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Keys in every database of {@code server} (INFO keyspace). */
    static long keyCount(RedisServer server) {
        long keys = 0;
        for (String line : server.cli("INFO", "keyspace").split("\n")) {
            if (line.startsWith("db")) {
                keys += Long.parseLong(line.replaceAll(".*keys=(\\d+),.*", "$1").strip());
            }
        }
        return keys;
    }

    /** Seconds a native full sync of {@code source} into {@code replica} takes (diskless, no delay); the replica is detached after. */
    static double nativeFullSyncSeconds(RedisServer source, RedisServer replica) {
        source.cli("CONFIG", "SET", "repl-diskless-sync-delay", "0");
        long t0 = System.nanoTime();
        replica.cli("REPLICAOF", "127.0.0.1", Integer.toString(source.port()));
        while (true) {
            String info = replica.cli("INFO", "replication");
            if (info.contains("master_link_status:up") && info.contains("master_sync_in_progress:0")) {
                break;
            }
            sleep(5);
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        replica.cli("REPLICAOF", "NO", "ONE");
        return seconds;
    }

    private E2e() {
    }
}

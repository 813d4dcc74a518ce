package io.dfmigrate.e2e;

import io.dfmigrate.localstack.LocalStack;
import io.dfmigrate.localstack.RedisServer;
import java.nio.file.Path;
import java.util.Map;
import java.util.HashMap;

/** What the end-to-end classes share: the stack as run.sh starts it, and small measuring helpers. */
final class E2e {
    /** Kafka, PostgreSQL and the four services from their built artifacts, state under e2e/target. */
    static LocalStack startStack(Map<String, String> extraEnv) {
        Path home = Path.of("..").toAbsolutePath().normalize();
        return new LocalStack(LocalStack.Config.forTests(home, LocalStack.testStateDir(Path.of("target"))).withExtraEnv(extraEnv)).start();
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

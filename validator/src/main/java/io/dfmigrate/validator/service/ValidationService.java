package io.dfmigrate.validator.service;

import static io.dfmigrate.common.event.Severity.ERROR;
import static io.dfmigrate.common.event.Severity.INFO;
import static io.dfmigrate.common.event.Severity.WARNING;

import io.dfmigrate.common.endpoint.RedisEndpoint;
import io.dfmigrate.common.event.MigrationOptions;
import io.dfmigrate.common.redis.KeyspaceNotifications;
import io.dfmigrate.common.redis.AclUsers;
import io.dfmigrate.common.redis.BlockingRedis;
import io.dfmigrate.common.redis.CopyModes;
import io.dfmigrate.common.redis.KeySync;
import io.dfmigrate.common.redis.SourceServers;
import io.dfmigrate.common.event.ValidationCheck;
import io.dfmigrate.validator.config.ValidatorConfig;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;

/**
 * Pre-flight checks of a source and a target (docs/validation.md lists them). Source and target are probed in
 * parallel, every call bounded by {@code dfm.validator.timeout}. Never writes to the source; on the target it writes
 * and deletes one uniquely named probe key. Dragonfly's limits apply when the target is Dragonfly or when
 * {@code options.targetProfile} is {@code dragonfly}.
 */
@ApplicationScoped
public class ValidationService {

    private final Vertx vertx;
    private final ValidatorConfig config;

    public ValidationService(Vertx vertx, ValidatorConfig config) {
        this.vertx = vertx;
        this.config = config;
    }

    public List<ValidationCheck> validate(RedisEndpoint source, RedisEndpoint target, MigrationOptions options) {
        MigrationOptions o = options == null ? MigrationOptions.DEFAULTS : options.withDefaults();
        Duration timeout = config.timeout();
        EndpointProbe src;
        EndpointProbe tgt;
        double writesPerSecond;
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            Future<EndpointProbe> s = pool.submit(() -> EndpointProbe.run(vertx, "source", source, timeout));
            Future<EndpointProbe> t = pool.submit(() -> EndpointProbe.run(vertx, "target", target, timeout));
            Future<Double> w = pool.submit(() -> WriteRate.perSecond(vertx, source, config.writeRateWindow(), timeout));
            src = s.get();
            tgt = t.get();
            writesPerSecond = w.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("validation interrupted", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("validation failed: " + e.getCause(), e.getCause());
        }
        Report r = new Report();
        long clusterMemory = 0;
        connectivity(src, r);
        connectivity(tgt, r);
        boolean dragonfly = tgt.isDragonfly() || "dragonfly".equals(o.targetProfile());
        if (src.reachable()) {
            r.add("identity.source", INFO, "source is " + src.product() + " with " + src.totalKeys() + " key(s) in "
                    + src.keyspace().size() + " database(s)", null);
            if (source.cluster()) {
                clusterMemory = ClusterChecks.check(vertx, source, o, timeout, r); // any node names the masters, each is checked
            } else {
                ServerChecks.sourceRole(src, r);
                ServerChecks.sourceTopology(source, src, r);
            }
            if (src.totalKeys() == 0) {
                r.add("source.empty", WARNING, "the source has no keys: there is nothing to copy yet",
                        "check that the source URI points at the right server; new writes will still be replicated");
            }
        }
        if (tgt.reachable()) {
            String how = tgt.isDragonfly() ? "" : dragonfly
                    ? " (not Dragonfly; Dragonfly's limits are applied because targetProfile=dragonfly)"
                    : " (not Dragonfly: any RESP-compatible server can be a target)";
            r.add("identity.target", INFO, "target is " + tgt.product() + how, null);
            ServerChecks.role(tgt, r);
            ServerChecks.targetEmpty(tgt, o, r);
        }
        if (!src.reachable()) {
            return r.checks;
        }
        List<Integer> dbs = o.dbs().isEmpty() ? List.copyOf(src.keyspace().keySet()) : o.dbs();
        List<KeySampler.Sample> samples;
        try {
            samples = KeySampler.sample(vertx, source, dbs.stream().filter(src.keyspace()::containsKey).toList(), config.sampleKeys(),
                    timeout);
        } catch (RuntimeException e) {
            samples = List.of();
            r.add("sample.source", WARNING, "could not sample the source's keys: " + e.getMessage(),
                    "grant the source user +scan +type +pttl +memory|usage and the length commands, or accept unchecked data");
        }
        if (tgt.reachable()) {
            ServerChecks.databases(src, tgt, dbs, dragonfly, r);
            ServerChecks.memory(tgt, r, clusterMemory > 0 ? clusterMemory : src.infoLong("used_memory"));
            copyMethod(source, target, samples, dragonfly, r);
        }
        if (o.snapshotCopy() || MigrationOptions.COPY_AUTO.equals(o.copyMode())) {
            snapshotCopy(source, o, src, r);
        }
        if (!o.snapshotCopy()) {
            readPath(source, samples, r); // auto may scan
        }
        CompatibilityChecks.modules(src, samples, r);
        CompatibilityChecks.functions(src, dragonfly, r);
        CompatibilityChecks.hashFieldTtls(src, tgt, dragonfly, r);
        if (dragonfly) {
            CompatibilityChecks.limit(samples, s -> s.type().equals("string") && s.elements() > config.maxStringBytes(), "strings.too-big",
                    "string(s) larger than Dragonfly's 256 MB limit", s -> s.elements() + " bytes",
                    "split those values, or leave them out with options.keyPattern", r);
            CompatibilityChecks.limit(samples, s -> s.pttl() > config.maxTtl().toMillis(), "ttl.too-long",
                    "key(s) with a TTL above Dragonfly's 8-year limit", s -> (s.pttl() / 86_400_000L) + " days",
                    "shorten those TTLs (EXPIRE) or remove them (PERSIST) before migrating", r);
            CompatibilityChecks.commandCompatibility(src, r);
        } else if (tgt.reachable()) {
            try (BlockingRedis t = BlockingRedis.connect(vertx, target, 0, timeout)) {
                CompatibilityChecks.targetCommands(src, t, r);
            } catch (RuntimeException e) {
                r.add("compat.commands", INFO, "could not ask the target which of the source's commands it has: " + e.getMessage(), null);
            }
        }
        capture(src, o, r);
        captureRate(writesPerSecond, r);
        if (tgt.reachable()) {
            guard(target, o, r);
        }
        boolean settings = o.migrateConfig() != null && !o.migrateConfig().keys().isEmpty();
        CompatibilityChecks.notMigrated(src, tgt, Boolean.TRUE.equals(o.migrateUsers()), settings,
                dragonfly && Boolean.TRUE.equals(o.migrateUsers()) ? usersWithPassword(source) : null, r);
        if (settings && tgt.reachable()) {
            try (BlockingRedis s = BlockingRedis.connect(vertx, SourceServers.of(vertx, source, config.timeout()).get(0), 0, config.timeout());
                 BlockingRedis t = BlockingRedis.connect(vertx, target, 0, config.timeout())) {
                CompatibilityChecks.configPlan(s, t, o.migrateConfig(), src, dragonfly, r);
            } catch (RuntimeException e) {
                r.add("config.plan", WARNING, "options.migrateConfig: the settings could not be read: " + e.getMessage(),
                        "grant both users +config|get (and the target user +config|set)");
            }
        }
        bigKeys(samples, r);
        return r.checks;
    }

    /**
     * The target write guard needs the target user to manage ACL users (ACL LIST, SETUSER, DELUSER); says whose writes it
     * will refuse, or, without the guard, that keeping applications off the target is up to the operator.
     */
    private void guard(RedisEndpoint target, MigrationOptions o, Report r) {
        if (!Boolean.TRUE.equals(o.guardTarget())) {
            r.add("guard.target", INFO, "options.guardTarget=false: nothing stops applications from writing to the target during the "
                    + "migration, and such writes may be overwritten", "keep applications from writing to the target until the cutover "
                    + "has completed");
            return;
        }
        try (BlockingRedis t = BlockingRedis.connect(vertx, target, 0, config.timeout())) {
            List<AclUsers.User> users = AclUsers.list(t).stream().filter(AclUsers.User::on).toList();
            String names = users.stream().map(AclUsers.User::name).collect(Collectors.joining(", "));
            r.add("guard.target", INFO, "from start to cutover, writes to the target by " + (users.isEmpty() ? "any user" : "user(s) " + names)
                    + " will be refused (ACL -@write); the migration writes as an ACL user of its own, dfmigrate-<migration id>", null);
        } catch (RuntimeException e) {
            r.add("guard.target", ERROR, "the target write guard (options.guardTarget, on by default) needs ACL rights the target user "
                    + "does not have: " + e.getMessage(), "grant the target user +@admin (or at least +acl), or create the migration with "
                    + "options.guardTarget=false and keep applications from writing to the target until the cutover has completed");
        }
    }

    private void connectivity(EndpointProbe p, Report r) {
        String id = "connectivity." + p.role();
        if (p.reachable()) {
            r.add(id, INFO, String.format(Locale.ROOT, "%s %s reachable%s, round trip %.2f ms", p.role(), p.endpoint().address(),
                    p.endpoint().tls() ? " over TLS" : "", p.latencyMillis()), null);
            if (p.latencyMillis() > config.latencyWarning().toNanos() / 1_000_000.0) {
                r.add("latency." + p.role(), WARNING, String.format(Locale.ROOT, "%s round trip is %.1f ms; the copy will be slow",
                        p.role(), p.latencyMillis()),
                        "run dfmigrate's copier close to the " + p.role() + " (same region/zone), or accept a longer copy");
            }
            return;
        }
        String err = p.error();
        String lower = err.toLowerCase(Locale.ROOT);
        String remediation;
        if (lower.contains("not allowed:") && lower.contains("verify=none")) {
            remediation = "give the server's CA (the endpoint's caPem, or ?ca=/path on every worker) instead of ?verify=none, or let dfmigrate skip the certificate checks with "
                    + "DFM_ALLOW_INSECURE_TLS=true on every service (tests only)";
        } else if (lower.contains("not allowed:")) {
            remediation = "dfmigrate does not connect there: if the " + p.role() + " is right, add its address range or host name to "
                    + "DFM_ALLOWED_ENDPOINTS on every dfmigrate service";
        } else if (lower.contains("wrongpass") || lower.contains("invalid password") || lower.contains("invalid username")) {
            remediation = "the user or password in the " + p.role() + " URI is wrong: check both (redis://user:password@host:port)";
        } else if (lower.contains("noauth") || lower.contains("authentication required")) {
            remediation = "the " + p.role() + " requires a password: add it to the URI (redis://:password@host:port)";
        } else if (lower.contains("noperm") || lower.contains("no permissions")) {
            remediation = "the ACL user of the " + p.role() + " lacks permissions: grant it at least +@read +@keyspace +info +ping"
                    + (p.role().equals("target") ? " +@write" : "");
        } else if (lower.contains("refused")) {
            remediation = "nothing listens on " + p.endpoint().address() + ": check host and port, and that the server runs";
        } else if (lower.contains("ssl") || lower.contains("tls") || lower.contains("certificate") || lower.contains("handshake")
                || lower.contains("pkix")) {
            remediation = "TLS failed: use rediss:// only for TLS ports and the host name the certificate names, give the server's CA as "
                    + "the endpoint's caPem (PEM content) or ?ca=/path/ca.pem "
                    + "(or ?verify=none to test without verification)";
        } else if (lower.contains("timed out") || lower.contains("timeout")) {
            remediation = "no answer from " + p.endpoint().address() + " in time: check firewalls, security groups and the host name"
                    + (p.endpoint().tls() ? "" : ", and whether the port expects TLS (rediss://)");
        } else if (lower.contains("unknown host") || lower.contains("unresolved") || lower.contains("nodename")
                || lower.contains("failed to resolve")) {
            remediation = "the host name of the " + p.role() + " does not resolve: check it";
        } else {
            remediation = "check that the " + p.role() + " URI is right and the server is reachable from the dfmigrate services";
        }
        r.add(id, ERROR, p.role() + " " + p.endpoint().address() + " is not usable: " + err, remediation);
    }

    /** The source's users that have a password (for a target that takes no hash); empty when ACL LIST may not be read. */
    private List<String> usersWithPassword(RedisEndpoint source) {
        try (BlockingRedis s = BlockingRedis.connect(vertx, SourceServers.of(vertx, source, config.timeout()).get(0), 0, config.timeout())) {
            return AclUsers.withPassword(s);
        } catch (RuntimeException e) {
            return List.of();
        }
    }

    /** The copy reads keys with a read-only script; a source that refuses it is read with slower pipelines. */
    private void readPath(RedisEndpoint source, List<KeySampler.Sample> samples, Report r) {
        byte[] key = samples.isEmpty() ? "dfm:probe:absent".getBytes(StandardCharsets.UTF_8) : samples.get(0).key();
        try (BlockingRedis s = BlockingRedis.connect(vertx, source, samples.isEmpty() ? 0 : samples.get(0).db(), config.timeout())) {
            BlockingRedis.Result res = s.pipeline(List.of(Request.cmd(Command.EVAL)
                    .arg(KeySync.READ_SCRIPT).arg(1).arg(Buffer.buffer(key))
                    .arg(1).arg(1))).get(0);
            if (res.ok()) {
                r.add("copy.read", INFO, "keys are read with one read-only script call per 1,000 keys (PTTL and DUMP together)", null);
            } else {
                r.add("copy.read", INFO, "the source refuses the copier's read-only script (" + res.error() + "): keys will be read "
                        + "with pipelined PTTL, MEMORY USAGE and DUMP, which is slower", "grant the source user +@scripting (EVAL_RO, "
                        + "EVALSHA_RO, EVAL, EVALSHA) with +pttl +dump +memory|usage, or accept the slower copy");
            }
        } catch (RuntimeException e) {
            r.add("copy.read", INFO, "could not try the copier's read script on the source: " + e.getMessage(), null);
        }
    }

    /**
     * {@code copyMode=snapshot}, or {@code auto}: the source must write an RDB the reader parses (Redis up to 8.4, Valkey up
     * to 8.x) and its user may PSYNC and REPLCONF ({@link CopyModes#snapshotBlocker}, which the copier asks too); the
     * snapshot costs the source a fork and holds writes in its replica output buffer. For {@code auto} the check reports
     * which copy the copier will take and why; what blocks the snapshot then is no error, the copy scans instead.
     */
    private void snapshotCopy(RedisEndpoint source, MigrationOptions o, EndpointProbe s, Report r) {
        CopyModes.Blocker blocker;
        try (BlockingRedis b = BlockingRedis.connect(vertx, source, 0, config.timeout())) {
            blocker = CopyModes.snapshotBlocker(o, source, b);
        } catch (RuntimeException e) {
            blocker = new CopyModes.Blocker("the source could not be asked (" + e.getMessage() + ")", false,
                    "make sure the source user has +psync +replconf, or use copyMode 'scan'");
        }
        boolean auto = MigrationOptions.COPY_AUTO.equals(o.copyMode());
        if (auto) {
            r.add("copy.mode", INFO, blocker == null ? "copyMode auto: the copy will read the source's RDB snapshot (readable, and the "
                    + "source user may PSYNC and REPLCONF)" : "copyMode auto: the copy will scan the source: " + blocker.reason(),
                    blocker == null || !blocker.remediation().contains("+psync") ? null
                            : blocker.remediation().replace(", or use copyMode 'scan'", "") + ": then the copy reads the snapshot");
            if (blocker != null) {
                return;
            }
        } else if (blocker != null) {
            r.add("copy.snapshot", blocker.certain() ? ERROR : WARNING, (blocker.certain() ? "copyMode 'snapshot' cannot be used: "
                    : "copyMode 'snapshot': ") + blocker.reason(), blocker.remediation());
            return;
        }
        String buffer = s.config().getOrDefault("client-output-buffer-limit", "");
        String replica = buffer.replaceAll(".*(?:slave|replica) (\\S+ \\S+ \\S+).*", "$1");
        r.add("copy.snapshot", INFO, "the initial copy reads the source's RDB snapshot as a replica would: the source forks once "
                + "(copy-on-write memory grows with the writes made while the snapshot is written), waits repl-diskless-sync-delay "
                + "first when it streams diskless, and holds the writes made meanwhile in its replica output buffer"
                + (replica.equals(buffer) || replica.isEmpty() ? "" : " (limit " + replica + ": past it the source drops the link and "
                + "the copier reads the snapshot again)"), null);
    }

    private void copyMethod(RedisEndpoint source, RedisEndpoint target, List<KeySampler.Sample> samples, boolean dragonfly, Report r) {
        KeySampler.Sample probe = samples.stream().filter(s -> KeySampler.CORE_TYPES.contains(s.type()))
                .min(Comparator.comparingLong(KeySampler.Sample::bytes)).orElse(null);
        CopyProbe.Result p = CopyProbe.run(vertx, source, target, probe, config.timeout());
        switch (p.outcome()) {
            case RESTORE_WORKS -> {
                if (dragonfly && p.rdbVersion() > 12) {
                    r.add("copy.method", INFO, "the source writes DUMP payloads of RDB version " + p.rdbVersion()
                            + ", newer than Dragonfly accepts (12): payloads of types Dragonfly knows are re-stamped with version 12 "
                            + "and RESTOREd; hashes with field TTLs are copied structurally by type (slower)", null);
                } else {
                    r.add("copy.method", INFO, "DUMP/RESTORE works between source and target (RDB version " + p.rdbVersion()
                            + "): keys are copied with RESTORE", null);
                }
            }
            case FORMAT_REFUSED -> r.add("copy.method", INFO, "the target refuses this source's DUMP payloads (RDB version "
                    + p.rdbVersion() + ": " + p.detail() + "): payloads of types the target knows are re-stamped with its RDB version, "
                    + "newer encodings (listpacks, quicklist-2 lists, newer streams) converted to older ones, and what neither "
                    + "helps (hash-field TTLs, module types) is copied structurally by type (slower; pending entries of stream "
                    + "consumer groups are not copied then)", null);
            case NOT_PERMITTED -> r.add("copy.method", ERROR, "the target user may not RESTORE: " + p.detail(),
                    "grant the target user +restore +del (ACL SETUSER <user> +restore +del), or use a user with +@write");
            case FAILED -> r.add("copy.method", WARNING, "the DUMP/RESTORE probe failed: " + p.detail(),
                    "check the permissions of both users (+dump on the source, +restore on the target)");
            case NOTHING_TO_PROBE -> r.add("copy.method", INFO, "no key to probe DUMP/RESTORE with (" + p.detail() + ")", null);
        }
    }

    private static void capture(EndpointProbe s, MigrationOptions o, Report r) {
        String current = s.config().get(KeyspaceNotifications.PARAMETER);
        if (current == null) {
            if (s.configDenied()) {
                r.add("capture.notifications", ERROR, "cannot read the source's notify-keyspace-events (CONFIG is not permitted), so "
                        + "change capture cannot be planned", "enable keyspace notifications with flags KA (e.g. in the managed "
                        + "service's parameter group: notify-keyspace-events=KEA), or grant the source user +config|get +config|set");
            }
            return;
        }
        if (KeyspaceNotifications.sufficient(current)) {
            r.add("capture.notifications", INFO, "the source already publishes keyspace notifications ('" + current
                    + "'): changes are captured without touching its configuration", null);
        } else if (Boolean.TRUE.equals(o.configureSourceNotifications())) {
            if (s.configDenied()) {
                r.add("capture.notifications", ERROR, "options.configureSourceNotifications is set but the source user may not CONFIG SET",
                        "grant +config|set to the source user, or set notify-keyspace-events=KEA on the source yourself");
            } else {
                r.add("capture.notifications", INFO, "notify-keyspace-events is '" + current + "'; dfmigrate will set it to '"
                        + KeyspaceNotifications.forCapture(current) + "' for the migration and restore '" + current + "' when it ends", null);
            }
        } else {
            r.add("capture.notifications", ERROR, "the source does not publish the keyspace notifications change capture needs "
                    + "(notify-keyspace-events is '" + current + "', needs K and A)", "run CONFIG SET notify-keyspace-events KEA on the "
                    + "source (or in its parameter group), or allow dfmigrate to do it with options.configureSourceNotifications=true");
        }
        String buffers = s.config().get("client-output-buffer-limit");
        if (buffers != null) {
            String[] parts = buffers.split("\\s+");
            for (int i = 0; i + 3 < parts.length; i += 4) {
                if (parts[i].equals("pubsub")) {
                    long hard = parseSize(parts[i + 1]);
                    if (hard > 0 && hard < 32L * 1024 * 1024) {
                        r.add("capture.buffer", WARNING, "the source disconnects pub/sub clients above " + mb(hard)
                                + " of pending notifications; a write burst could drop the capture connection (dfmigrate then rescans)",
                                "raise it: CONFIG SET client-output-buffer-limit \"pubsub 64mb 16mb 60\"");
                    } else {
                        r.add("capture.buffer", INFO, "pub/sub output buffer limit of the source: " + (hard == 0 ? "unlimited" : mb(hard)), null);
                    }
                }
            }
        }
    }

    /** The source's write rate against what one replicator's capture was measured to carry (docs/benchmarks.md). */
    private void captureRate(double writesPerSecond, Report r) {
        if (writesPerSecond < 0) {
            return;
        }
        long rate = Math.round(writesPerSecond);
        long capacity = config.captureCapacity();
        if (rate > capacity) {
            r.add("capture.rate", WARNING, "the source takes about " + rate + " writes/s (measured over " + config.writeRateWindow().toSeconds()
                    + " s), more than the about " + capacity + " changes/s one capture was measured to carry: the capture will fall "
                    + "behind, the source buffers its notifications, and if that buffer overflows the capture reconnects and "
                    + "reconciles (rescans) instead of losing changes",
                    "migrate in a quieter period, raise the source's pubsub output buffer limit (CONFIG SET client-output-buffer-limit "
                            + "\"pubsub 256mb 128mb 60\"), and give the replicator more CPU");
        } else {
            r.add("capture.rate", INFO, "the source takes about " + rate + " writes/s (measured over " + config.writeRateWindow().toSeconds()
                    + " s); one capture carries about " + capacity + " changes/s", null);
        }
    }

    private void bigKeys(List<KeySampler.Sample> samples, Report r) {
        if (samples.isEmpty()) {
            return;
        }
        List<KeySampler.Sample> largest = samples.stream().sorted(Comparator.comparingLong(KeySampler.Sample::bytes).reversed()).limit(3).toList();
        r.add("bigkeys.sample", INFO, "largest sampled keys: " + CompatibilityChecks.names(largest, x -> x.type() + ", " + mb(x.bytes()) + ", "
                + x.elements() + (x.type().equals("string") ? " bytes" : " elements")) + " (" + samples.size() + " keys sampled)", null);
        List<KeySampler.Sample> big = samples.stream().filter(x -> !x.type().equals("string") && x.elements() > config.bigKeyElements()
                || x.bytes() > config.bigKeyBytes()).toList();
        if (!big.isEmpty()) {
            r.add("bigkeys", INFO, big.size() + " sampled big key(s) (over " + config.bigKeyElements() + " elements or " + mb(config.bigKeyBytes())
                    + "): " + CompatibilityChecks.names(big, x -> x.elements() + " elements, " + mb(x.bytes())) + "; keys over DFM_COPIER_BIG_KEY_BYTES "
                    + "are copied in chunks into a temporary key and renamed into place, so the target never shows a half key", null);
        }
    }

    static long parseSize(String s) {
        String v = s.toLowerCase(Locale.ROOT);
        long mult = 1;
        if (v.endsWith("gb")) {
            mult = 1L << 30;
        } else if (v.endsWith("mb")) {
            mult = 1L << 20;
        } else if (v.endsWith("kb")) {
            mult = 1L << 10;
        }
        try {
            return Long.parseLong(v.replaceAll("[a-z]", "")) * mult;
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    static String mb(long bytes) {
        return bytes >= 1L << 20 ? String.format(Locale.ROOT, "%.1f MB", bytes / 1048576.0) : String.format(Locale.ROOT, "%.1f KB", bytes / 1024.0);
    }
}

package io.dfmigrate.validator.service;

import io.dfmigrate.common.endpoint.RedisEndpoint;
import io.dfmigrate.common.event.MigrationOptions;
import io.dfmigrate.common.event.Severity;
import io.dfmigrate.common.event.ValidationCheck;
import io.dfmigrate.validator.config.ValidatorConfig;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;

/**
 * Pre-flight checks of a source and a target. Source and target are probed in parallel, each call bounded by
 * {@code dfm.validator.timeout}, so an unreachable pair is reported within about that time. Never writes to either.
 */
@ApplicationScoped
public class ValidationService {
    private final Vertx vertx;
    private final Duration timeout;

    public ValidationService(Vertx vertx, ValidatorConfig config) {
        this.vertx = vertx;
        this.timeout = config.timeout();
    }

    public List<ValidationCheck> validate(RedisEndpoint source, RedisEndpoint target, MigrationOptions options) {
        MigrationOptions o = options == null ? MigrationOptions.DEFAULTS : options.withDefaults();
        EndpointProbe src;
        EndpointProbe tgt;
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            Future<EndpointProbe> s = pool.submit(() -> EndpointProbe.run(vertx, "source", source, timeout));
            Future<EndpointProbe> t = pool.submit(() -> EndpointProbe.run(vertx, "target", target, timeout));
            src = s.get();
            tgt = t.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("validation interrupted", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("validation failed: " + e.getCause(), e.getCause());
        }
        List<ValidationCheck> checks = new ArrayList<>();
        connectivity(src, checks);
        connectivity(tgt, checks);
        if (src.reachable()) {
            checks.add(new ValidationCheck("identity.source", Severity.INFO, "source is " + src.product() + " with "
                    + src.totalKeys() + " key(s) in " + src.keyspace().size() + " database(s)", null));
            if (src.totalKeys() == 0) {
                checks.add(new ValidationCheck("source.empty", Severity.WARNING, "the source has no keys: there is nothing to copy yet",
                        "check that the source URI points at the right server; new writes will still be replicated"));
            }
        }
        if (tgt.reachable()) {
            checks.add(new ValidationCheck("identity.target", Severity.INFO, "target is " + tgt.product()
                    + (tgt.isDragonfly() ? "" : " (not Dragonfly: any RESP-compatible server can be a target)"), null));
            role(tgt, checks);
            targetEmpty(tgt, o, checks);
        }
        if (src.reachable() && tgt.reachable()) {
            databases(src, tgt, o, checks);
        }
        return checks;
    }

    private static void connectivity(EndpointProbe p, List<ValidationCheck> checks) {
        String id = "connectivity." + p.role();
        if (p.reachable()) {
            checks.add(new ValidationCheck(id, Severity.INFO, String.format(Locale.ROOT, "%s %s reachable, round trip %.2f ms",
                    p.role(), p.endpoint().address(), p.latencyMillis()), null));
            if (p.latencyMillis() > 50) {
                checks.add(new ValidationCheck("latency." + p.role(), Severity.WARNING, String.format(Locale.ROOT,
                        "%s round trip is %.1f ms; the copy will be slow", p.role(), p.latencyMillis()),
                        "run dfmigrate's copier close to the " + p.role() + " (same region/zone), or accept a longer copy"));
            }
            return;
        }
        String err = p.error();
        String lower = err.toLowerCase(Locale.ROOT);
        String remediation;
        if (lower.contains("wrongpass") || lower.contains("invalid password") || lower.contains("invalid username")) {
            remediation = "the user or password in the " + p.role() + " URI is wrong: check them (redis://user:password@host:port)";
        } else if (lower.contains("noauth") || lower.contains("authentication required")) {
            remediation = "the " + p.role() + " requires a password: add it to the URI (redis://:password@host:port)";
        } else if (lower.contains("noperm") || lower.contains("no permissions")) {
            remediation = "the ACL user of the " + p.role() + " lacks permissions: grant it at least +@read +@keyspace +info +ping"
                    + (p.role().equals("target") ? " +@write" : "");
        } else if (lower.contains("refused")) {
            remediation = "nothing listens on " + p.endpoint().address() + ": check host and port, and that the server runs";
        } else if (lower.contains("timed out") || lower.contains("timeout")) {
            remediation = "no answer from " + p.endpoint().address() + " in time: check firewalls, security groups and the host name";
        } else if (lower.contains("ssl") || lower.contains("tls") || lower.contains("certificate") || lower.contains("handshake")) {
            remediation = "TLS failed: use rediss:// only for TLS ports, give the CA with ?ca=/path/ca.pem, or ?verify=none to test";
        } else if (lower.contains("unknown host") || lower.contains("unresolved") || lower.contains("nodename")) {
            remediation = "the host name of the " + p.role() + " does not resolve: check it";
        } else {
            remediation = "check that the " + p.role() + " URI is right and the server is reachable from the dfmigrate services";
        }
        checks.add(new ValidationCheck(id, Severity.ERROR, p.role() + " " + p.endpoint().address() + " is not usable: " + err,
                remediation));
    }

    private static void role(EndpointProbe t, List<ValidationCheck> checks) {
        String role = t.info().getOrDefault("role", "master");
        if (role.equals("slave") || role.equals("replica")) {
            checks.add(new ValidationCheck("role.target", Severity.ERROR, "the target is a replica (role:" + role + ") and rejects writes",
                    "run REPLICAOF NO ONE on the target, or point the target URI at its primary"));
        }
        if ("1".equals(t.info().get("loading"))) {
            checks.add(new ValidationCheck("loading.target", Severity.ERROR, "the target is still loading its dataset",
                    "wait until INFO persistence shows loading:0, then validate again"));
        }
    }

    private static void targetEmpty(EndpointProbe t, MigrationOptions o, List<ValidationCheck> checks) {
        long keys = t.totalKeys();
        if (keys == 0) {
            return;
        }
        String where = t.keyspace().entrySet().stream().map(e -> "db" + e.getKey() + "=" + e.getValue())
                .collect(Collectors.joining(", "));
        if (Boolean.TRUE.equals(o.overwrite())) {
            checks.add(new ValidationCheck("target.not-empty", Severity.WARNING, "the target already holds " + keys + " key(s) (" + where
                    + "); keys with the same names will be replaced, others stay", "acknowledge, or empty the target first (FLUSHALL)"));
        } else {
            checks.add(new ValidationCheck("target.not-empty", Severity.ERROR, "the target already holds " + keys + " key(s) (" + where + ")",
                    "empty the target (FLUSHALL), or set options.overwrite=true to copy over its data"));
        }
    }

    private static void databases(EndpointProbe s, EndpointProbe t, MigrationOptions o, List<ValidationCheck> checks) {
        List<Integer> wanted = o.dbs() == null || o.dbs().isEmpty() ? List.copyOf(s.keyspace().keySet()) : o.dbs();
        if (t.databases() == null) {
            checks.add(new ValidationCheck("databases", Severity.WARNING, "cannot read the target's number of databases (CONFIG GET denied)",
                    "make sure the target has at least " + (wanted.stream().mapToInt(Integer::intValue).max().orElse(0) + 1) + " databases"));
            return;
        }
        List<Integer> missing = wanted.stream().filter(db -> db >= t.databases()).toList();
        if (!missing.isEmpty()) {
            String setting = t.isDragonfly() ? "--dbnum" : "databases";
            checks.add(new ValidationCheck("databases", Severity.ERROR, "the source has keys in database(s) " + missing
                    + " but the target has only " + t.databases() + " database(s)",
                    "start the target with " + setting + " " + (missing.stream().mapToInt(Integer::intValue).max().orElse(0) + 1)
                            + " or more, or leave those databases out with options.dbs"));
        }
    }
}

package io.dfmigrate.validator.service;

import static io.dfmigrate.common.event.Severity.ERROR;
import static io.dfmigrate.common.event.Severity.INFO;
import static io.dfmigrate.common.event.Severity.WARNING;

import io.dfmigrate.common.event.ConfigChoice;
import io.dfmigrate.common.redis.BlockingRedis;
import io.dfmigrate.common.redis.RedisCommandException;
import io.dfmigrate.common.redis.Replies;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * What the source holds or does that a target may not take: module types and modules, FUNCTION libraries, per-field hash
 * TTLs, Dragonfly's size and TTL limits, commands and Lua habits Dragonfly lacks, and what is never migrated (ACL users,
 * configuration). Each check adds to the {@link Report} with a remediation.
 */
final class CompatibilityChecks {
    /** Commands Dragonfly does not implement (docs/validation.md), lower case as in INFO commandstats. */
    static final Map<String, String> DRAGONFLY_MISSING = new LinkedHashMap<>();

    static {
        for (String c : List.of("function", "fcall", "fcall_ro", "object", "swapdb", "migrate", "lcs", "geosearchstore", "failover",
                "wait", "waitaof", "sync", "psync", "module")) {
            DRAGONFLY_MISSING.put(c, c.toUpperCase(Locale.ROOT));
        }
        for (String c : List.of("client|kill", "client|pause", "client|unpause", "client|no-evict", "client|no-touch", "client|tracking",
                "client|caching", "client|trackinginfo", "client|getredir", "memory|doctor", "memory|malloc-stats", "memory|purge",
                "latency|doctor", "latency|graph", "latency|histogram", "latency|history", "latency|latest", "latency|reset")) {
            DRAGONFLY_MISSING.put(c, c.toUpperCase(Locale.ROOT).replace('|', ' '));
        }
    }

    static void modules(EndpointProbe s, List<KeySampler.Sample> samples, Report r) {
        List<KeySampler.Sample> moduleKeys = samples.stream().filter(x -> !KeySampler.CORE_TYPES.contains(x.type())).toList();
        if (!moduleKeys.isEmpty()) {
            r.add("modules.keys", ERROR, moduleKeys.size() + " sampled key(s) have module types that cannot be copied: "
                    + names(moduleKeys, x -> x.type()), "export those keys with the module's own tools, or leave them out with "
                    + "options.keyPattern; Dragonfly has JSON, Search and Bloom built in");
        }
        if (!s.modules().isEmpty()) {
            r.add("modules.loaded", WARNING, "the source has module(s) loaded: " + String.join(", ", s.modules()),
                    "modules are not migrated; check that the target offers the same features (Dragonfly has JSON, Search, Bloom built in)");
        }
    }

    static void functions(EndpointProbe s, boolean dragonfly, Report r) {
        if (s.functionLibraries().isEmpty()) {
            return;
        }
        String libs = String.join(", ", s.functionLibraries());
        r.add("functions", WARNING, "the source has FUNCTION librar" + (s.functionLibraries().size() == 1 ? "y " : "ies ") + libs
                + "; functions are not migrated", dragonfly
                ? "Dragonfly has no FUNCTION/FCALL: rewrite them as EVAL/EVALSHA scripts in the applications"
                : "load them on the target with FUNCTION LOAD (or FUNCTION DUMP / FUNCTION RESTORE) before the cutover");
    }

    static void hashFieldTtls(EndpointProbe s, EndpointProbe t, boolean dragonfly, Report r) {
        long withFieldTtl = 0;
        for (Map.Entry<String, String> e : s.info().entrySet()) {
            int i = e.getKey().startsWith("db") ? e.getValue().indexOf("subexpiry=") : -1;
            if (i >= 0) {
                String rest = e.getValue().substring(i + "subexpiry=".length());
                int comma = rest.indexOf(',');
                try {
                    withFieldTtl += Long.parseLong(comma < 0 ? rest : rest.substring(0, comma));
                } catch (NumberFormatException ignored) {
                    // unexpected format: nothing counted
                }
            }
        }
        if (withFieldTtl == 0) {
            return;
        }
        if (dragonfly || t.version() < 704) {
            r.add("hash-field-ttl", ERROR, withFieldTtl + " hash(es) on the source have per-field TTLs (Redis 7.4+ HEXPIRE), which the target "
                    + "cannot hold", "remove the field TTLs (HPERSIST) or migrate those hashes by other means");
        } else {
            r.add("hash-field-ttl", INFO, withFieldTtl + " hash(es) have per-field TTLs; the target supports them", null);
        }
    }

    static void limit(List<KeySampler.Sample> samples, Predicate<KeySampler.Sample> over, String id, String what,
                              Function<KeySampler.Sample, String> size, String remediation, Report r) {
        List<KeySampler.Sample> bad = samples.stream().filter(over).toList();
        if (!bad.isEmpty()) {
            r.add(id, ERROR, bad.size() + " sampled " + what + ": " + names(bad, size), remediation);
        }
    }

    static void commandCompatibility(EndpointProbe s, Report r) {
        Map<String, Long> calls = s.commandCalls();
        List<String> used = DRAGONFLY_MISSING.keySet().stream().filter(c -> calls(calls, c) > 0)
                .map(c -> DRAGONFLY_MISSING.get(c) + " (" + calls(calls, c) + " calls)").toList();
        if (!used.isEmpty()) {
            r.add("compat.commands", WARNING, "the applications use commands Dragonfly does not support: " + String.join(", ", used),
                    "change those code paths before the cutover (e.g. OBJECT ENCODING/FREQ for diagnostics, SWAPDB by renaming keys, "
                            + "FUNCTION/FCALL by EVAL scripts)");
        }
        long lua = calls(calls, "eval") + calls(calls, "evalsha") + calls(calls, "eval_ro") + calls(calls, "evalsha_ro");
        if (lua > 0) {
            r.add("compat.lua", WARNING, "the applications run Lua scripts (" + lua + " EVAL/EVALSHA calls); Dragonfly requires scripts "
                    + "to declare the keys they touch", "pass every key in KEYS, or start Dragonfly with --default_lua_flags=allow-undeclared-keys");
        }
        long subscribers = s.keyspacePatternSubscribers();
        if (subscribers > 0) {
            r.add("compat.keyspace-events", WARNING, "the source has " + subscribers + " pattern or keyspace-channel subscription(s); "
                    + "Dragonfly sends only expired-key (Ex) notifications", "applications relying on other keyspace events need "
                    + "another mechanism (e.g. streams) after the cutover");
        }
    }

    /**
     * Commands the applications call on the source ({@code INFO commandstats}) that a Redis or Valkey target does not
     * have ({@code COMMAND INFO} answers nil for them): they would fail there after the cutover — the hash-field TTL
     * family from Redis 7.4 and 8.0 into an older Redis or a Valkey 8, a module's commands. (Dragonfly:
     * {@link #commandCompatibility}, from the list of what it lacks.)
     */
    static void targetCommands(EndpointProbe s, BlockingRedis target, Report r) {
        Map<String, Long> used = new TreeMap<>();
        s.commandCalls().forEach((command, calls) -> {
            int bar = command.indexOf('|');
            String name = bar < 0 ? command : command.substring(0, bar);
            // FUNCTION: the probe's own FUNCTION LIST counts there; libraries are reported by functions(), FCALL stays checked
            if (calls > 0 && !name.equals("function")) {
                used.merge(name, calls, Long::sum);
            }
        });
        if (used.isEmpty()) {
            return;
        }
        List<String> names = List.copyOf(used.keySet());
        Request info = Request.cmd(Command.COMMAND).arg("INFO");
        names.forEach(info::arg);
        Response reply;
        try {
            reply = target.send(info);
        } catch (RedisCommandException e) {
            r.add("compat.commands", INFO, "could not ask the target which of the source's commands it has (COMMAND INFO: "
                    + e.getMessage() + ")", "grant the target user +command");
            return;
        }
        List<String> missing = new ArrayList<>();
        for (int i = 0; i < names.size() && reply != null && i < reply.size(); i++) {
            Response known = reply.get(i);
            if (known == null || known.size() == 0) {
                missing.add(names.get(i).toUpperCase(Locale.ROOT) + " (" + used.get(names.get(i)) + " calls)");
            }
        }
        if (!missing.isEmpty()) {
            r.add("compat.commands", WARNING, "the applications call commands on the source that the target does not have: "
                    + String.join(", ", missing), "change those code paths before the cutover, or migrate to a target that has them "
                    + "(Redis 7.4+ has HEXPIRE and the hash-field TTL family, 8.0+ HSETEX, HGETEX and HGETDEL)");
        }
    }

    /** Calls of a command: its own line plus, for a command with subcommands (Redis 7: {@code object|encoding}), theirs. */
    static long calls(Map<String, Long> calls, String command) {
        long n = calls.getOrDefault(command, 0L);
        if (!command.contains("|")) {
            String prefix = command + "|";
            n += calls.entrySet().stream().filter(e -> e.getKey().startsWith(prefix)).mapToLong(Map.Entry::getValue).sum();
        }
        return n;
    }

    /**
     * What is not migrated, and the plan of {@code options.migrateUsers}. {@code withPassword}: for a target that takes
     * no password hash (Dragonfly), the source's users that have a password; null otherwise.
     */
    static void notMigrated(EndpointProbe s, EndpointProbe t, boolean migrateUsers, boolean migrateConfig, List<String> withPassword, Report r) {
        List<String> users = s.aclUsers().stream().filter(u -> !u.equals("default") && !u.startsWith("dfmigrate-")).toList();
        if (migrateUsers) {
            // the plan: who comes along at the cutover (options.migrateUsers; AclUsers.copy)
            List<String> needPassword = withPassword == null ? List.of() : withPassword.stream().filter(users::contains).toList();
            if (s.aclUsers().isEmpty()) {
                r.add("users.plan", WARNING, "options.migrateUsers: the source's users could not be listed (ACL USERS)",
                        "grant the source user +acl (ACL LIST is read at the cutover) and the target user +acl");
            } else {
                r.add("users.plan", needPassword.isEmpty() ? INFO : WARNING, "options.migrateUsers: at the cutover "
                        + (users.isEmpty() ? "no user is created on the target (the source has only its default user)"
                        : "user(s) " + String.join(", ", users) + " are created on the target with their passwords and rules")
                        + "; the source's default user is not" + (needPassword.isEmpty() ? "" : "; the target (Dragonfly) takes no password "
                        + "hash, so user(s) " + String.join(", ", needPassword) + " are created only with their password given"),
                        needPassword.isEmpty() ? null : "give their passwords with PUT /api/migrations/{id}/users/passwords (each is checked "
                                + "against the source's hash), or load the ACL file of GET /api/migrations/{id}/users/acl-file with the "
                                + "target's --aclfile");
            }
        } else if (!users.isEmpty()) {
            r.add("not-migrated.acl", WARNING, "ACL users are not migrated: " + String.join(", ", users),
                    "create the migration with options.migrateUsers, or create them on the target (ACL SETUSER) before applications switch over");
        }
        List<String> differences = new ArrayList<>();
        for (String key : List.of("maxmemory-policy")) {
            String sv = s.config().get(key);
            String tv = t.config().get(key);
            if (sv != null && tv != null && !sv.equalsIgnoreCase(tv)) {
                differences.add(key + " is '" + sv + "' on the source and '" + tv + "' on the target");
            }
        }
        if (!differences.isEmpty() && !migrateConfig) {
            r.add("not-migrated.config", WARNING, "configuration is not migrated: " + String.join("; ", differences),
                    "create the migration with options.migrateConfig, or set the same values on the target if the applications rely on them");
        }
    }

    /**
     * The plan of {@code options.migrateConfig}: which settings the cutover will change on the target (source value, the
     * target's now), which are equal already, which one side lacks; and the function libraries that come along.
     */
    static void configPlan(BlockingRedis s, BlockingRedis t, ConfigChoice choice, EndpointProbe src, boolean dragonfly, Report r) {
        List<String> changes = new ArrayList<>();
        List<String> lacking = new ArrayList<>();
        int equal = 0;
        for (String key : choice.keys()) {
            if (key.equals(ConfigChoice.FUNCTIONS)) {
                continue;
            }
            String sv = setting(s, key);
            String tv = setting(t, key);
            if (sv == null) {
                if (!choice.all()) {
                    lacking.add(key + " (not on the source)");
                }
            } else if (tv == null) {
                lacking.add(key + " (not settable on the target: a start-up flag or an older server)");
            } else if (sv.equals(tv)) {
                equal++;
            } else {
                changes.add(key + " '" + tv + "' -> '" + sv + "'");
            }
        }
        String functions = "";
        boolean functionsRefused = false;
        if (choice.functions() && !src.functionLibraries().isEmpty()) {
            functionsRefused = dragonfly;
            functions = "; function libraries " + String.join(", ", src.functionLibraries())
                    + (dragonfly ? " cannot come along (Dragonfly has no functions)" : " come along (FUNCTION RESTORE … REPLACE)");
        }
        boolean warn = !lacking.isEmpty() || functionsRefused;
        r.add("config.plan", warn ? WARNING : INFO, "options.migrateConfig: at the cutover the target gets "
                + (changes.isEmpty() ? "no changed setting" : String.join(", ", changes)) + " (" + equal + " already equal)"
                + (lacking.isEmpty() ? "" : "; left out: " + String.join(", ", lacking)) + functions,
                warn ? "set what is left out in the target's configuration or command line before the applications switch" : null);
    }

    private static String setting(BlockingRedis redis, String key) {
        try {
            return Replies.config(redis, key);
        } catch (RuntimeException e) {
            return null;
        }
    }

    static String names(List<KeySampler.Sample> keys, Function<KeySampler.Sample, String> detail) {
        String shown = keys.stream().limit(5).map(k -> "db" + k.db() + " '" + k.name() + "' (" + detail.apply(k) + ")")
                .collect(Collectors.joining(", "));
        return keys.size() > 5 ? shown + " and " + (keys.size() - 5) + " more" : shown;
    }

    private CompatibilityChecks() {
    }
}

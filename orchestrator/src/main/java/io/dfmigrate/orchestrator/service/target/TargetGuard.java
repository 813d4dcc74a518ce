package io.dfmigrate.orchestrator.service.target;

import io.dfmigrate.common.endpoint.RedisEndpoint;
import io.dfmigrate.common.redis.AclUsers;
import io.dfmigrate.common.redis.BlockingRedis;
import io.dfmigrate.orchestrator.config.OrchestratorConfig;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import jakarta.enterprise.context.ApplicationScoped;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The target write guard (options.guardTarget): while a migration copies and replicates, every enabled ACL user of the
 * target loses its write commands ({@code -@write}, and its Redis 7 selectors), and the migration's workers write as a
 * user of their own ({@code dfmigrate-<migration id>}). Lifting gives every guarded user its original command rules back
 * and deletes the migration's user. What it needs to lift is sealed in the database before the first ACL change, so
 * a crash at any point can be undone.
 * <p>
 * Limits: users created after the guard was applied are not guarded; a command rule an operator changes on a guarded
 * user meanwhile is replaced by the original at the lift; a target restart without an ACL file loses the guard (and the
 * migration's user, so the migration fails loudly rather than writing as someone else).
 */
@ApplicationScoped
public class TargetGuard {
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Vertx vertx;
    private final OrchestratorConfig config;

    /** The guard user and password, and each guarded user as it was before. */
    public record GuardState(String user, String password, List<AclUsers.User> guarded) {
        public String names() {
            return guarded.stream().map(AclUsers.User::name).collect(Collectors.joining(", "));
        }
    }

    public TargetGuard(Vertx vertx, OrchestratorConfig config) {
        this.vertx = vertx;
        this.config = config;
    }

    public static String userFor(String migrationId) {
        return "dfmigrate-" + migrationId;
    }

    /** Reads the target's users (ACL LIST): what the guard will change and must give back. Changes nothing yet. */
    public GuardState prepare(RedisEndpoint target, String migrationId) {
        String user = userFor(migrationId);
        try (BlockingRedis t = BlockingRedis.connect(vertx, target, 0, config.redisTimeout())) {
            List<AclUsers.User> guarded = AclUsers.list(t).stream()
                    .filter(u -> u.on() && !u.name().equals(user) && !u.name().startsWith("dfmigrate-"))
                    .toList();
            byte[] pw = new byte[24];
            RANDOM.nextBytes(pw);
            return new GuardState(user, HexFormat.of().formatHex(pw), guarded);
        }
    }

    /** Creates the migration's user, then takes the write commands from every guarded user. Safe to repeat. */
    public void apply(RedisEndpoint target, GuardState g) {
        try (BlockingRedis t = BlockingRedis.connect(vertx, target, 0, config.redisTimeout())) {
            // the least the migration's work needs: every key, reads and writes (RESTORE, DEL, the stream and key commands, MULTI,
            // TIME, INFO), but no server administration (CONFIG, ACL, SHUTDOWN, DEBUG, replication) and no FLUSHALL, FLUSHDB
            // or SWAPDB: its credentials travel in events and reach every worker, so they must not be able to wipe or take over
            // the target
            t.send(Request.cmd(Command.ACL).arg("SETUSER").arg(g.user()).arg("on").arg(">" + g.password()).arg("~*")
                    .arg("+@all").arg("-@admin").arg("-flushall").arg("-flushdb").arg("-swapdb"));
            for (AclUsers.User u : g.guarded()) {
                Request r = Request.cmd(Command.ACL).arg("SETUSER").arg(u.name()).arg("-@write");
                if (!u.selectors().isEmpty()) {
                    r.arg("clearselectors");
                }
                t.send(r);
            }
        }
    }

    /**
     * Gives every guarded user that still exists its original command rules and selectors, then deletes the migration's
     * user (which also closes its connections). Safe to repeat.
     */
    public void lift(RedisEndpoint target, GuardState g) {
        try (BlockingRedis t = BlockingRedis.connect(vertx, target, 0, config.redisTimeout())) {
            Map<String, AclUsers.User> present = AclUsers.list(t).stream()
                    .collect(Collectors.toMap(AclUsers.User::name, u -> u, (a, b) -> a));
            for (AclUsers.User u : g.guarded()) {
                AclUsers.User now = present.get(u.name());
                if (now == null || (now.commandRules().equals(u.commandRules()) && now.selectors().equals(u.selectors()))) {
                    continue; // gone, or never changed (the apply failed before it)
                }
                Request r = Request.cmd(Command.ACL).arg("SETUSER").arg(u.name()).arg("-@all");
                u.commandRules().forEach(r::arg);
                u.selectors().forEach(r::arg);
                t.send(r);
            }
            if (present.containsKey(g.user())) {
                t.send(Request.cmd(Command.ACL).arg("DELUSER").arg(g.user()));
            }
        }
    }
}

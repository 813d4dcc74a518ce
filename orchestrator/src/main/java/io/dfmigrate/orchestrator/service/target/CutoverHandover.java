package io.dfmigrate.orchestrator.service.target;

import io.dfmigrate.common.endpoint.RedisEndpoint;
import io.dfmigrate.common.event.ConfigChoice;
import io.dfmigrate.common.event.MigrationOptions;
import io.dfmigrate.common.redis.AclUsers;
import io.dfmigrate.common.redis.BlockingRedis;
import io.dfmigrate.common.redis.Replies;
import io.dfmigrate.common.redis.SourceServers;
import io.dfmigrate.common.secret.SecretBox;
import io.dfmigrate.orchestrator.config.OrchestratorConfig;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.jboss.logging.Logger;

/**
 * What a cutover hands over to the target besides the data, when the options ask for it: the source's ACL users
 * ({@code options.migrateUsers}) and settings ({@code options.migrateConfig}). Done by the keeper right after the guard's
 * lift and before the complete that ends the source's write pause, so applications that switch find them. Outcomes go to
 * the audit trail; a failure does not hold the cutover (writes are paused) but says what to do by hand.
 */
@ApplicationScoped
public class CutoverHandover {
    private static final Logger LOG = Logger.getLogger(CutoverHandover.class);

    private final KeeperSteps steps;
    private final UserHandover userHandover;
    private final SecretBox box;
    private final Vertx vertx;
    private final OrchestratorConfig config;

    public CutoverHandover(KeeperSteps steps, UserHandover userHandover, SecretBox box, Vertx vertx, OrchestratorConfig config) {
        this.steps = steps;
        this.userHandover = userHandover;
        this.box = box;
        this.vertx = vertx;
        this.config = config;
    }

    void handOver(KeeperSteps.KeeperView v, RedisEndpoint target) {
        MigrationOptions o = v.options();
        boolean users = Boolean.TRUE.equals(o.migrateUsers());
        boolean settings = o.migrateConfig() != null && !o.migrateConfig().keys().isEmpty();
        if (!users && !settings) {
            return;
        }
        RedisEndpoint source = RedisEndpoint.parse(box.open(v.sourceSealed(), SecretBox.context(v.id(), SecretBox.SOURCE)));
        if (users) {
            users(v, source, target);
        }
        if (settings) {
            settings(v, source, target, o.migrateConfig());
        }
    }

    /**
     * The source's users made on the target (AclUsers.copy), never the target user the migration connects as, nor the
     * migration's; into Dragonfly (or with targetProfile dragonfly) with the passwords given per user.
     */
    private void users(KeeperSteps.KeeperView v, RedisEndpoint source, RedisEndpoint target) {
        Predicate<String> own = UserHandover.own(target);
        try {
            // asked inside the try: a source that cannot be reached is reported like any other failure of the handover
            List<RedisEndpoint> masters = SourceServers.of(vertx, source, config.redisTimeout());
            usersFrom(masters, target, own, v);
        } catch (RuntimeException e) {
            String reason = "the source's users could not be created on " + target + ": " + e.getMessage()
                    + " (the source user needs +acl to read ACL LIST, the target user +acl): create them by hand before the applications switch";
            LOG.warnf("migration %s: %s", v.id(), reason);
            steps.handedOver(v.id(), "users-incomplete", reason);
        }
    }

    /** The copy from the first master, and what differs on the cluster's other masters, recorded as one audit entry. */
    private void usersFrom(List<RedisEndpoint> masters, RedisEndpoint target, Predicate<String> own, KeeperSteps.KeeperView v) {
        try (BlockingRedis s = connect(masters.get(0)); BlockingRedis t = connect(target)) {
            AclUsers.Copied copied = AclUsers.copy(s, t, own, userHandover.passwords(v.id(), v.userPasswordsSealed()),
                    "dragonfly".equals(v.options().targetProfile()));
            // a cluster's masters each hold their own users: those that differ on another master are named (the first's were used)
            List<String> elsewhere = masters.size() < 2 ? List.of() : otherMasters(masters, s).stream().filter(own.negate()).toList();
            boolean complete = elsewhere.isEmpty() && copied.differ().isEmpty()
                    && copied.skipped().keySet().stream().allMatch(n -> n.equals("default") || own.test(n));
            String detail = copied.summary() + (elsewhere.isEmpty() ? "" : "; user(s) " + String.join(", ", elsewhere)
                    + " differ between the cluster's masters (the rules of " + masters.get(0).address() + " were used)");
            steps.handedOver(v.id(), complete ? "users-migrated" : "users-incomplete", detail);
            LOG.infof("migration %s: users: %s", v.id(), detail);
        }
    }

    /** The users that differ between the first master ({@code first}) and the cluster's other masters. */
    private List<String> otherMasters(List<RedisEndpoint> masters, BlockingRedis first) {
        List<BlockingRedis> others = new ArrayList<>();
        try {
            for (RedisEndpoint m : masters.subList(1, masters.size())) {
                others.add(connect(m));
            }
            return AclUsers.differing(first, others);
        } finally {
            others.forEach(BlockingRedis::close);
        }
    }

    /**
     * The chosen settings read from the source ({@code CONFIG GET}; notify-keyspace-events as it was before the migration
     * set it) and given to the target one by one ({@code CONFIG SET}), then read back: what the target refused or shows
     * otherwise is named with its reason.
     */
    private void settings(KeeperSteps.KeeperView v, RedisEndpoint source, RedisEndpoint target, ConfigChoice choice) {
        try (BlockingRedis s = connect(SourceServers.of(vertx, source, config.redisTimeout()).get(0)); BlockingRedis t = connect(target)) {
            Map<String, String> wanted = new LinkedHashMap<>();
            List<String> absent = new ArrayList<>();
            for (String key : choice.keys()) {
                if (key.equals(ConfigChoice.FUNCTIONS)) {
                    continue;
                }
                String value = key.equals("notify-keyspace-events") && v.notifyPrevious() != null ? v.notifyPrevious() : Replies.config(s, key);
                if (value == null) {
                    absent.add(key);
                } else {
                    wanted.put(key, value);
                }
            }
            List<String> set = new ArrayList<>();
            List<String> refused = new ArrayList<>();
            for (Map.Entry<String, String> e : wanted.entrySet()) {
                BlockingRedis.Result r = t.pipeline(List.of(Request.cmd(Command.CONFIG).arg("SET").arg(e.getKey()).arg(e.getValue()))).get(0);
                String back = r.ok() ? Replies.config(t, e.getKey()) : null;
                if (r.ok() && e.getValue().equals(back)) {
                    set.add(e.getKey() + "=" + e.getValue());
                } else {
                    refused.add(e.getKey() + " (" + (r.ok() ? "the target shows '" + back + "'" : r.error()) + ")");
                }
            }
            String functions = choice.functions() ? functions(s, t, refused) : "";
            String detail = (set.isEmpty() ? "no setting given to the target" : "given to the target: " + String.join(", ", set))
                    + functions
                    + (refused.isEmpty() ? "" : "; refused: " + String.join(", ", refused)
                    + " (set them in the target's configuration or command line)")
                    + (absent.isEmpty() ? "" : "; the source has no " + String.join(", ", absent));
            // a setting the source does not have is only missing when it was named (true takes what the source has)
            boolean complete = refused.isEmpty() && (absent.isEmpty() || choice.all());
            steps.handedOver(v.id(), complete ? "config-migrated" : "config-incomplete", detail);
            LOG.infof("migration %s: settings: %s", v.id(), detail);
        } catch (RuntimeException e) {
            String reason = "the source's settings could not be given to " + target + ": " + e.getMessage()
                    + " (both users need +config|get, the target user +config|set): set them by hand";
            LOG.warnf("migration %s: %s", v.id(), reason);
            steps.handedOver(v.id(), "config-incomplete", reason);
        }
    }

    /**
     * The source's function libraries given to the target ({@code FUNCTION DUMP}, {@code FUNCTION RESTORE … REPLACE}: a
     * library of the same name is replaced), then listed there. Returns the detail's part; a refusal goes to {@code refused}.
     */
    private static String functions(BlockingRedis s, BlockingRedis t, List<String> refused) {
        List<String> libraries = libraries(s);
        if (libraries.isEmpty()) {
            return "; the source has no function library";
        }
        Response dump = s.send(Request.cmd(Command.FUNCTION).arg("DUMP"));
        BlockingRedis.Result r = t.pipeline(List.of(Request.cmd(Command.FUNCTION).arg("RESTORE").arg(dump.toBuffer()).arg("REPLACE"))).get(0);
        List<String> there = r.ok() ? libraries(t) : List.of();
        if (!r.ok() || !there.containsAll(libraries)) {
            refused.add("function libraries " + String.join(", ", libraries) + " (" + (r.ok() ? "the target lists " + there : r.error())
                    + "; Dragonfly has no functions: EVAL scripts instead)");
            return "";
        }
        return "; function libraries given to the target: " + String.join(", ", libraries);
    }

    private static List<String> libraries(BlockingRedis r) {
        return Replies.field(r.send(Request.cmd(Command.FUNCTION).arg("LIST")), "library_name");
    }

    private BlockingRedis connect(RedisEndpoint endpoint) {
        return BlockingRedis.connect(vertx, endpoint, 0, config.redisTimeout());
    }
}

package io.dfmigrate.replicator.service;

import io.dfmigrate.common.endpoint.RedisEndpoint;
import io.dfmigrate.common.event.PhaseEvent;
import io.dfmigrate.common.event.StatusEvent;
import io.dfmigrate.common.messaging.StatusPublisher;
import io.dfmigrate.common.redis.BlockingRedis;
import io.dfmigrate.common.redis.KeyCounts;
import io.dfmigrate.common.event.KeyDifference;
import io.dfmigrate.common.redis.KeyScanner;
import io.dfmigrate.common.redis.KeySync;
import io.dfmigrate.common.redis.KeyVerifier;
import io.dfmigrate.common.redis.SourceServers;
import io.dfmigrate.common.secret.SecretBox;
import io.dfmigrate.replicator.config.ReplicatorConfig;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.jboss.logging.Logger;

/**
 * The cutover, on the instance that captures the run. {@link #pause}: pause writes on the source
 * ({@code CLIENT PAUSE … WRITE}), let the last notifications reach Kafka, and report how many changes were captured; the
 * orchestrator completes the migration once that many are applied. If that has not happened within
 * {@code dfm.replicator.cutover-max-pause}, the pause ends (Redis lifts it by itself at that deadline too) and the
 * cutover is reported aborted. {@link #finish}: with writes still paused, compare the key counts of source and target,
 * then the keys themselves (all of a small source, else those changed in the last {@code cutover-verify-window}), lift
 * the pause and report the result and the pause's length; any difference fails the cutover.
 */
@ApplicationScoped
public class CutoverService {
    private static final Logger LOG = Logger.getLogger(CutoverService.class);

    private final Vertx vertx;
    private final ReplicatorConfig config;
    private final SecretBox box;
    private final StatusPublisher status;

    public CutoverService(Vertx vertx, ReplicatorConfig config, SecretBox box, StatusPublisher status) {
        this.vertx = vertx;
        this.config = config;
        this.box = box;
        this.status = status;
    }

    void pause(Capture c) {
        long maxMs = config.cutoverMaxPause().toMillis();
        // a cluster's writes can be paused only on masters the capture follows: a master it does not know would go on writing
        io.dfmigrate.common.redis.SourceServers.forget(c.source);
        List<String> unfollowed;
        try {
            unfollowed = c.unsubscribedMasters(vertx, config.timeout());
        } catch (RuntimeException e) {
            unfollowed = List.of("(the cluster's masters could not be asked: " + e.getMessage() + ")");
        }
        if (!unfollowed.isEmpty()) {
            status.publish(StatusEvent.cutoverAborted(c.key, status.worker(), new StatusEvent.Cutover(null, null, false,
                    "the cluster's masters changed: " + String.join(", ", unfollowed) + " not followed by the capture yet; "
                            + "replication goes on, try the cutover again in a few seconds", shards(c, Map.of(), null, null))));
            return;
        }
        // before the pause: the streams whose consumer groups are given again once writes are paused (StreamGroupSync)
        c.streams = StreamGroupSync.find(vertx, c.admins(), c.scope, config.timeout(), config.cutoverStreamSearch());
        Map<String, Boolean> paused = new java.util.LinkedHashMap<>();
        c.admins().forEach(a -> paused.put(a.endpoint().address(), false));
        try {
            // every server of the source (each master of a cluster); if one refuses, those already paused are lifted
            for (BlockingRedis admin : c.admins()) {
                c.pausedAt = c.pausedAt == 0 ? System.nanoTime() : c.pausedAt;
                admin.send(Request.cmd(Command.CLIENT).arg("PAUSE").arg(maxMs).arg("WRITE"));
                paused.put(admin.endpoint().address(), true);
            }
            // notifications of writes made before the pause are already on their way; wait until Kafka has them all
            long settle = System.nanoTime() + 5_000_000_000L;
            Thread.sleep(200);
            while (c.inFlight.get() > 0 && System.nanoTime() < settle) {
                Thread.sleep(10);
            }
        } catch (RuntimeException e) {
            unpause(c);
            status.publish(StatusEvent.cutoverAborted(c.key, status.worker(),
                    new StatusEvent.Cutover(null, null, false, "could not pause writes on the source: " + e.getMessage(),
                            shards(c, paused, null, null))));
            return;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        long captured = c.captured.get(); // of this capture: the orchestrator drains on the applies of its changes
        status.publish(StatusEvent.cutoverPaused(c.key, status.worker(),
                new StatusEvent.Cutover(captured, null, null, "writes paused; " + captured + " change(s) captured",
                        shards(c, paused, null, null))));
        LOG.infof("migration %s: cutover: writes paused on %s, %d change(s) captured", c.migrationId, c.source, captured);
        long pausedAt = c.pausedAt;
        Thread.ofVirtual().start(() -> {
            try {
                Thread.sleep(maxMs);
            } catch (InterruptedException e) {
                return;
            }
            if (c.pausedAt == pausedAt && !c.ended.get()) {
                unpause(c);
                status.publish(StatusEvent.cutoverAborted(c.key, status.worker(),
                        new StatusEvent.Cutover(captured, maxMs, false, "the captured changes were not applied within " + maxMs
                                + " ms; writes resumed on the source and replication goes on")));
            }
        });
    }

    /**
     * The run ends while its writes are paused ({@code end}: complete after the drain, or stop). Keys with a TTL may expire
     * on the target while the source's expiry is paused with its writes: only keys without a TTL must match exactly.
     */
    void finish(Capture c, PhaseEvent end) {
        String detail;
        boolean verified;
        Map<String, Long> keysBy = new TreeMap<>();
        Map<String, Long> differBy = new TreeMap<>();
        try (BlockingRedis t = BlockingRedis.connect(vertx, RedisEndpoint.parse(box.open(end.target().sealed(), SecretBox.context(end.migrationId(), SecretBox.TARGET))), 0, config.timeout())) {
            // consumer groups move without notifications: with writes paused they are final, given again where they differ
            String groups = end instanceof PhaseEvent.Complete
                    ? StreamGroupSync.sync(vertx, c.source, t.endpoint(), c.streams, config.timeout(), stopAt(c)) : null;
            Map<Integer, long[]> sourceKeys = new TreeMap<>(); // of every server of the source (each master of a cluster)
            for (BlockingRedis admin : c.admins()) {
                Map<Integer, long[]> own = KeyScanner.keyspaceWithExpires(admin);
                own.forEach((db, n) -> sourceKeys.merge(db, n, (a, b) -> new long[] {a[0] + b[0], a[1] + b[1]}));
                keysBy.put(admin.endpoint().address(), own.entrySet().stream().filter(x -> c.scope.includesDb(x.getKey()))
                        .mapToLong(x -> x.getValue()[0]).sum());
            }
            sourceKeys.keySet().removeIf(db -> !c.scope.includesDb(db)); // databases the migration does not copy
            if (c.scope.pattern().equals("*")) {
                // the target's own keys (options.overwrite), counted by the orchestrator after the drain, are not the source's
                KeyCounts counts = KeyCounts.compare(sourceKeys, KeyScanner.keyspaceWithExpires(t), c.scope.dbs(),
                        end instanceof PhaseEvent.Complete done ? done.targetOwnKeys() : null);
                verified = counts.equal() && end instanceof PhaseEvent.Complete;
                detail = counts.describe();
            } else {
                // a keyPattern copies part of each database: the counts of whole databases cannot match, the keys are compared
                verified = end instanceof PhaseEvent.Complete;
                detail = "key counts not compared (keyPattern '" + c.scope.pattern() + "' copies part of the source)";
            }
            if (groups != null) {
                detail += "; " + groups;
            }
            if (verified) {
                String differ = verifyKeys(c, end, t.endpoint(), sourceKeys, differBy);
                verified = differ.startsWith("verified");
                detail += "; " + differ;
            }
        } catch (RuntimeException e) {
            verified = false;
            detail = "could not compare key counts: " + e.getMessage();
        }
        long pause = unpause(c);
        status.publish(StatusEvent.cutoverDone(c.key, status.worker(),
                new StatusEvent.Cutover(null, pause, verified, "write pause " + pause + " ms; " + detail,
                        shards(c, null, keysBy, differBy))));
        LOG.infof("migration %s: cutover finished, writes paused for %d ms; %s", c.migrationId, pause, detail);
    }

    /**
     * With writes paused: every key of a small source, else the keys captured as changed within the verify window, are
     * compared with {@link KeyVerifier} (one short re-check for keys whose TTL runs out just then). Returns
     * {@code verified …} or {@code N differ …} with the first differences.
     */
    private String verifyKeys(Capture c, PhaseEvent end, RedisEndpoint target, Map<Integer, long[]> sourceKeys,
                              Map<String, Long> differBy) {
        long total = sourceKeys.values().stream().mapToLong(v -> v[0]).sum();
        boolean all = total <= config.cutoverVerifyAllBelow();
        Map<Integer, List<byte[]>> keys = new TreeMap<>();
        if (all) {
            for (int db : sourceKeys.keySet()) {
                List<byte[]> names = new ArrayList<>();
                for (BlockingRedis admin : c.admins()) {
                    try (BlockingRedis s = BlockingRedis.connect(vertx, admin.endpoint(), db, config.timeout())) {
                        new KeyScanner(s, c.scope.pattern(), 1000).scan(10_000, Integer.MAX_VALUE, names::addAll);
                    }
                }
                keys.put(db, names);
            }
        } else {
            keys = c.recent.since(System.currentTimeMillis() - config.cutoverVerifyWindow().toMillis());
        }
        long stopAt = stopAt(c);
        long wanted = keys.values().stream().mapToLong(List::size).sum();
        long checked = 0;
        List<KeyDifference> differ = new ArrayList<>();
        KeyVerifier.Settings settings = new KeyVerifier.Settings(1000, 1000, List.of(Duration.ofMillis(100)), null);
        for (var e : keys.entrySet()) {
            // one group unless the source is a Redis Cluster: then each key is read from its slot's master
            for (var group : SourceServers.byServer(vertx, c.source, e.getValue(), config.timeout()).entrySet()) {
                List<byte[]> names = group.getValue();
                try (BlockingRedis s = BlockingRedis.connect(vertx, group.getKey(), e.getKey(), config.timeout());
                     BlockingRedis t = BlockingRedis.connect(vertx, target, e.getKey(), config.timeout())) {
                    for (int from = 0; from < names.size() && System.nanoTime() < stopAt; from += 2_000) {
                        KeyVerifier.Result r = new KeyVerifier(s, t, settings).verify(names.subList(from, Math.min(names.size(), from + 2_000)), true);
                        checked += r.checked();
                        differ.addAll(r.differences());
                        differBy.merge(group.getKey().address(), (long) r.differences().size(), Long::sum);
                    }
                }
            }
        }
        String what = (all ? "all " + checked + " key(s)" : checked + " key(s) changed in the last " + config.cutoverVerifyWindow().toSeconds() + " s")
                + (checked < wanted ? " (of " + wanted + ": the write pause's limit came first)" : "");
        if (differ.isEmpty()) {
            return "verified " + what + " key by key";
        }
        String first = differ.stream().limit(5).map(d -> "db" + d.db() + " '" + KeySync.printable(d.key()) + "' " + d.reason())
                .collect(Collectors.joining(", "));
        LOG.errorf("migration %s: cutover verification of %s: %d differ, e.g. %s", c.migrationId, what, differ.size(), first);
        return differ.size() + " of " + what + " differ, e.g. " + first;
    }

    /**
     * Per master of a Redis Cluster source (null for other sources): paused (all when {@code paused} is null: the cutover
     * got that far), its keys, and the keys found different among those checked on it (null: none checked).
     */
    private static List<StatusEvent.ShardCutover> shards(Capture c, Map<String, Boolean> paused, Map<String, Long> keys,
                                                         Map<String, Long> differ) {
        if (!c.source.cluster()) {
            return null;
        }
        return c.admins().stream().map(a -> a.endpoint().address()).map(server -> new StatusEvent.ShardCutover(server,
                paused == null || paused.getOrDefault(server, false), keys == null ? null : keys.get(server),
                differ == null ? null : differ.get(server))).toList();
    }

    /** Redis lifts the pause by itself at its deadline: work under the pause stops 2 s before, so nothing runs while writes flow. */
    private long stopAt(Capture c) {
        return (c.pausedAt == 0 ? System.nanoTime() : c.pausedAt) + config.cutoverMaxPause().toNanos() - 2_000_000_000L;
    }

    private long unpause(Capture c) {
        long pausedAt = c.pausedAt;
        c.pausedAt = 0;
        for (BlockingRedis admin : c.admins()) {
            try {
                admin.send(Request.cmd(Command.CLIENT).arg("UNPAUSE"));
            } catch (RuntimeException e) {
                LOG.errorf("migration %s: CLIENT UNPAUSE failed on %s (%s); the pause ends by itself", c.migrationId, admin.endpoint(),
                        e.getMessage());
            }
        }
        return pausedAt == 0 ? 0 : (System.nanoTime() - pausedAt) / 1_000_000;
    }
}

package io.dfmigrate.replicator.service;

import io.dfmigrate.common.endpoint.RedisEndpoint;
import io.dfmigrate.common.event.ChangeEvent;
import io.dfmigrate.common.event.RunKey;
import io.dfmigrate.common.redis.BlockingRedis;
import io.dfmigrate.common.redis.KeyScope;
import io.dfmigrate.common.redis.KeyspaceNotifications;
import io.dfmigrate.common.redis.RedisCommandException;
import io.dfmigrate.replicator.messaging.ChangeLog;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisConnection;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * One capture of one migration run: its PSUBSCRIBE connection to the source's keyspace notifications, the
 * {@link ChangeBuffer} that coalesces them per key, and the sender that publishes them to {@code dfm.changes}. When the
 * buffer holds {@code bufferKeys} distinct keys the capture stops reading the subscription (the source buffers the
 * notifications) until the sender has caught up to half of that. Whatever may have lost a change is handed to
 * {@code lost} with the reason; {@link CaptureService} decides what follows.
 */
final class Capture {
    private static final byte[] PREFIX = "__keyspace@".getBytes(StandardCharsets.US_ASCII);

    final RunKey key;
    /**
     * The migration's dbs and keyPattern: a notification of any other key is dropped here, so a write or DEL outside the
     * scope never reaches the appliers (nor the target's keys of its own).
     */
    final KeyScope scope;
    final String migrationId;
    final int run;
    final RedisEndpoint source;
    final String previousNotify;
    /**
     * This capture's id, on its changes and reports: after a takeover (or a capture command delivered again to another
     * instance) the orchestrator tells the new capture from the old one by it.
     */
    final String id = UUID.randomUUID().toString();
    /** options.configureSourceNotifications: the capture may set notify-keyspace-events again if someone changes it. */
    final boolean configure;
    private final int bufferKeys;
    private final Consumer<String> lost;
    final AtomicLong captured = new AtomicLong();
    final AtomicBoolean ended = new AtomicBoolean();
    /** Notifications received and not yet acknowledged by Kafka (buffered or sent). */
    final AtomicLong inFlight = new AtomicLong();
    /** The keys changed most recently, for the cutover's verification. */
    final RecentKeys recent;
    /** Coalesced notifications waiting for the sender. */
    final ChangeBuffer buffer = new ChangeBuffer();
    /** Notifications acknowledged by Kafka; with {@code captured}, the rates of an overload report. */
    final AtomicLong sent = new AtomicLong();
    final AtomicBoolean recovering = new AtomicBoolean();
    /**
     * One subscription per server of the source: the source itself, or each master of a Redis Cluster (keyspace
     * notifications are local to the node whose keys change). Each has an admin connection for the periodic
     * FLUSHDB/FLUSHALL watch, the cutover's pause and the notify watch.
     */
    volatile List<ServerSubscription> subs = List.of();
    /** What may be missing since the last reconciliation request. */
    final CaptureGap gap;
    /** Notifications captured per server of the source (host:port). */
    private final java.util.Map<String, AtomicLong> capturedBy = new java.util.concurrent.ConcurrentHashMap<>();
    /** {@code flushes}: the flush count (all servers together) at the latest subscription. */
    long flushes;

    /** Reading from the source is paused because the buffer is full (back-pressure). */
    volatile boolean paused;
    /** When back-pressure was last applied (System.nanoTime), 0 if never. */
    volatile long pausedLastAt;
    /** Notifications per second, received and sent, over the last report interval. */
    volatile long receivedRate;
    volatile long sentRate;
    long lastCaptured;
    long lastSent;
    /** Set while a cutover holds the source's writes paused (System.nanoTime of the pause). */
    volatile long pausedAt;
    /** The streams found before the cutover's pause: their consumer groups are given again while writes are paused. */
    volatile StreamGroupSync.Found streams;
    /** False once the subscription connection ended; a recovery subscribes again. */
    volatile boolean subscribed;

    Capture(RunKey key, RedisEndpoint source, KeyScope scope, String previousNotify, boolean configure, int bufferKeys, int recentKeys,
            Consumer<String> lost) {
        this.recent = new RecentKeys(recentKeys);
        this.scope = scope;
        this.key = key;
        this.migrationId = key.migrationId();
        this.run = key.run();
        this.source = source;
        this.gap = new CaptureGap(source.cluster());
        this.previousNotify = previousNotify;
        this.configure = configure;
        this.bufferKeys = bufferKeys;
        this.lost = lost;
    }

    /**
     * The channel patterns to subscribe to: one per selected database (every database when none is selected), each
     * ending in the keyPattern, so the source sends no notification of a key far outside the scope. The channel glob
     * can still match a few keys outside it ({@code __keyspace@*__:app:*} matches key {@code x__:app:1} of db 0): the
     * exact test is {@link KeyScope#matches} on each message.
     */
    static List<String> patterns(KeyScope scope) {
        if (scope.dbs().isEmpty()) {
            return List.of("__keyspace@*__:" + scope.pattern());
        }
        return scope.dbs().stream().sorted().map(db -> "__keyspace@" + db + "__:" + scope.pattern()).toList();
    }

    /**
     * Connects to every server of the source (a cluster's masters as the cluster names them now), subscribes to the
     * keyspace notifications of the scope on each and waits for every confirmation; on any failure closes what it made.
     * Called again (a resubscription), a Redis Cluster's subscriptions that still read from a master keep going and only
     * the others are made anew; any other source's subscription is made anew.
     */
    void subscribe(Vertx vertx, Duration timeout) {
        if (!source.cluster() || subs.isEmpty()) {
            close();
            subs = List.of();
            paused = false; // new connections read from the start
        }
        List<RedisEndpoint> servers = io.dfmigrate.common.redis.SourceServers.of(vertx, source, timeout);
        java.util.Set<String> current = new java.util.HashSet<>();
        servers.forEach(s -> current.add(s.address()));
        // a Redis Cluster: the subscriptions to masters that still serve slots and still read stay (their changes are not
        // missed meanwhile); those broken or of a server that is no master any more are replaced
        List<ServerSubscription> kept = subs.stream().filter(x -> x.up && current.contains(x.server.address())).toList();
        java.util.Set<String> have = new java.util.HashSet<>();
        kept.forEach(x -> have.add(x.server.address()));
        List<ServerSubscription> made = new java.util.ArrayList<>();
        try {
            for (RedisEndpoint server : servers) {
                if (have.contains(server.address())) {
                    continue;
                }
                ServerSubscription sub = new ServerSubscription(server, capturedBy.computeIfAbsent(server.address(), a -> new AtomicLong()));
                made.add(sub);
                subscribe(vertx, timeout, sub);
                sub.admin = BlockingRedis.connect(vertx, server, 0, timeout);
            }
        } catch (RuntimeException e) {
            close(made);
            io.dfmigrate.common.redis.SourceServers.forget(source);
            throw e;
        }
        List<ServerSubscription> dropped = subs.stream().filter(x -> !kept.contains(x)).toList();
        List<ServerSubscription> all = new java.util.ArrayList<>(kept);
        all.addAll(made);
        subs = List.copyOf(all); // before closing the dropped ones: their end is then no loss
        close(dropped);
        subscribed = true;
    }

    private void subscribe(Vertx vertx, Duration timeout, ServerSubscription sub) {
        sub.client = Redis.createClient(vertx, BlockingRedis.options(sub.server, 0, timeout));
        sub.connection = BlockingRedis.await(sub.client.connect(), timeout, sub.server, "connect for capture");
        List<String> patterns = patterns(scope);
        CompletableFuture<Void> confirmed = new CompletableFuture<>();
        AtomicInteger confirmations = new AtomicInteger(patterns.size());
        RedisConnection mine = sub.connection;
        mine.handler(msg -> onMessage(sub, mine, msg, confirmed, confirmations));
        mine.exceptionHandler(t -> {
            if (subs.contains(sub) && sub.connection == mine) {
                subscribed = false;
                sub.up = false;
                lostMaster("capture connection error (" + sub.server.address() + "): " + BlockingRedis.describe(t), sub.server.address());
            }
        });
        mine.endHandler(v -> {
            if (subs.contains(sub) && sub.connection == mine) {
                subscribed = false;
                sub.up = false;
                lostMaster("capture connection closed by the source (" + sub.server.address() + ")", sub.server.address());
            }
        });
        Request psubscribe = Request.cmd(Command.PSUBSCRIBE);
        patterns.forEach(psubscribe::arg);
        mine.send(psubscribe);
        try {
            confirmed.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            throw new RedisCommandException(sub.server.address() + ": no confirmation of PSUBSCRIBE " + String.join(" ", patterns));
        }
    }

    /**
     * Per master of a Redis Cluster source (null for other sources): notifications captured from it by this capture and
     * whether it is subscribed.
     */
    List<io.dfmigrate.common.event.StatusEvent.ShardReplication> shards() {
        if (!source.cluster()) {
            return null;
        }
        return subs.stream().map(x -> new io.dfmigrate.common.event.StatusEvent.ShardReplication(x.server.address(), x.captured.get(),
                x.up, null, null)).toList();
    }

    /** A Redis Cluster source: the masters serving slots now (asked at most every 10 s) that this capture does not subscribe to. */
    List<String> unsubscribedMasters(Vertx vertx, Duration timeout) {
        if (!source.cluster() || subs.isEmpty()) {
            return List.of();
        }
        java.util.Set<String> mine = new java.util.HashSet<>();
        subs.forEach(x -> mine.add(x.server.address()));
        return io.dfmigrate.common.redis.SourceServers.of(vertx, source, timeout).stream().map(RedisEndpoint::address)
                .filter(a -> !mine.contains(a)).toList();
    }

    /** The admin connections, one per server of the source. */
    List<BlockingRedis> admins() {
        return subs.stream().map(x -> x.admin).toList();
    }

    /** On the connection's event loop: parse, count, buffer, and apply back-pressure at the buffer's limit. */
    private void onMessage(ServerSubscription sub, RedisConnection from, Response msg, CompletableFuture<Void> confirmed, AtomicInteger confirmations) {
        if (msg == null || msg.size() < 3) {
            return;
        }
        String kind = msg.get(0).toString();
        if (kind.equals("psubscribe")) {
            if (confirmations.decrementAndGet() <= 0) {
                confirmed.complete(null);
            }
            return;
        }
        if (!kind.equals("pmessage") || msg.size() < 4 || ended.get()) {
            return;
        }
        byte[] channel = msg.get(2).toBytes();
        int at = indexOf(channel, (byte) '_', PREFIX.length);
        if (channel.length < PREFIX.length || at < 0 || at + 3 > channel.length) {
            return;
        }
        int db;
        try {
            db = Integer.parseInt(new String(channel, PREFIX.length, at - PREFIX.length, StandardCharsets.US_ASCII));
        } catch (NumberFormatException e) {
            return;
        }
        byte[] name = Arrays.copyOfRange(channel, at + 3, channel.length); // after "__:"
        if (!scope.matches(db, name)) {
            return; // outside the migration's dbs or keyPattern: not the migration's key
        }
        captured.incrementAndGet();
        sub.captured.incrementAndGet();
        inFlight.incrementAndGet();
        long now = System.currentTimeMillis();
        recent.changed(db, name, now);
        if (buffer.add(db, name, msg.get(3).toString(), now) >= bufferKeys && !paused) {
            synchronized (this) { // with resumeIfPaused: the flag always says what the connection is
                if (!paused) {
                    paused = true; // back-pressure: the source holds further notifications until the sender caught up
                    pausedLastAt = System.nanoTime();
                    subs.forEach(x -> x.connection.pause());
                    if (subs.isEmpty()) {
                        from.pause(); // still subscribing
                    }
                }
            }
        }
    }

    /**
     * The capture's sender, on a thread of its own until the capture ends: publishes what the buffer holds, coalesced,
     * and resumes reading the subscription once the buffer is down to half its limit. The producer's send blocks while
     * its own buffer is full, which holds the capture's buffer at its limit: back-pressure reaches the source instead of
     * growing memory.
     */
    void send(ChangeLog changes) {
        while (!ended.get()) {
            List<ChangeBuffer.Pending> batch = buffer.drain();
            if (batch.isEmpty()) {
                resumeIfPaused();
                try {
                    Thread.sleep(2);
                } catch (InterruptedException e) {
                    return;
                }
                continue;
            }
            try {
                for (ChangeBuffer.Pending p : batch) {
                    changes.send(new ChangeEvent(migrationId, run, p.db(), p.key(), p.event(), p.firstMillis(), id,
                            p.count() == 1 ? null : p.count()), (ch, err) -> {
                        inFlight.addAndGet(-ch.notifications());
                        if (err == null) {
                            sent.addAndGet(ch.notifications());
                        } else {
                            lost.accept("publishing a change to Kafka failed: " + err);
                        }
                    });
                    if (paused && buffer.size() < bufferKeys / 2) {
                        resumeIfPaused();
                    }
                }
            } catch (RuntimeException e) {
                // the producer refused (closed, or blocked longer than max.block.ms): these changes may be missing
                batch.forEach(p -> inFlight.addAndGet(-p.count()));
                if (!ended.get()) {
                    lost.accept("publishing changes to Kafka failed: " + e);
                }
            }
        }
    }

    private void resumeIfPaused() {
        if (paused) {
            synchronized (this) {
                if (paused) {
                    paused = false;
                    subs.forEach(x -> x.connection.resume());
                }
            }
        }
    }

    /** Changes of any key may be missing: the capture service reconciles everything (or fails) with {@code reason}. */
    void lostChange(String reason) {
        gap.markWhole();
        lost.accept(reason);
    }

    /**
     * Changes of one server's keys may be missing ({@code server}, host:port: its subscription broke), or (null) of the
     * masters this capture did not subscribe to: for a Redis Cluster the reconciliation rescans those masters only.
     */
    void lostMaster(String reason, String server) {
        gap.markServer(server);
        lost.accept(reason);
    }

    /** The servers subscribed to now (host:port). */
    List<String> subscribedServers() {
        return subs.stream().map(x -> x.server.address()).toList();
    }

    /** Whether the capture could not keep up lately: back-pressure applied within the last 10 s. */
    boolean overloaded() {
        return paused || (pausedLastAt != 0 && System.nanoTime() - pausedLastAt < 10_000_000_000L);
    }

    /** The received and sent rates of the last report interval ({@code intervalMs}). */
    void sampleRates(long intervalMs) {
        long c = captured.get();
        long s = sent.get();
        receivedRate = (c - lastCaptured) * 1000 / Math.max(1, intervalMs);
        sentRate = (s - lastSent) * 1000 / Math.max(1, intervalMs);
        lastCaptured = c;
        lastSent = s;
    }

    /** Closes every subscription and admin connection (idempotent), each whether or not the others were ever made. */
    void close() {
        close(subs);
    }

    private static void close(List<ServerSubscription> subs) {
        for (ServerSubscription sub : subs) {
            for (AutoCloseable part : new AutoCloseable[] {sub.client == null ? null : sub.client::close, sub.admin}) {
                try {
                    if (part != null) {
                        part.close();
                    }
                } catch (Exception ignored) {
                    // closing anyway
                }
            }
        }
    }

    /** The flush calls of every server of the source together (see {@link #flushCalls(BlockingRedis)}). */
    long flushCalls() {
        return admins().stream().mapToLong(Capture::flushCalls).sum();
    }

    /** The commands that change keys without a keyspace notification per key: what the capture watches in INFO commandstats. */
    static final String UNNOTIFIED = "FLUSHDB, FLUSHALL or SWAPDB";

    /**
     * Calls so far of the commands that change keys without a keyspace notification per key (INFO commandstats):
     * FLUSHDB and FLUSHALL (the flushed keys), SWAPDB (both databases' keys trade places). Any rise means the target
     * must be reconciled.
     */
    static long flushCalls(BlockingRedis admin) {
        long n = 0;
        for (String line : admin.send(Request.cmd(Command.INFO).arg("commandstats")).toString().split("\r?\n")) {
            if (line.startsWith("cmdstat_flushdb:calls=") || line.startsWith("cmdstat_flushall:calls=")
                    || line.startsWith("cmdstat_swapdb:calls=")) {
                String v = line.substring(line.indexOf("calls=") + 6);
                int comma = v.indexOf(',');
                n += Long.parseLong(comma < 0 ? v : v.substring(0, comma));
            }
        }
        return n;
    }

    /** For a connection the source closed: its pub/sub output buffer limit, the usual reason (a burst, or a slow capture). */
    String pubsubLimitHint(String why) {
        if (!why.contains("closed by the source")) {
            return "";
        }
        try {
            String limits = KeyspaceNotifications.configValue(
                    admins().get(0).send(Request.cmd(Command.CONFIG).arg("GET").arg("client-output-buffer-limit")), "client-output-buffer-limit");
            int at = limits.indexOf("pubsub");
            if (at < 0) {
                return "";
            }
            String[] parts = limits.substring(at).split(" ");
            return " (the source closes subscribers whose pending notifications exceed its limit '"
                    + String.join(" ", Arrays.copyOfRange(parts, 0, Math.min(4, parts.length))) + "')";
        } catch (RuntimeException e) {
            return "";
        }
    }

    private static int indexOf(byte[] a, byte b, int from) {
        for (int i = from; i < a.length; i++) {
            if (a[i] == b) {
                return i;
            }
        }
        return -1;
    }
}

package io.dfmigrate.replicator.service;

import io.dfmigrate.common.endpoint.RedisEndpoint;
import io.dfmigrate.common.event.ChangeEvent;
import io.dfmigrate.common.event.EventTypes;
import io.dfmigrate.common.event.Json;
import io.dfmigrate.common.event.MigrationOptions;
import io.dfmigrate.common.event.PhaseEvent;
import io.dfmigrate.common.event.StatusEvent;
import io.dfmigrate.common.messaging.StatusPublisher;
import io.dfmigrate.common.redis.BlockingRedis;
import io.dfmigrate.common.redis.KeyScanner;
import io.dfmigrate.common.redis.RedisCommandException;
import io.dfmigrate.common.secret.SecretBox;
import io.dfmigrate.replicator.config.ReplicatorConfig;
import io.dfmigrate.replicator.messaging.ChangeLog;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.scheduler.Scheduled;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisConnection;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.jboss.logging.Logger;

/**
 * Change capture: a PSUBSCRIBE to the source's keyspace notifications of every database. Notifications are coalesced
 * per key in a {@link ChangeBuffer} on the connection's event loop; a sender thread per capture publishes them to
 * {@code dfm.changes} (keyed by migration, db and key, so per-key order holds). When the buffer reaches
 * {@code dfm.replicator.capture-buffer-keys} distinct keys the capture stops reading the subscription (the source
 * buffers the notifications) until the sender has caught up: memory stays bounded. If the source then drops the
 * connection (its pubsub output buffer limit), the capture subscribes again and asks for a reconciliation, reported as
 * "capture overloaded" with the measured rates: it degrades, it never loses a change silently.
 *
 * <p>Capture is ready, and reported so, only once the run's applier group has its start offsets
 * ({@link ChangeLog#markRunStart}) and the subscription is confirmed; the orchestrator starts the copy after that. If
 * dfmigrate had to set {@code notify-keyspace-events}, the old value is restored when the capture ends.
 */
@ApplicationScoped
public class CaptureService {
    private static final Logger LOG = Logger.getLogger(CaptureService.class);
    static final String PATTERN = "__keyspace@*__:*";
    private static final byte[] PREFIX = "__keyspace@".getBytes(StandardCharsets.US_ASCII);

    private final Vertx vertx;
    private final ReplicatorConfig config;
    private final SecretBox box;
    private final StatusPublisher status;
    private final ChangeLog changes;
    private final Map<String, Capture> active = new ConcurrentHashMap<>();
    private final MeterRegistry registry;
    private final Counter overloads;

    public CaptureService(Vertx vertx, ReplicatorConfig config, SecretBox box, StatusPublisher status, MeterRegistry registry,
                          ChangeLog changes) {
        this.vertx = vertx;
        this.config = config;
        this.box = box;
        this.status = status;
        this.changes = changes;
        this.registry = registry;
        this.overloads = Counter.builder("dfm.capture.overloads").description("captures the source disconnected while they were "
                + "behind (pubsub output buffer limit): reconciled").register(registry);
    }

    final class Capture {
        final String migrationId;
        final int run;
        final RedisEndpoint source;
        final String previousNotify;
        /**
         * This capture's id, on its changes and reports: after a takeover (or a capture command delivered again to
         * another instance) the orchestrator tells the new capture from the old one by it.
         */
        final String id = java.util.UUID.randomUUID().toString();
        /** options.configureSourceNotifications: the capture may set notify-keyspace-events again if someone changes it. */
        boolean configure;
        final AtomicLong captured = new AtomicLong();
        final AtomicBoolean ended = new AtomicBoolean();
        Redis client;
        RedisConnection connection;
        /** For the periodic FLUSHDB/FLUSHALL watch; {@code flushes} is their call count when capture began. */
        BlockingRedis admin;
        long flushes;
        /** Notifications received and not yet acknowledged by Kafka (buffered or sent). */
        final AtomicLong inFlight = new AtomicLong();
        /** Coalesced notifications waiting for the sender. */
        final ChangeBuffer buffer = new ChangeBuffer();
        /** Notifications acknowledged by Kafka; with {@code captured}, the rates of an overload report. */
        final AtomicLong sent = new AtomicLong();
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
        /** False once the subscription connection ended; a recovery subscribes again. */
        volatile boolean subscribed;
        final AtomicBoolean recovering = new AtomicBoolean();

        Capture(String migrationId, int run, RedisEndpoint source, String previousNotify) {
            this.migrationId = migrationId;
            this.run = run;
            this.source = source;
            this.previousNotify = previousNotify;
        }
    }

    public boolean capturing(String migrationId, int run) {
        return active.containsKey(migrationId + ":" + run);
    }

    /**
     * Capture commands are consumed concurrently (virtual threads): a takeover request and a redelivered command of the
     * same run can arrive together, and only one of them may start a capture.
     */
    private final java.util.concurrent.locks.ReentrantLock starting = new java.util.concurrent.locks.ReentrantLock();

    public void start(PhaseEvent phase) {
        starting.lock();
        try {
            startLocked(phase);
        } finally {
            starting.unlock();
        }
    }

    private void startLocked(PhaseEvent phase) {
        if (shuttingDown) {
            LOG.infof("migration %s: capture command ignored, this replicator is shutting down", phase.migrationId());
            return;
        }
        String key = phase.migrationId() + ":" + phase.run();
        Capture existing = active.get(key);
        if (existing != null) {
            // asked again (a takeover request reaching the instance that still captures): it is alive, say so
            status.publish(StatusEvent.captureReady(phase.migrationId(), phase.run(), status.worker(), existing.previousNotify, existing.id));
            return;
        }
        MigrationOptions options = phase.options() == null ? MigrationOptions.DEFAULTS : phase.options().withDefaults();
        RedisEndpoint source;
        try {
            source = RedisEndpoint.parse(box.open(phase.source().sealed()));
        } catch (SecretBox.SecretException e) {
            fail(phase.migrationId(), phase.run(), "the replicator cannot open the source credentials: give it the orchestrator's DFM_SECRET_KEY");
            return;
        }
        String previous;
        try (BlockingRedis admin = BlockingRedis.connect(vertx, source, 0, config.timeout())) {
            String current = notifyConfig(admin);
            previous = null;
            if (!sufficient(current)) {
                if (!Boolean.TRUE.equals(options.configureSourceNotifications())) {
                    fail(phase.migrationId(), phase.run(), "the source's notify-keyspace-events is '" + current
                            + "' and change capture needs K and A: set it (CONFIG SET notify-keyspace-events KEA) or allow "
                            + "options.configureSourceNotifications, then restart the migration");
                    return;
                }
                admin.send(Request.cmd(Command.CONFIG).arg("SET").arg("notify-keyspace-events").arg(current + "KA"));
                previous = current;
                LOG.infof("migration %s: set notify-keyspace-events on %s to '%sKA' (was '%s')", phase.migrationId(), source, current, current);
            }
        } catch (RedisCommandException e) {
            fail(phase.migrationId(), phase.run(), "change capture could not be prepared on the source: " + e.getMessage());
            return;
        }
        Capture c = new Capture(phase.migrationId(), phase.run(), source, previous);
        c.configure = Boolean.TRUE.equals(options.configureSourceNotifications());
        try {
            // before the first change: where the run's appliers will start reading, whenever the copy ends
            changes.markRunStart(phase.migrationId(), phase.run());
            c.admin = BlockingRedis.connect(vertx, source, 0, config.timeout());
            c.flushes = flushCalls(c.admin);
            subscribe(c);
        } catch (RuntimeException e) {
            if (c.admin != null) {
                c.admin.close();
            }
            restoreNotify(c);
            fail(phase.migrationId(), phase.run(), "subscribing to the source's keyspace notifications failed: " + e.getMessage());
            return;
        }
        active.put(key, c);
        Thread.ofVirtual().name("capture-sender-" + c.migrationId).start(() -> send(c)); // ends with the capture
        Tags tags = Tags.of("migration", phase.migrationId());
        FunctionCounter.builder("dfm.capture.changes", c.captured, AtomicLong::get).tags(tags)
                .description("keyspace notifications captured").register(registry);
        status.publish(StatusEvent.captureReady(phase.migrationId(), phase.run(), status.worker(), previous, c.id));
        LOG.infof("migration %s run %d: capturing changes of %s (capture %s)", phase.migrationId(), phase.run(), source, c.id);
    }

    /** Calls of FLUSHDB and FLUSHALL so far (INFO commandstats): flushed keys produce no keyspace notification. */
    static long flushCalls(BlockingRedis admin) {
        long n = 0;
        for (String line : admin.send(Request.cmd(Command.INFO).arg("commandstats")).toString().split("\r?\n")) {
            if (line.startsWith("cmdstat_flushdb:calls=") || line.startsWith("cmdstat_flushall:calls=")) {
                String v = line.substring(line.indexOf("calls=") + 6);
                int comma = v.indexOf(',');
                n += Long.parseLong(comma < 0 ? v : v.substring(0, comma));
            }
        }
        return n;
    }

    static boolean sufficient(String flags) {
        return flags.contains("K") && (flags.contains("A") || "g$lshzxet".chars().allMatch(ch -> flags.indexOf(ch) >= 0));
    }

    private static String notifyConfig(BlockingRedis admin) {
        Response r = admin.send(Request.cmd(Command.CONFIG).arg("GET").arg("notify-keyspace-events"));
        if (r.containsKey("notify-keyspace-events")) {
            return r.get("notify-keyspace-events").toString();
        }
        return r.size() >= 2 ? r.get(1).toString() : "";
    }

    private void subscribe(Capture c) {
        c.paused = false; // a new connection reads from the start
        c.client = Redis.createClient(vertx, BlockingRedis.options(c.source, 0, config.timeout()));
        c.connection = BlockingRedis.await(c.client.connect(), config.timeout(), c.source, "connect for capture");
        CompletableFuture<Void> confirmed = new CompletableFuture<>();
        c.connection.handler(msg -> onMessage(c, msg, confirmed));
        RedisConnection mine = c.connection;
        c.connection.exceptionHandler(t -> {
            if (c.connection == mine) {
                c.subscribed = false;
                lost(c, "capture connection error: " + BlockingRedis.describe(t));
            }
        });
        c.connection.endHandler(v -> {
            if (c.connection == mine) {
                c.subscribed = false;
                lost(c, "capture connection closed by the source");
            }
        });
        c.connection.send(Request.cmd(Command.PSUBSCRIBE).arg(PATTERN));
        try {
            confirmed.get(config.timeout().toMillis(), TimeUnit.MILLISECONDS);
            c.subscribed = true;
        } catch (Exception e) {
            c.client.close();
            throw new RedisCommandException(c.source.address() + ": no confirmation of PSUBSCRIBE " + PATTERN);
        }
    }

    private void onMessage(Capture c, Response msg, CompletableFuture<Void> confirmed) {
        if (msg == null || msg.size() < 3) {
            return;
        }
        String kind = msg.get(0).toString();
        if (kind.equals("psubscribe")) {
            confirmed.complete(null);
            return;
        }
        if (!kind.equals("pmessage") || msg.size() < 4 || c.ended.get()) {
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
        byte[] key = Arrays.copyOfRange(channel, at + 3, channel.length); // after "__:"
        c.captured.incrementAndGet();
        c.inFlight.incrementAndGet();
        if (c.buffer.add(db, key, msg.get(3).toString(), System.currentTimeMillis()) >= config.captureBufferKeys() && !c.paused) {
            synchronized (c) { // with resumeIfPaused: the flag always says what the connection is
                if (!c.paused) {
                    c.paused = true; // back-pressure: the source holds further notifications until the sender caught up
                    c.pausedLastAt = System.nanoTime();
                    c.connection.pause();
                }
            }
        }
    }

    /**
     * The capture's sender: publishes what the buffer holds, coalesced, and resumes reading the subscription once the
     * buffer is down to half its limit. The producer's send blocks while its own buffer is full, which holds the
     * capture's buffer at its limit: back-pressure reaches the source instead of growing memory.
     */
    private void send(Capture c) {
        while (!c.ended.get()) {
            List<ChangeBuffer.Pending> batch = c.buffer.drain();
            if (batch.isEmpty()) {
                resumeIfPaused(c);
                try {
                    Thread.sleep(2);
                } catch (InterruptedException e) {
                    return;
                }
                continue;
            }
            try {
                for (ChangeBuffer.Pending p : batch) {
                    ChangeEvent change = new ChangeEvent(c.migrationId, c.run, p.db(), p.key(), p.event(), p.firstMillis(), c.id,
                            p.count() == 1 ? null : p.count());
                    changes.send(change, (ch, err) -> {
                        c.inFlight.addAndGet(-ch.notifications());
                        if (err == null) {
                            c.sent.addAndGet(ch.notifications());
                        } else {
                            lost(c, "publishing a change to Kafka failed: " + err);
                        }
                    });
                    if (c.paused && c.buffer.size() < config.captureBufferKeys() / 2) {
                        resumeIfPaused(c);
                    }
                }
            } catch (RuntimeException e) {
                // the producer refused (closed, or blocked longer than max.block.ms): these changes may be missing
                batch.forEach(p -> c.inFlight.addAndGet(-p.count()));
                if (!c.ended.get()) {
                    lost(c, "publishing changes to Kafka failed: " + e);
                }
            }
        }
    }

    private static void resumeIfPaused(Capture c) {
        if (c.paused) {
            synchronized (c) {
                if (c.paused) {
                    c.paused = false;
                    RedisConnection conn = c.connection;
                    if (conn != null) {
                        conn.resume();
                    }
                }
            }
        }
    }

    /** Whether the capture could not keep up lately: back-pressure applied within the last 10 s. */
    private static boolean overloaded(Capture c) {
        return c.paused || (c.pausedLastAt != 0 && System.nanoTime() - c.pausedLastAt < 10_000_000_000L);
    }

    private static int indexOf(byte[] a, byte b, int from) {
        for (int i = from; i < a.length; i++) {
            if (a[i] == b) {
                return i;
            }
        }
        return -1;
    }

    /**
     * Capture may have missed changes. If the source still answers, capture resumes on a fresh subscription and a
     * reconciliation is requested (a rescan of source and target while appliers hold changes); otherwise the migration
     * fails with the reason. Either way nothing diverges quietly.
     */
    private void lost(Capture c, String reason) {
        if (c.ended.get() || shuttingDown || !c.recovering.compareAndSet(false, true)) {
            return; // on shutdown the capture is released, and its successor reconciles
        }
        if (overloaded(c) && !c.subscribed) {
            overloads.increment();
            reason = "capture overloaded: " + reason + " while about " + c.receivedRate + " changes/s arrived and " + c.sentRate
                    + "/s reached Kafka (" + c.buffer.size() + " keys waiting). Remedies: raise the source's pubsub output buffer "
                    + "limit (CONFIG SET client-output-buffer-limit \"pubsub 256mb 128mb 60\"), give the replicator more CPU, "
                    + "or a faster Kafka";
        }
        String why = reason;
        LOG.warnf("migration %s: change capture may have missed changes: %s", c.migrationId, why);
        Thread.ofVirtual().start(() -> {
            try {
                if (c.connection == null || !c.subscribed) {
                    // the subscription itself is gone: connect and subscribe again before anything else
                    try {
                        c.client.close();
                        c.admin.close();
                    } catch (RuntimeException ignored) {
                        // already closed
                    }
                    c.admin = BlockingRedis.connect(vertx, c.source, 0, config.timeout());
                    subscribe(c);
                }
                c.flushes = flushCalls(c.admin);
                status.publish(StatusEvent.reconcileNeeded(c.migrationId, c.run, status.worker(), why + pubsubLimitHint(c, why)));
            } catch (RuntimeException e) {
                if (!c.ended.getAndSet(true)) {
                    active.remove(c.migrationId + ":" + c.run);
                    close(c);
                    restoreNotify(c);
                    fail(c.migrationId, c.run, "change capture from the source was lost (" + why + ") and could not resume ("
                            + e.getMessage() + "): writes made since then may be missing on the target; restart the migration");
                }
            } finally {
                c.recovering.set(false);
            }
        });
    }

    /** For a connection the source closed: its pub/sub output buffer limit, the usual reason (a burst, or a slow capture). */
    private static String pubsubLimitHint(Capture c, String why) {
        if (!why.contains("closed by the source")) {
            return "";
        }
        try {
            Response r = c.admin.send(Request.cmd(Command.CONFIG).arg("GET").arg("client-output-buffer-limit"));
            String limits = r.containsKey("client-output-buffer-limit") ? r.get("client-output-buffer-limit").toString()
                    : r.size() >= 2 ? r.get(1).toString() : "";
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

    /**
     * Cutover, on the instance that captures the run: pause writes on the source ({@code CLIENT PAUSE … WRITE}), let the
     * last notifications reach Kafka, and report how many changes were captured: the orchestrator completes the
     * migration once that many are applied. If that has not happened within {@code dfm.replicator.cutover-max-pause}, the
     * pause ends (Redis lifts it by itself at that deadline too) and the cutover is reported aborted.
     */
    public void cutover(PhaseEvent phase) {
        Capture c = active.get(phase.migrationId() + ":" + phase.run());
        if (c == null || c.ended.get()) {
            return; // another instance captures this run
        }
        long maxMs = config.cutoverMaxPause().toMillis();
        try {
            c.admin.send(Request.cmd(Command.CLIENT).arg("PAUSE").arg(maxMs).arg("WRITE"));
            c.pausedAt = System.nanoTime();
            // notifications of writes made before the pause are already on their way; wait until Kafka has them all
            long settle = System.nanoTime() + 5_000_000_000L;
            Thread.sleep(200);
            while (c.inFlight.get() > 0 && System.nanoTime() < settle) {
                Thread.sleep(10);
            }
        } catch (RuntimeException e) {
            status.publish(StatusEvent.cutover(c.migrationId, c.run, status.worker(), EventTypes.STATUS_CUTOVER_ABORTED,
                    new StatusEvent.Cutover(null, null, false, "could not pause writes on the source: " + e.getMessage())));
            return;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        long captured = c.captured.get(); // of this capture: the orchestrator drains on the applies of its changes
        status.publish(StatusEvent.cutover(c.migrationId, c.run, status.worker(), EventTypes.STATUS_CUTOVER_PAUSED,
                new StatusEvent.Cutover(captured, null, null, "writes paused; " + captured + " change(s) captured")));
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
                status.publish(StatusEvent.cutover(c.migrationId, c.run, status.worker(), EventTypes.STATUS_CUTOVER_ABORTED,
                        new StatusEvent.Cutover(captured, maxMs, false, "the captured changes were not applied within " + maxMs
                                + " ms; writes resumed on the source and replication goes on")));
            }
        });
    }

    private long unpause(Capture c) {
        long pausedAt = c.pausedAt;
        c.pausedAt = 0;
        try {
            c.admin.send(Request.cmd(Command.CLIENT).arg("UNPAUSE"));
        } catch (RuntimeException e) {
            LOG.errorf("migration %s: CLIENT UNPAUSE failed on %s (%s); the pause ends by itself", c.migrationId, c.source, e.getMessage());
        }
        return pausedAt == 0 ? 0 : (System.nanoTime() - pausedAt) / 1_000_000;
    }

    /**
     * Ends the capture of a run (stop, complete, failure) and restores the source's configuration. After a cutover,
     * compares the key count of every database on source and target while writes are still paused, then lifts the pause
     * and reports the result and the pause duration.
     */
    public void stop(PhaseEvent phase) {
        String migrationId = phase.migrationId();
        int run = phase.run();
        Capture c = active.remove(migrationId + ":" + run);
        if (c == null || c.ended.getAndSet(true)) {
            return;
        }
        if (c.pausedAt != 0) {
            String detail;
            boolean verified;
            try (BlockingRedis t = BlockingRedis.connect(vertx, RedisEndpoint.parse(box.open(phase.target().sealed())), 0, config.timeout())) {
                // keys with a TTL may expire on the target while the source's expiry is paused with its writes: only keys
                // without a TTL must match exactly; a difference among TTL'd keys is reported, not failed
                Map<Integer, long[]> s = KeyScanner.keyspaceWithExpires(c.admin);
                Map<Integer, long[]> tk = KeyScanner.keyspaceWithExpires(t);
                java.util.TreeSet<Integer> dbs = new java.util.TreeSet<>(s.keySet());
                dbs.addAll(tk.keySet());
                List<String> differ = new ArrayList<>();
                List<String> expiring = new ArrayList<>();
                long[] none = {0, 0};
                for (int db : dbs) {
                    long[] a = s.getOrDefault(db, none);
                    long[] b = tk.getOrDefault(db, none);
                    if (a[0] - a[1] != b[0] - b[1]) {
                        differ.add("db" + db + " " + (a[0] - a[1]) + " vs " + (b[0] - b[1]) + " keys without TTL");
                    } else if (a[0] != b[0]) {
                        expiring.add("db" + db + " " + a[0] + " vs " + b[0]);
                    }
                }
                verified = differ.isEmpty() && EventTypes.PHASE_COMPLETE.equals(phase.type());
                detail = differ.isEmpty() ? "key counts equal in " + dbs.size() + " database(s)"
                        + (expiring.isEmpty() ? "" : " (keys with a TTL that expired meanwhile: " + String.join(", ", expiring) + ")")
                        : "key counts differ: " + String.join(", ", differ);
            } catch (RuntimeException e) {
                verified = false;
                detail = "could not compare key counts: " + e.getMessage();
            }
            long pause = unpause(c);
            status.publish(StatusEvent.cutover(migrationId, run, status.worker(), EventTypes.STATUS_CUTOVER_DONE,
                    new StatusEvent.Cutover(null, pause, verified, "write pause " + pause + " ms; " + detail)));
            LOG.infof("migration %s: cutover finished, writes paused for %d ms; %s", migrationId, pause, detail);
        }
        close(c);
        restoreNotify(c);
        LOG.infof("migration %s run %d: capture ended after %d change(s)", migrationId, run, c.captured.get());
    }

    private void close(Capture c) {
        try {
            c.client.close();
            c.admin.close();
        } catch (RuntimeException ignored) {
            // closing anyway
        }
        registry.find("dfm.capture.changes").tag("migration", c.migrationId).meters().forEach(registry::remove);
    }

    private void restoreNotify(Capture c) {
        if (c.previousNotify == null) {
            return;
        }
        try (BlockingRedis admin = BlockingRedis.connect(vertx, c.source, 0, config.timeout())) {
            admin.send(Request.cmd(Command.CONFIG).arg("SET").arg("notify-keyspace-events").arg(c.previousNotify));
            LOG.infof("migration %s: restored notify-keyspace-events '%s' on %s", c.migrationId, c.previousNotify, c.source);
        } catch (RuntimeException e) {
            LOG.errorf("migration %s: could not restore notify-keyspace-events '%s' on %s: %s", c.migrationId, c.previousNotify,
                    c.source, e.getMessage());
        }
    }

    private void fail(String migrationId, int run, String reason) {
        try {
            status.publish(StatusEvent.failed(migrationId, run, status.worker(), "capture", reason));
        } catch (RuntimeException e) {
            LOG.errorf("migration %s: could not report failure (%s): %s", migrationId, reason, e.toString());
        }
    }

    /**
     * Counters and liveness: the captured total of every active capture, every report interval; and the watch for what
     * notifications cannot show (a FLUSHDB or FLUSHALL on the source), which fails the migration instead of diverging.
     */
    // delayed: right after start the messaging channels are not wired yet (nothing is captured that early anyway)
    @Scheduled(every = "${dfm.replicator.report-interval}", delayed = "5s", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void report() {
        long intervalMs = Math.max(1, config.reportInterval().toMillis());
        for (Capture c : active.values()) {
            long captured = c.captured.get();
            long sent = c.sent.get();
            c.receivedRate = (captured - c.lastCaptured) * 1000 / intervalMs;
            c.sentRate = (sent - c.lastSent) * 1000 / intervalMs;
            c.lastCaptured = captured;
            c.lastSent = sent;
            try {
                if (flushCalls(c.admin) > c.flushes) {
                    lost(c, "FLUSHDB or FLUSHALL ran on the source, and flushed keys produce no keyspace notification");
                    continue;
                }
                if (!watchNotifyConfig(c)) {
                    continue;
                }
            } catch (RuntimeException e) {
                c.subscribed = false;
                lost(c, "the source stopped answering: " + e.getMessage());
                continue;
            }
            try {
                status.publish(StatusEvent.replication(c.migrationId, c.run, status.worker(),
                        new StatusEvent.Replication(c.captured.get(), 0, null, c.id)));
            } catch (RuntimeException e) {
                LOG.warnf("capture report for %s not sent: %s", c.migrationId, e.toString());
            }
        }
    }

    /**
     * Someone changed the source's notify-keyspace-events so that changes are no longer notified: set it again and
     * reconcile when the migration may configure it, otherwise end the capture and fail loudly. Returns false if so.
     */
    private boolean watchNotifyConfig(Capture c) {
        String now = notifyConfig(c.admin);
        if (sufficient(now)) {
            return true;
        }
        if (c.configure) {
            c.admin.send(Request.cmd(Command.CONFIG).arg("SET").arg("notify-keyspace-events").arg(now + "KA"));
            lost(c, "notify-keyspace-events was changed to '" + now + "' on the source, so changes went unnoticed; set back to '"
                    + now + "KA'");
        } else if (!c.ended.getAndSet(true)) {
            active.remove(c.migrationId + ":" + c.run);
            close(c);
            fail(c.migrationId, c.run, "notify-keyspace-events was changed to '" + now + "' on the source during the migration, so "
                    + "changes are no longer captured: set it back (CONFIG SET notify-keyspace-events KEA) and restart the migration");
        }
        return false;
    }

    /**
     * A replicator that shuts down while capturing says so, and the orchestrator hands the capture to another instance
     * (followed by a reconciliation): a rolling restart does not fail the migration. notify-keyspace-events stays as
     * it is for the next capture; the orchestrator gives the old value back when the migration ends.
     */
    void onShutdown(@Observes ShutdownEvent event) {
        shuttingDown = true;
        for (Capture c : active.values()) {
            if (!c.ended.getAndSet(true)) {
                active.remove(c.migrationId + ":" + c.run);
                close(c);
                try {
                    status.publish(StatusEvent.captureReleased(c.migrationId, c.run, status.worker(), c.id,
                            "the replicator " + status.worker() + " shut down"));
                } catch (RuntimeException e) {
                    LOG.warnf("migration %s: could not report the released capture (%s); the orchestrator will see it silent",
                            c.migrationId, e.toString());
                }
            }
        }
    }

    /** Set once this instance shuts down: it takes no new capture then. */
    private volatile boolean shuttingDown;
}

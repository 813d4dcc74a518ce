package io.dfmigrate.replicator.service;

import io.dfmigrate.common.endpoint.RedisEndpoint;
import io.dfmigrate.common.redis.BlockingRedis;
import io.dfmigrate.common.redis.KeyScanner;
import io.dfmigrate.common.redis.KeyScope;
import io.dfmigrate.common.redis.SourceServers;
import io.dfmigrate.common.redis.StreamGroups;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The consumer groups of the source's streams, given to the target once more at the cutover. Keyspace notifications do
 * not report a group's progress: XREADGROUP, XACK, XCLAIM and XAUTOCLAIM move its last-delivered id and pending entries
 * without an event (Redis' design), so the appliers sync a stream's groups only when something else changes it (an XADD).
 * With the source's writes paused (those commands are writes: paused too) the groups are final: each stream found before
 * the pause whose groups differ on the target gets the source's (one MULTI/EXEC, {@link StreamGroups#apply}).
 */
final class StreamGroupSync {
    /** The streams in scope per database; {@code complete}: the search ended (else its time ran out or TYPE is unknown). */
    record Found(Map<Integer, List<byte[]>> streams, boolean complete, String note) {
        long count() {
            return streams.values().stream().mapToLong(List::size).sum();
        }
    }

    private StreamGroupSync() {
    }

    /** Searches the source's databases in scope for streams (before the pause: it reads the whole keyspace once). */
    static Found find(Vertx vertx, List<BlockingRedis> servers, KeyScope scope, Duration timeout, Duration budget) {
        long end = System.nanoTime() + budget.toNanos();
        Map<Integer, List<byte[]>> streams = new TreeMap<>();
        for (BlockingRedis admin : servers) { // every server of the source: each master of a cluster holds streams of its own
            Found partial = find(vertx, admin, scope, timeout, budget, end, streams);
            if (partial != null) {
                return partial;
            }
        }
        return new Found(streams, true, null);
    }

    /** Adds the streams of one server to {@code streams}; returns what was found when the search ends early, else null. */
    private static Found find(Vertx vertx, BlockingRedis admin, KeyScope scope, Duration timeout, Duration budget, long end,
                              Map<Integer, List<byte[]>> streams) {
        for (int db : KeyScanner.keyspace(admin).keySet()) {
            if (!scope.includesDb(db)) {
                continue;
            }
            try (BlockingRedis r = BlockingRedis.connect(vertx, admin.endpoint(), db, timeout)) {
                String cursor = "0";
                do {
                    if (System.nanoTime() > end) {
                        return new Found(streams, false, "the search for streams took longer than " + budget.toSeconds() + " s");
                    }
                    Request scan = Request.cmd(Command.SCAN).arg(cursor).arg("COUNT").arg(1000).arg("TYPE").arg("stream");
                    if (!scope.pattern().equals("*")) {
                        scan.arg("MATCH").arg(scope.pattern());
                    }
                    Response page = r.send(scan);
                    cursor = page.get(0).toString();
                    for (Response k : page.get(1)) {
                        streams.computeIfAbsent(db, d -> new ArrayList<>()).add(k.toBytes());
                    }
                } while (!"0".equals(cursor));
            } catch (RuntimeException e) {
                return new Found(streams, false, "the source could not be searched for streams (" + e.getMessage() + ")");
            }
        }
        return null;
    }

    /**
     * With writes paused: gives every found stream whose groups differ on the target the source's groups, until
     * {@code stopAt} (nanoTime). Returns what was done, for the cutover's detail.
     */
    static String sync(Vertx vertx, RedisEndpoint source, RedisEndpoint target, Found found, Duration timeout, long stopAt) {
        if (found == null || found.count() == 0) {
            return found != null && !found.complete() ? "consumer groups not given again: " + found.note() : null;
        }
        long checked = 0;
        long given = 0;
        for (var e : found.streams().entrySet()) {
            for (var group : SourceServers.byServer(vertx, source, e.getValue(), timeout).entrySet()) {
                long[] done = sync(vertx, group.getKey(), target, e.getKey(), group.getValue(), timeout, stopAt);
                checked += done[0];
                given += done[1];
                if (done[2] != 0) {
                    return describe(checked, given, found) + " (the write pause's limit came first)";
                }
            }
        }
        return describe(checked, given, found);
    }

    /** One database's streams of one server of the source: {checked, given, 1 if the time ran out}. */
    private static long[] sync(Vertx vertx, RedisEndpoint server, RedisEndpoint target, int db, List<byte[]> keys, Duration timeout,
                               long stopAt) {
        long checked = 0;
        long given = 0;
        try (BlockingRedis s = BlockingRedis.connect(vertx, server, db, timeout);
             BlockingRedis t = BlockingRedis.connect(vertx, target, db, timeout)) {
            boolean counters = StreamGroups.counters(s) && StreamGroups.counters(t);
            for (byte[] key : keys) {
                if (System.nanoTime() > stopAt) {
                    return new long[] {checked, given, 1};
                }
                StreamGroups.State a = StreamGroups.read(s, key);
                StreamGroups.State b = a == null ? null : StreamGroups.read(t, key);
                checked++;
                if (a != null && b != null && !Arrays.equals(StreamGroups.canonical(a, counters), StreamGroups.canonical(b, counters))) {
                    StreamGroups.apply(t, key, a, StreamGroups.counters(t));
                    given++;
                }
            }
        }
        return new long[] {checked, given, 0};
    }

    private static String describe(long checked, long given, Found found) {
        return "consumer groups of " + checked + " stream(s) compared, " + given + " given again"
                + (found.complete() ? "" : " (" + found.note() + ")");
    }
}

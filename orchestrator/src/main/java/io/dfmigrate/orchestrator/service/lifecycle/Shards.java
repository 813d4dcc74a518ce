package io.dfmigrate.orchestrator.service.lifecycle;

import com.fasterxml.jackson.core.type.TypeReference;
import io.dfmigrate.common.event.Json;
import io.dfmigrate.common.event.StatusEvent;
import io.dfmigrate.orchestrator.persistence.Migration;
import io.dfmigrate.orchestrator.persistence.ShardState;
import io.dfmigrate.orchestrator.service.Dtos;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.BiConsumer;

/**
 * The per-master counters of a Redis Cluster source ({@code migration.shards}): what the copiers, replicators and the
 * cutover report per shard, kept for the API and console. Other sources have none.
 */
public final class Shards {
    private Shards() {
    }

    static Map<String, ShardState> of(Migration m) {
        return m.shards == null ? new TreeMap<>() : new TreeMap<>(Json.read(m.shards, new TypeReference<Map<String, ShardState>>() {
        }));
    }

    /** Applies {@code change} to the state of {@code server} (made when new) and stores the result. */
    static void update(Migration m, String server, java.util.function.Consumer<ShardState> change) {
        if (server == null) {
            return;
        }
        Map<String, ShardState> all = of(m);
        change.accept(all.computeIfAbsent(server, s -> new ShardState()));
        m.shards = Json.write(all);
    }

    /** Applies {@code change} to each reported shard's state and stores the result once. */
    static <T> void updateAll(Migration m, List<T> reported, java.util.function.Function<T, String> server, BiConsumer<ShardState, T> change) {
        if (reported == null || reported.isEmpty()) {
            return;
        }
        Map<String, ShardState> all = of(m);
        for (T r : reported) {
            if (server.apply(r) != null) {
                change.accept(all.computeIfAbsent(server.apply(r), s -> new ShardState()), r);
            }
        }
        m.shards = Json.write(all);
    }

    static void onScan(Migration m, List<StatusEvent.ShardScan> scanned) {
        updateAll(m, scanned, StatusEvent.ShardScan::server, (s, r) -> {
            s.batchesTotal = r.batches();
            s.keysTotal = r.keys();
        });
    }

    static void onBatch(Migration m, StatusEvent.BatchResult b) {
        update(m, b.shard(), s -> {
            s.batchesDone++;
            s.keysCopied += b.keys() - b.failed();
            s.keysFailed += b.failed();
        });
    }

    /** A capture's report (its cumulative count per master, its subscriptions) or an applier's (applied since its last). */
    static void onReplication(Migration m, List<StatusEvent.ShardReplication> reported, boolean currentCapture) {
        updateAll(m, reported, StatusEvent.ShardReplication::server, (s, r) -> {
            if (r.captured() != null && currentCapture) {
                s.captured = r.captured();
            }
            if (r.subscribed() != null && currentCapture) {
                s.subscribed = r.subscribed();
            }
            if (r.applied() != null) {
                s.applied += r.applied();
            }
            if (r.lagMillis() != null) {
                s.lagMillis = r.lagMillis();
            }
        });
    }

    static void onCutover(Migration m, StatusEvent.Cutover c) {
        if (c == null) {
            return;
        }
        updateAll(m, c.shards(), StatusEvent.ShardCutover::server, (s, r) -> {
            s.paused = r.paused();
            if (r.keys() != null) {
                s.cutoverKeys = r.keys();
            }
            s.cutoverDiffer = r.differ();
        });
    }

    /** The API's view, one entry per master in address order; null for other sources. */
    public static List<Dtos.ShardView> views(Migration m) {
        if (m.shards == null) {
            return null;
        }
        return of(m).entrySet().stream().map(e -> {
            ShardState s = e.getValue();
            Double percent = s.batchesTotal == null ? null
                    : s.batchesTotal == 0 ? 100.0 : Math.min(100.0, 100.0 * s.batchesDone / s.batchesTotal);
            return new Dtos.ShardView(e.getKey(), s.keysTotal, s.keysCopied, s.keysFailed, s.batchesTotal, s.batchesDone, percent,
                    s.captured, s.subscribed, s.applied, s.lagMillis, s.paused, s.cutoverKeys, s.cutoverDiffer);
        }).toList();
    }
}

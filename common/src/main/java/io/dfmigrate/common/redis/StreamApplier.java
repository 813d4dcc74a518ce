package io.dfmigrate.common.redis;

import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import io.vertx.redis.client.ResponseType;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * Applies units of a source's replication stream ({@link ReplicationLink.Entry}) to the target exactly once, in source
 * order: each run of units in one database is one {@code MULTI}…{@code EXEC} that also writes the checkpoint key
 * ({@code dfm:sync:<migration>} in that database: {@code <replid> <offset> <db>}), so a batch and the offset it reaches
 * are on the target together or not at all. After a crash, a redelivery (Kafka's at-least-once) of what was applied is
 * skipped: units at or below the target's checkpoint are not applied again, so an {@code INCR} or {@code LPUSH} counts
 * once. A unit the target refuses is reported and passed over (the checkpoint moves past it), never retried forever.
 *
 * <p>One applier per target connection and migration; not thread-safe. The connection's database is changed with
 * {@code SELECT} outside the transactions (Dragonfly refuses {@code SELECT} inside {@code MULTI}).
 */
public final class StreamApplier {
    /** Where the target stands: the stream's replication id, the offset applied, the database at that offset. */
    public record Checkpoint(String replid, long offset, int db) {
        String value() {
            return replid + " " + offset + " " + db;
        }

        static Checkpoint parse(String value) {
            String[] p = value.split(" ");
            return new Checkpoint(p[0], Long.parseLong(p[1]), Integer.parseInt(p[2]));
        }
    }

    /** What one {@link #apply} did: the offset now on the target, commands applied, units skipped as applied before, refusals. */
    public record Applied(long offset, long commands, long skipped, List<String> failures) {
    }

    private final BlockingRedis target;
    private final String key;
    private long applied = -1;
    private int selected = -1;

    /** {@code target}: a connection of its own (its database is switched); {@code migrationId} names the checkpoint key. */
    public StreamApplier(BlockingRedis target, String migrationId) {
        this.target = target;
        this.key = checkpointKey(migrationId);
    }

    /** The key that holds a migration's checkpoint in each database it applied to; removed at the cutover ({@link #clear}). */
    public static String checkpointKey(String migrationId) {
        return "dfm:sync:" + migrationId;
    }

    /**
     * The target's checkpoint: the highest of the key in {@code dbs}; null when the target holds none (nothing applied).
     * Units at or below it are skipped by {@link #apply} from now on.
     */
    public Checkpoint checkpoint(Collection<Integer> dbs) {
        Checkpoint best = null;
        for (int db : dbs) {
            select(db);
            Response r = target.send(Request.cmd(Command.GET).arg(key));
            if (r != null) {
                Checkpoint c = Checkpoint.parse(r.toString());
                if (best == null || c.offset() > best.offset()) {
                    best = c;
                }
            }
        }
        applied = best == null ? -1 : best.offset();
        return best;
    }

    /**
     * Applies {@code entries} (consecutive units of the stream {@code replid}, in order) and returns where the target
     * stands. Each database run is one transaction with the checkpoint; a transaction the target aborts as a whole
     * (a command it does not know: {@code EXECABORT}) is applied again unit by unit, so only the refused units are left out.
     */
    public Applied apply(String replid, List<ReplicationLink.Entry> entries) {
        long commands = 0;
        long skipped = 0;
        List<String> failures = new ArrayList<>();
        List<ReplicationLink.Entry> run = new ArrayList<>();
        int runDb = -1;
        for (ReplicationLink.Entry e : entries) {
            if (e.offset() <= applied) {
                skipped++;
                continue;
            }
            int db = e.ops().isEmpty() ? (runDb >= 0 ? runDb : e.db()) : e.ops().get(0).db();
            if (!run.isEmpty() && db != runDb) {
                commands += transaction(replid, runDb, run, failures);
                run.clear();
            }
            runDb = db;
            run.add(e);
        }
        if (!run.isEmpty()) {
            commands += transaction(replid, runDb, run, failures);
        }
        return new Applied(applied, commands, skipped, failures);
    }

    /** One run in one database: MULTI, its commands, the checkpoint, EXEC; unit by unit when the target aborts it. */
    private long transaction(String replid, int db, List<ReplicationLink.Entry> run, List<String> failures) {
        ReplicationLink.Entry last = run.get(run.size() - 1);
        Response exec = exec(db, run, new Checkpoint(replid, last.offset(), last.db()));
        if (exec != null) {
            long n = 0;
            int i = 0;
            for (ReplicationLink.Entry e : run) {
                for (ReplicationLink.Op op : e.ops()) {
                    Response r = exec.get(i++);
                    if (r != null && r.type() == ResponseType.ERROR) {
                        failures.add(describe(op) + ": " + BlockingRedis.cut(r.toString()));
                    } else {
                        n++;
                    }
                }
            }
            applied = last.offset();
            return n;
        }
        if (run.size() == 1) {
            // the unit itself was refused: reported, and the checkpoint moves past it
            failures.add(run.get(0).ops().stream().map(StreamApplier::describe).reduce((a, b) -> a + "; " + b).orElse("")
                    + ": refused by the target (EXECABORT)");
            Response moved = exec(db, List.of(), new Checkpoint(replid, last.offset(), last.db()));
            if (moved == null) {
                throw new RedisCommandException(target.endpoint().address() + ": the target refused to record the checkpoint");
            }
            applied = last.offset();
            return 0;
        }
        long n = 0;
        for (ReplicationLink.Entry e : run) {
            n += transaction(replid, db, List.of(e), failures);
        }
        return n;
    }

    /** The transaction's EXEC reply (one element per command, the checkpoint's last); null when the target aborted it. */
    private Response exec(int db, List<ReplicationLink.Entry> run, Checkpoint checkpoint) {
        select(db);
        List<Request> batch = new ArrayList<>();
        batch.add(Request.cmd(Command.MULTI));
        for (ReplicationLink.Entry e : run) {
            for (ReplicationLink.Op op : e.ops()) {
                Request r = Request.cmd(Command.create(new String(op.args()[0], StandardCharsets.US_ASCII)));
                for (int i = 1; i < op.args().length; i++) {
                    r.arg(op.args()[i]);
                }
                batch.add(r);
            }
        }
        batch.add(Request.cmd(Command.SET).arg(key).arg(checkpoint.value()));
        batch.add(Request.cmd(Command.EXEC));
        List<BlockingRedis.Result> results = target.pipeline(batch);
        BlockingRedis.Result exec = results.get(results.size() - 1);
        return exec.ok() && exec.response() != null ? exec.response() : null;
    }

    private void select(int db) {
        if (db != selected) {
            target.send(Request.cmd(Command.SELECT).arg(db));
            selected = db;
        }
    }

    /** Removes the checkpoint key from {@code dbs} (at the cutover: nothing of the migration stays on the target). */
    public void clear(Collection<Integer> dbs) {
        for (int db : dbs) {
            select(db);
            target.send(Request.cmd(Command.DEL).arg(key));
        }
    }

    private static String describe(ReplicationLink.Op op) {
        String name = op.name();
        return "db" + op.db() + " " + name + (op.args().length > 1 ? " " + BlockingRedis.cut(KeySync.printable(op.args()[1])) : "");
    }
}

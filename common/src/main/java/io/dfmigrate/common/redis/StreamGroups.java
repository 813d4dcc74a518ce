package io.dfmigrate.common.redis;

import io.vertx.core.buffer.Buffer;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import io.vertx.redis.client.ResponseType;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * The state of a stream that its entries do not carry: its counters (last generated id, {@code entries-added},
 * {@code max-deleted-entry-id}) and its consumer groups with their {@code entries-read}, consumers and pending entries
 * (owner, delivery count, last delivery time). A DUMP payload restored as it is (or re-stamped) carries all of it; a
 * payload converted to an older encoding, or a stream built entry by entry, does not. {@link #read} takes it from the
 * source ({@code XINFO STREAM … FULL}), {@link #apply} writes it onto the target's copy in one MULTI/EXEC
 * ({@code XSETID}, {@code XGROUP CREATE … ENTRIESREAD}, {@code XGROUP CREATECONSUMER}, {@code XCLAIM … FORCE RETRYCOUNT
 * TIME JUSTID}), and the verification compares {@link #canonical} forms.
 */
public final class StreamGroups {
    /** Pending entries read per group at most: a longer PEL is reported as not copied ({@link State#complete}). */
    public static final int MAX_PENDING = 10_000;
    /** The group that makes an empty stream on the target until {@link #apply} replaces it with the source's groups. */
    static final String PLACEHOLDER = "dfm:placeholder";

    public record Pending(String id, String consumer, long deliveredAt, long deliveries) {
    }

    public record Group(String name, String lastDeliveredId, Long entriesRead, long pelCount, List<String> consumers,
                        List<Pending> pending) {
    }

    /**
     * {@code entriesAdded}, {@code maxDeletedId} and each group's {@code entriesRead} are null on servers before 7.0
     * (or when unknown); {@code complete} is false when a PEL was longer than what was read.
     */
    public record State(String lastGeneratedId, Long entriesAdded, String maxDeletedId, List<Group> groups, boolean complete) {
        public boolean hasGroups() {
            return !groups.isEmpty();
        }
    }

    private StreamGroups() {
    }

    /** Whether the target keeps Redis 7's stream counters (XSETID ENTRIESADDED, XGROUP CREATE … ENTRIESREAD): RDB 10 and later. */
    public static boolean counters(BlockingRedis target) {
        DumpPayload.Format f = target.payloadFormat();
        return f != null && f.rdbVersion() >= 10;
    }

    /** Whether a DUMP payload's type byte is a stream's (15, 19, 21). */
    public static boolean isStream(int typeByte) {
        return typeByte == 15 || typeByte == 19 || typeByte == 21;
    }

    /** The stream's state, or null if the key is gone or not a stream. */
    public static State read(BlockingRedis r, byte[] key) {
        Response info;
        try {
            info = r.send(Request.cmd(Command.XINFO).arg("STREAM").arg(Buffer.buffer(key)).arg("FULL").arg("COUNT").arg(MAX_PENDING));
        } catch (RedisCommandException e) {
            String m = String.valueOf(e.getMessage()).toLowerCase(Locale.ROOT);
            if (m.contains("no such key") || m.contains("wrongtype")) {
                return null;
            }
            if (!BlockingRedis.isReplyError(e.getCause())) {
                throw e;
            }
            return readByGroups(r, key); // a server without XINFO STREAM FULL
        }
        if (info == null) {
            return null;
        }
        List<Group> groups = new ArrayList<>();
        boolean complete = true;
        Response gs = value(info, "groups");
        for (int gi = 0; gs != null && gi < gs.size(); gi++) {
            Response g = gs.get(gi);
            List<Pending> pending = new ArrayList<>();
            Response pel = value(g, "pending");
            for (int i = 0; pel != null && i < pel.size(); i++) {
                Response p = pel.get(i);
                pending.add(new Pending(p.get(0).toString(), p.get(1).toString(), p.get(2).toLong(), p.get(3).toLong()));
            }
            long pelCount = number(g, "pel-count", 0L);
            complete &= pending.size() >= pelCount;
            List<String> consumers = new ArrayList<>();
            Response cs = value(g, "consumers");
            for (int i = 0; cs != null && i < cs.size(); i++) {
                consumers.add(text(cs.get(i), "name"));
            }
            groups.add(new Group(text(g, "name"), text(g, "last-delivered-id"), number(g, "entries-read", null), pelCount,
                    consumers, pending));
        }
        return new State(text(info, "last-generated-id"), number(info, "entries-added", null), text(info, "max-deleted-entry-id"),
                groups, complete);
    }

    /**
     * XINFO GROUPS, XINFO CONSUMERS and XPENDING for a server that has no {@code XINFO STREAM FULL}: the last delivery
     * time comes from the idle time (to the millisecond of the reply), the stream's counters are not known.
     */
    private static State readByGroups(BlockingRedis r, byte[] key) {
        Buffer k = Buffer.buffer(key);
        Response gs = r.send(Request.cmd(Command.XINFO).arg("GROUPS").arg(k));
        List<Group> groups = new ArrayList<>();
        boolean complete = true;
        for (int gi = 0; gs != null && gi < gs.size(); gi++) {
            Response g = gs.get(gi);
            String name = text(g, "name");
            List<String> consumers = new ArrayList<>();
            Response cs = r.send(Request.cmd(Command.XINFO).arg("CONSUMERS").arg(k).arg(name));
            for (int i = 0; cs != null && i < cs.size(); i++) {
                consumers.add(text(cs.get(i), "name"));
            }
            long now = System.currentTimeMillis();
            Response pel = r.send(Request.cmd(Command.XPENDING).arg(k).arg(name).arg("-").arg("+").arg(MAX_PENDING));
            List<Pending> pending = new ArrayList<>();
            for (int i = 0; pel != null && i < pel.size(); i++) {
                Response p = pel.get(i);
                pending.add(new Pending(p.get(0).toString(), p.get(1).toString(), now - p.get(2).toLong(), p.get(3).toLong()));
            }
            long pelCount = number(g, "pending", 0L);
            complete &= pending.size() >= pelCount;
            groups.add(new Group(name, text(g, "last-delivered-id"), number(g, "entries-read", null), pelCount, consumers, pending));
        }
        return new State(null, null, null, groups, complete);
    }

    /**
     * Gives the stream {@code key} on the target the source's counters and groups, replacing whatever groups it has, in
     * one MULTI/EXEC. {@code counters}: the target takes Redis 7's {@code ENTRIESADDED}, {@code MAXDELETEDID} and
     * {@code ENTRIESREAD}; without them only the ids, groups, consumers and pending entries are set. A pending entry whose
     * message was deleted from the stream cannot be claimed: the number not restored is returned (0: all of it).
     */
    public static long apply(BlockingRedis target, byte[] key, State s, boolean counters) {
        Buffer k = Buffer.buffer(key);
        List<String> existing = new ArrayList<>();
        Response gs = target.send(Request.cmd(Command.XINFO).arg("GROUPS").arg(k));
        for (int i = 0; gs != null && i < gs.size(); i++) {
            existing.add(text(gs.get(i), "name"));
        }
        List<Request> tx = new ArrayList<>();
        tx.add(Request.cmd(Command.MULTI));
        for (String g : existing) {
            tx.add(Request.cmd(Command.XGROUP).arg("DESTROY").arg(k).arg(g));
        }
        if (s.lastGeneratedId() != null) {
            Request setId = Request.cmd(Command.XSETID).arg(k).arg(s.lastGeneratedId());
            if (counters && s.entriesAdded() != null) {
                setId.arg("ENTRIESADDED").arg(s.entriesAdded());
            }
            if (counters && s.maxDeletedId() != null) {
                setId.arg("MAXDELETEDID").arg(s.maxDeletedId());
            }
            tx.add(setId);
        }
        List<Integer> claims = new ArrayList<>();
        for (Group g : s.groups()) {
            Request create = Request.cmd(Command.XGROUP).arg("CREATE").arg(k).arg(g.name()).arg(g.lastDeliveredId());
            if (counters && g.entriesRead() != null) {
                create.arg("ENTRIESREAD").arg(g.entriesRead());
            }
            tx.add(create);
            for (String c : g.consumers()) {
                tx.add(Request.cmd(Command.XGROUP).arg("CREATECONSUMER").arg(k).arg(g.name()).arg(c));
            }
            for (Pending p : g.pending()) {
                claims.add(tx.size() - 1); // index among the queued commands (MULTI excluded)
                tx.add(Request.cmd(Command.XCLAIM).arg(k).arg(g.name()).arg(p.consumer()).arg(0).arg(p.id()).arg("FORCE")
                        .arg("RETRYCOUNT").arg(p.deliveries()).arg("TIME").arg(p.deliveredAt()).arg("JUSTID"));
            }
        }
        tx.add(Request.cmd(Command.EXEC));
        List<BlockingRedis.Result> replies = target.pipeline(tx);
        BlockingRedis.Result exec = replies.get(replies.size() - 1);
        for (BlockingRedis.Result q : replies.subList(1, replies.size() - 1)) {
            if (!q.ok()) {
                throw new RedisCommandException("target refused the stream's group state: " + q.error());
            }
        }
        if (!exec.ok() || exec.response() == null) {
            throw new RedisCommandException("target refused the stream's group state: " + (exec.ok() ? "transaction aborted" : exec.error()));
        }
        Response results = exec.response();
        long unclaimed = 0;
        for (int i = 0; i < results.size(); i++) {
            Response one = results.get(i);
            if (one != null && one.type() == ResponseType.ERROR) {
                throw new RedisCommandException("target refused the stream's group state: " + one);
            }
        }
        for (int at : claims) {
            Response claimed = results.get(at);
            if (claimed == null || claimed.size() == 0) {
                unclaimed++;
            }
        }
        return unclaimed;
    }

    /**
     * What the verification compares: the groups by name, each with its last-delivered id, consumers and pending entries
     * (id, owner, delivery count); with {@code counters} (both servers keep Redis 7's stream counters) also the stream's
     * entries-added and max-deleted-entry-id and each group's entries-read. Without it those are left out, so a 6.2 target
     * compares equal to a newer source when its groups are the same. Delivery times are left out always: a server without
     * XINFO STREAM FULL gives them only to the millisecond of its reply.
     */
    public static byte[] canonical(State s, boolean counters) {
        if (s == null) {
            return new byte[0];
        }
        StringBuilder b = new StringBuilder();
        if (counters) {
            b.append("s\0").append(s.entriesAdded()).append('\0').append(s.maxDeletedId()).append('\0');
        }
        List<Group> groups = new ArrayList<>(s.groups());
        groups.sort(Comparator.comparing(Group::name));
        for (Group g : groups) {
            b.append("g\0").append(g.name()).append('\0').append(g.lastDeliveredId()).append('\0').append(g.pelCount()).append('\0');
            if (counters) {
                b.append(g.entriesRead()).append('\0');
            }
            g.consumers().stream().sorted().forEach(c -> b.append("c\0").append(c).append('\0'));
            g.pending().stream().sorted(Comparator.comparing(Pending::id))
                    .forEach(p -> b.append("p\0").append(p.id()).append('\0').append(p.consumer()).append('\0').append(p.deliveries()).append('\0'));
        }
        return b.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** A field of a reply that is a map (RESP3) or a flat list of name, value (RESP2): Vert.x looks up both; null if absent. */
    static Response value(Response map, String name) {
        return map != null && map.containsKey(name) ? map.get(name) : null;
    }

    private static String text(Response map, String name) {
        Response v = value(map, name);
        return v == null ? null : v.toString();
    }

    private static Long number(Response map, String name, Long otherwise) {
        Response v = value(map, name);
        return v == null ? otherwise : v.toLong();
    }
}

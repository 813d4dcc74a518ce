package io.dfmigrate.common.redis;

import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.List;

/** Reading replies whose shape depends on the protocol: RESP3 maps, or RESP2's flat key/value arrays. */
public final class Replies {
    private Replies() {
    }

    /** The value in a {@code CONFIG GET <key>} reply, null when the server has no such setting. */
    public static String configValue(Response reply, String key) {
        if (reply == null || reply.size() == 0) {
            return null;
        }
        if (reply.containsKey(key)) { // RESP3 map reply
            return reply.get(key).toString();
        }
        return reply.size() >= 2 ? reply.get(1).toString() : null;
    }

    /** {@code CONFIG GET <key>}: its value, null when the server has no such setting. */
    public static String config(BlockingRedis redis, String key) {
        return configValue(redis.send(Request.cmd(Command.CONFIG).arg("GET").arg(key)), key);
    }

    /** The {@code field} of each map in an array reply ({@code MODULE LIST}, {@code FUNCTION LIST}). */
    public static List<String> field(Response reply, String field) {
        List<String> out = new ArrayList<>();
        if (reply == null) {
            return out;
        }
        for (Response item : reply) {
            if (item.containsKey(field)) {
                out.add(item.get(field).toString());
                continue;
            }
            for (int i = 0; i + 1 < item.size(); i += 2) { // RESP2: a flat key/value array
                if (field.equals(item.get(i).toString())) {
                    out.add(item.get(i + 1).toString());
                }
            }
        }
        return out;
    }
}

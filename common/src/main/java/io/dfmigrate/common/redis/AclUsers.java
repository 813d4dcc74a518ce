package io.dfmigrate.common.redis;

import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.List;

/**
 * The users of a server as {@code ACL LIST} shows them, reduced to what the target write guard changes and must give
 * back: each user's root command rules ({@code +@all}, {@code -flushall}, …) and its selectors (Redis 7
 * {@code (…)} groups, which can grant writes of their own). Passwords, key and channel patterns are never touched, so
 * the guard also works where {@code ACL LIST} shows only a shortened password hash (Dragonfly).
 */
public final class AclUsers {
    private AclUsers() {
    }

    /** One user: its name, whether it is enabled, its root command rules, and its selectors (each with parentheses). */
    public record User(String name, boolean on, List<String> commandRules, List<String> selectors) {
    }

    /** Reads {@code ACL LIST}; fails with the server's error (e.g. NOPERM) when the connection may not manage ACLs. */
    public static List<User> list(BlockingRedis redis) {
        Response r = redis.send(Request.cmd(Command.ACL).arg("LIST"));
        List<User> users = new ArrayList<>();
        for (Response line : r) {
            User u = parse(line.toString());
            if (u != null) {
                users.add(u);
            }
        }
        return users;
    }

    /** Parses one {@code ACL LIST} line ({@code user <name> <rules…>}); null for anything else. */
    public static User parse(String line) {
        List<String> tokens = tokens(line);
        if (tokens.size() < 2 || !tokens.get(0).equals("user")) {
            return null;
        }
        boolean on = false;
        List<String> commands = new ArrayList<>();
        List<String> selectors = new ArrayList<>();
        for (String t : tokens.subList(2, tokens.size())) {
            if (t.startsWith("(")) {
                selectors.add(t);
            } else if (t.equalsIgnoreCase("on")) {
                on = true;
            } else if ((t.startsWith("+") || t.startsWith("-")) && t.length() > 1) {
                commands.add(t);
            }
        }
        return new User(tokens.get(1), on, List.copyOf(commands), List.copyOf(selectors));
    }

    /** Splits on spaces, keeping a parenthesised selector as one token. */
    static List<String> tokens(String line) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        int depth = 0;
        for (char ch : line.trim().toCharArray()) {
            if (ch == '(') {
                depth++;
            } else if (ch == ')') {
                depth = Math.max(0, depth - 1);
            }
            if (ch == ' ' && depth == 0) {
                if (!cur.isEmpty()) {
                    out.add(cur.toString());
                    cur.setLength(0);
                }
            } else {
                cur.append(ch);
            }
        }
        if (!cur.isEmpty()) {
            out.add(cur.toString());
        }
        return out;
    }
}

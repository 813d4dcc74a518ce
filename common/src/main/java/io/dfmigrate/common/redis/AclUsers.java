package io.dfmigrate.common.redis;

import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

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

    /**
     * What {@link #copy} did: the users created on the target, those left out with the reason, and those whose rules the
     * target shows differently afterwards. No password or hash is in any of it.
     */
    public record Copied(List<String> created, Map<String, String> skipped, List<String> differ) {
        /** One line for the audit trail. */
        public String summary() {
            StringBuilder b = new StringBuilder(created.isEmpty() ? "no user created on the target"
                    : "created on the target with the source's rules and passwords: " + String.join(", ", created));
            if (!skipped.isEmpty()) {
                b.append("; not created: ");
                b.append(String.join("; ", skipped.entrySet().stream().map(e -> e.getKey() + " (" + e.getValue() + ")").toList()));
            }
            if (!differ.isEmpty()) {
                b.append("; the target shows other rules for ").append(String.join(", ", differ));
            }
            return b.toString();
        }
    }

    /**
     * The source's ACL users made on the target ({@code options.migrateUsers}): each line of the source's {@code ACL LIST}
     * (on/off, password hashes, key and channel patterns, command rules, selectors) given to {@code ACL SETUSER <name> …} after
     * {@code ACL DELUSER <name>},
     * so a user logs in with its own password and keeps exactly its rights; read back and compared. Never copied: the
     * source's {@code default} user, the users {@code own} names (the migration's own), and, into Dragonfly, users with a
     * password (its {@code ACL SETUSER} takes no hashes).
     */
    public static Copied copy(BlockingRedis source, BlockingRedis target, java.util.function.Predicate<String> own) {
        boolean dragonfly = target.send(Request.cmd(Command.INFO).arg("server")).toString().contains("dragonfly_version");
        Map<String, String> lines = lines(source);
        List<String> created = new ArrayList<>();
        Map<String, String> skipped = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : lines.entrySet()) {
            String name = e.getKey();
            List<String> rules = tokens(e.getValue());
            rules = rules.subList(2, rules.size());
            if (name.equals("default")) {
                skipped.put(name, "the source's default user is never copied");
            } else if (own.test(name)) {
                skipped.put(name, "a user of the migration itself, or the one it connects to the target as");
            } else if (dragonfly && rules.stream().anyMatch(r -> r.startsWith("#"))) {
                skipped.put(name, "Dragonfly's ACL SETUSER takes no password hash: create the user there with its password");
            } else {
                // made anew rather than with "reset", which also sets sanitize-payload: the user is then exactly the source's
                // (a user of that name the target had is replaced, its connections closed by the server)
                Request set = Request.cmd(Command.ACL).arg("SETUSER").arg(name);
                rules.forEach(set::arg);
                BlockingRedis.Result r = target.pipeline(List.of(Request.cmd(Command.ACL).arg("DELUSER").arg(name), set)).get(1);
                if (r.ok()) {
                    created.add(name);
                } else {
                    // an ACL error names the rule it refused: a password or hash rule is masked
                    skipped.put(name, "the target refused it: " + masked(r.error()));
                }
            }
        }
        Map<String, String> after = lines(target);
        List<String> differ = created.stream().filter(n -> !lines.get(n).equals(after.get(n))).toList();
        return new Copied(List.copyOf(created), skipped, differ);
    }

    /** An ACL error with every password rule it may quote ({@code >pw}, {@code <pw}, {@code #hash}) masked. */
    public static String masked(String error) {
        return error.replaceAll("[#><][^\\s']*", "****");
    }

    /** {@code ACL LIST} as user name → its line, in the server's order. */
    private static Map<String, String> lines(BlockingRedis redis) {
        Map<String, String> out = new LinkedHashMap<>();
        for (Response line : redis.send(Request.cmd(Command.ACL).arg("LIST"))) {
            List<String> tokens = tokens(line.toString());
            if (tokens.size() >= 2 && tokens.get(0).equals("user")) {
                out.put(tokens.get(1), line.toString());
            }
        }
        return out;
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

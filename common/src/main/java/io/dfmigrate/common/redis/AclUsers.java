package io.dfmigrate.common.redis;

import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

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

    /** Where a user's password may be given for a target that takes no hashes, and where its ACL file is. */
    public static final String PASSWORD_REMEDY = "give its password with PUT /api/migrations/{id}/users/passwords before the cutover, "
            + "or load the ACL file of GET /api/migrations/{id}/users/acl-file with the target's --aclfile";

    /** {@link #copy(BlockingRedis, BlockingRedis, Predicate, Map, boolean)} with no password given, the target detected. */
    public static Copied copy(BlockingRedis source, BlockingRedis target, Predicate<String> own) {
        return copy(source, target, own, Map.of(), false);
    }

    /**
     * The source's ACL users made on the target ({@code options.migrateUsers}): each line of the source's {@code ACL LIST}
     * (on/off, password hashes, key and channel patterns, command rules, selectors) given to {@code ACL SETUSER <name> …} after
     * {@code ACL DELUSER <name>},
     * so a user logs in with its own password and keeps exactly its rights; read back and compared. Never copied: the
     * source's {@code default} user and the users {@code own} names (the migration's own). Into Dragonfly (detected, or
     * {@code dragonfly} when the migration's targetProfile says so), whose {@code ACL SETUSER} takes no hash, a user with
     * a password is made with the password {@code passwords} gives for it, once its SHA-256 is proven to be one of the
     * user's hashes on the source; without one it is not made, and the reason says where to give it.
     */
    public static Copied copy(BlockingRedis source, BlockingRedis target, Predicate<String> own, Map<String, String> passwords,
                              boolean dragonfly) {
        boolean noHashes = dragonfly || target.send(Request.cmd(Command.INFO).arg("server")).toString().contains("dragonfly_version");
        Map<String, String> lines = lines(source);
        List<String> created = new ArrayList<>();
        Map<String, String> skipped = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : lines.entrySet()) {
            String name = e.getKey();
            List<String> rules = tokens(e.getValue());
            rules = rules.subList(2, rules.size());
            List<String> hashes = rules.stream().filter(r -> r.startsWith("#")).toList();
            String given = passwords.get(name);
            if (name.equals("default")) {
                skipped.put(name, "the source's default user is never copied");
            } else if (own.test(name)) {
                skipped.put(name, "a user of the migration itself, or the one it connects to the target as");
            } else if (noHashes && !hashes.isEmpty() && given == null) {
                skipped.put(name, "the target (Dragonfly) takes no password hash in ACL SETUSER: " + PASSWORD_REMEDY);
            } else if (noHashes && !hashes.isEmpty() && !hashes.contains("#" + sha256(given))) {
                skipped.put(name, "the password given for it is not one of its passwords on the source: " + PASSWORD_REMEDY);
            } else {
                if (noHashes && !hashes.isEmpty()) {
                    // the one hash the given password proves is given as the password itself; other hashes cannot travel
                    String proven = "#" + sha256(given);
                    rules = rules.stream().filter(r -> !r.startsWith("#") || r.equals(proven)).map(r -> r.equals(proven) ? ">" + given : r).toList();
                }
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
        List<String> differ = created.stream().filter(n -> !sameRules(lines.get(n), after.get(n))).toList();
        return new Copied(List.copyOf(created), skipped, differ);
    }

    /**
     * The users a copy would make, as lines of an ACL file ({@code user <name> <rules…>}, the source's {@code ACL LIST}
     * lines; Redis, Valkey and Dragonfly load such a file with {@code --aclfile} or {@code ACL LOAD}): the password
     * hashes travel as they are. Without the source's {@code default} user and the users {@code own} names.
     */
    public static String aclFile(BlockingRedis source, Predicate<String> own) {
        StringBuilder b = new StringBuilder();
        lines(source).forEach((name, line) -> {
            if (!name.equals("default") && !own.test(name)) {
                b.append(line).append('\n');
            }
        });
        return b.toString();
    }

    /**
     * Two {@code ACL LIST} lines grant the same: equal, or the same rules in another order (a server describes the
     * commands a rule added in its own order: {@code +get +select} is read back as {@code +select +get}).
     */
    public static boolean sameRules(String a, String b) {
        return a.equals(b) || (b != null && tokens(a).stream().sorted().toList().equals(tokens(b).stream().sorted().toList()));
    }

    /**
     * The users whose {@code ACL LIST} line on another server (a Redis Cluster's other masters, each with its own users)
     * differs from the first's, or that only one side has: a copy made from the first server would not be theirs.
     */
    public static List<String> differing(BlockingRedis first, List<BlockingRedis> others) {
        Map<String, String> base = lines(first);
        java.util.Set<String> out = new java.util.LinkedHashSet<>();
        for (BlockingRedis other : others) {
            Map<String, String> there = lines(other);
            base.forEach((name, line) -> {
                if (!sameRules(line, there.get(name))) {
                    out.add(name);
                }
            });
            there.keySet().stream().filter(n -> !base.containsKey(n)).forEach(out::add);
        }
        return List.copyOf(out);
    }

    /** The users of {@code ACL LIST} that have a password (a {@code #} hash rule), in the server's order. */
    public static List<String> withPassword(BlockingRedis redis) {
        return lines(redis).entrySet().stream().filter(e -> tokens(e.getValue()).stream().anyMatch(t -> t.startsWith("#")))
                .map(Map.Entry::getKey).toList();
    }

    /** The hash form of an ACL password: lowercase hex SHA-256 of its UTF-8 bytes. */
    static String sha256(String password) {
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                    .digest(password.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
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

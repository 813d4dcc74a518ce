package io.dfmigrate.common.redis;

import io.dfmigrate.common.event.MigrationOptions;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;

/**
 * Which keys a migration owns: {@code options.dbs} (empty: every database) and {@code options.keyPattern}, a glob
 * matched byte for byte as Redis matches {@code SCAN MATCH} and {@code PSUBSCRIBE} patterns ({@code *}, {@code ?},
 * {@code [abc]}, {@code [^a-z]}, {@code \} escapes). The copy scans with the same glob on the server; capture, appliers
 * and reconciliation use this to leave every key outside the scope alone, on the source's side and the target's.
 */
public final class KeyScope {
    /** Every key of every database. */
    public static final KeyScope ALL = new KeyScope(Set.of(), "*");

    private final Set<Integer> dbs;
    private final String pattern;
    private final byte[] glob;
    private final boolean everyKey;

    private KeyScope(Set<Integer> dbs, String pattern) {
        this.dbs = dbs;
        this.pattern = pattern;
        this.glob = pattern.getBytes(StandardCharsets.UTF_8);
        this.everyKey = "*".equals(pattern);
    }

    public static KeyScope of(MigrationOptions options) {
        if (options == null) {
            return ALL;
        }
        MigrationOptions o = options.withDefaults();
        return of(o.dbs(), o.keyPattern());
    }

    public static KeyScope of(List<Integer> dbs, String keyPattern) {
        return new KeyScope(dbs == null ? Set.of() : Set.copyOf(dbs), keyPattern == null || keyPattern.isEmpty() ? "*" : keyPattern);
    }

    /** Whether the migration copies database {@code db} at all. */
    public boolean includesDb(int db) {
        return dbs.isEmpty() || dbs.contains(db);
    }

    public boolean matches(int db, byte[] key) {
        return includesDb(db) && (everyKey || glob(glob, key));
    }

    /** True when the scope is every key of every database. */
    public boolean isAll() {
        return dbs.isEmpty() && everyKey;
    }

    /** The selected databases (empty: all). */
    public Set<Integer> dbs() {
        return dbs;
    }

    public String pattern() {
        return pattern;
    }

    /**
     * Redis' glob over bytes ({@code stringmatchlen} without nocase): each token but {@code *} matches exactly one byte,
     * so the last {@code *} is the only place to backtrack to, and the match takes time linear in key × pattern.
     */
    static boolean glob(byte[] p, byte[] s) {
        int pi = 0;
        int si = 0;
        int starP = -1;
        int starS = -1;
        while (si < s.length) {
            if (pi < p.length && p[pi] == '*') {
                while (pi < p.length && p[pi] == '*') {
                    pi++;
                }
                if (pi == p.length) {
                    return true;
                }
                starP = pi;
                starS = si;
                continue;
            }
            int next = pi < p.length ? matchOne(p, pi, s[si]) : -1;
            if (next >= 0) {
                pi = next;
                si++;
            } else if (starP >= 0) {
                pi = starP;
                si = ++starS;
            } else {
                return false;
            }
        }
        while (pi < p.length && p[pi] == '*') {
            pi++;
        }
        return pi == p.length;
    }

    /** If the token at {@code pi} matches byte {@code c}: the index after the token, else -1. */
    private static int matchOne(byte[] p, int pi, byte c) {
        switch (p[pi]) {
            case '?':
                return pi + 1;
            case '[': {
                int i = pi + 1;
                boolean not = i < p.length && p[i] == '^';
                if (not) {
                    i++;
                }
                boolean match = false;
                while (i < p.length && p[i] != ']') {
                    if (p[i] == '\\' && i + 1 < p.length) {
                        i++;
                        match |= p[i] == c;
                    } else if (i + 2 < p.length && p[i + 1] == '-') {
                        int lo = p[i] & 0xff;
                        int hi = p[i + 2] & 0xff;
                        int v = c & 0xff;
                        match |= v >= Math.min(lo, hi) && v <= Math.max(lo, hi);
                        i += 2;
                    } else {
                        match |= p[i] == c;
                    }
                    i++;
                }
                // an unterminated class ends with the pattern, as in Redis
                int after = i < p.length ? i + 1 : i;
                return match != not ? after : -1;
            }
            case '\\':
                if (pi + 1 < p.length) {
                    return p[pi + 1] == c ? pi + 2 : -1;
                }
                return p[pi] == c ? pi + 1 : -1;
            default:
                return p[pi] == c ? pi + 1 : -1;
        }
    }

    @Override
    public String toString() {
        return (dbs.isEmpty() ? "every db" : "dbs " + dbs) + ", keys '" + pattern + "'";
    }
}

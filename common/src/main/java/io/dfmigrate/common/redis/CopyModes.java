package io.dfmigrate.common.redis;

import io.dfmigrate.common.endpoint.RedisEndpoint;
import io.dfmigrate.common.event.MigrationOptions;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Which initial copy a migration gets. {@code options.copyMode} {@code scan} and {@code snapshot} are taken as given;
 * {@code auto} takes the source's RDB snapshot ({@link SnapshotReader}: less work for the source, faster) wherever the
 * source allows it, and the scan otherwise, always with the reason. The validator reports the same choice before the
 * start that the copier makes at the copy (both ask {@link #snapshotBlocker}).
 */
public final class CopyModes {
    /** The copy chosen and why, as the API shows it ({@code progress.copyMode}, {@code progress.copyModeReason}). */
    public record Choice(String mode, String reason) {
    }

    /**
     * Why the snapshot copy cannot be used: {@code certain} when it would fail (a cluster, a pattern, an RDB the reader
     * does not know, a user without the right), otherwise it could not be checked (the server has no {@code ACL DRYRUN});
     * {@code remediation} says what to do.
     */
    public record Blocker(String reason, boolean certain, String remediation) {
    }

    private static final Pattern VALKEY = Pattern.compile("valkey_version:(\\d+)\\.");

    /**
     * The copy for these options; {@code server} is a connection to the source (its current master for a Sentinel source),
     * not used, and may be null, for {@code scan}, {@code snapshot} and a cluster source.
     */
    public static Choice choose(MigrationOptions options, RedisEndpoint source, BlockingRedis server) {
        MigrationOptions o = options.withDefaults();
        if (!MigrationOptions.COPY_AUTO.equals(o.copyMode())) {
            return new Choice(o.copyMode(), "options.copyMode is '" + o.copyMode() + "'");
        }
        Blocker blocker = snapshotBlocker(o, source, server);
        return blocker == null
                ? new Choice(MigrationOptions.COPY_SNAPSHOT, "copyMode auto: the source's RDB snapshot is readable and its user may "
                        + "PSYNC and REPLCONF, so the copy reads the snapshot as a replica would (one fork on the source)")
                : new Choice(MigrationOptions.COPY_SCAN, "copyMode auto: " + blocker.reason());
    }

    /** Null when the snapshot copy can be used for this source and these options; else why not. */
    public static Blocker snapshotBlocker(MigrationOptions options, RedisEndpoint source, BlockingRedis server) {
        if (source.cluster()) {
            return new Blocker("a cluster source: a snapshot holds one server's keys, the copy reads each master's keys by scan", true,
                    "use copyMode 'scan' (or 'auto')");
        }
        if (!"*".equals(options.keyPattern())) {
            return new Blocker("keyPattern '" + options.keyPattern() + "' selects keys, and a snapshot holds every key of a database",
                    true, "leave keyPattern '*' or use copyMode 'scan'");
        }
        String info;
        try {
            info = server.send(Request.cmd(Command.INFO).arg("server")).toString();
        } catch (RedisCommandException e) {
            return new Blocker("the source's INFO server could not be read (" + e.getMessage() + ")", false,
                    "grant the source user +info, or use copyMode 'scan'");
        }
        DumpPayload.Format format = DumpPayload.Format.of(info);
        Matcher valkey = VALKEY.matcher(info);
        int valkeyMajor = valkey.find() ? Integer.parseInt(valkey.group(1)) : 0;
        if (format == null || format.dragonfly() || format.rdbVersion() > SnapshotReader.MAX_RDB_VERSION || valkeyMajor >= 9) {
            String what = format == null ? "an unknown server" : format.dragonfly() ? "Dragonfly, which writes its own format"
                    : valkeyMajor >= 9 ? "Valkey " + valkeyMajor + ", whose RDB format is newer" : format.server() + ", whose RDB format is newer";
            return new Blocker("the snapshot reader knows RDB up to version " + SnapshotReader.MAX_RDB_VERSION + " (Redis up to 8.4, "
                    + "Valkey 8) and the source is " + what, true, "use copyMode 'scan'");
        }
        String user;
        try {
            user = server.send(Request.cmd(Command.ACL).arg("WHOAMI")).toString();
        } catch (RedisCommandException e) {
            return new Blocker("the source user's right to PSYNC could not be checked (ACL WHOAMI: " + e.getMessage() + ")", false,
                    "make sure the source user has +psync +replconf, or use copyMode 'scan'");
        }
        for (List<String> cmd : List.of(List.of("PSYNC", "?", "-1"), List.of("REPLCONF", "capa", "eof"))) {
            Request dry = Request.cmd(Command.ACL).arg("DRYRUN").arg(user);
            cmd.forEach(dry::arg);
            BlockingRedis.Result res = server.pipeline(List.of(dry)).get(0);
            if (!res.ok()) {
                return new Blocker("the source user's right to " + cmd.get(0) + " could not be checked (" + res.error() + "; Redis 6.2 has "
                        + "no ACL DRYRUN)", false, "make sure the source user has +psync +replconf, or use copyMode 'scan'");
            }
            String answer = res.response().toString();
            if (!"OK".equals(answer)) {
                return new Blocker("the source user '" + user + "' may not run " + cmd.get(0) + " (" + answer + ")", true,
                        "ACL SETUSER " + user + " +psync +replconf, or use copyMode 'scan'");
            }
        }
        return null;
    }

    private CopyModes() {
    }
}

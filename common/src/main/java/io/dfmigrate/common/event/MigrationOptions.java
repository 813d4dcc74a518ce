package io.dfmigrate.common.event;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.LinkedHashMap;

/**
 * The {@code options} of a migration (README quickstart; OpenAPI at /q/openapi). Every field is optional; {@link #withDefaults()} fills them.
 * Unknown fields are rejected by the API.
 */
@JsonIgnoreProperties(ignoreUnknown = false)
public record MigrationOptions(
        Boolean overwrite,
        List<Integer> dbs,
        String keyPattern,
        String targetProfile,
        Boolean configureSourceNotifications,
        Boolean guardTarget,
        String onKeyError,
        Integer maxSourceOpsPerSecond,
        String copyMode,
        Boolean migrateUsers,
        ConfigChoice migrateConfig) {

    /** The initial copy SCANs the source and reads each key with DUMP (the default; works wherever a client may read). */
    public static final String COPY_SCAN = "scan";
    /** The initial copy reads the source's RDB snapshot as a replica would (PSYNC): less work for the source, faster. */
    public static final String COPY_SNAPSHOT = "snapshot";
    /** The snapshot where the source allows it, else the scan, the choice and its reason shown ({@code CopyModes}). */
    public static final String COPY_AUTO = "auto";

    /**
     * The most {@code *} a keyPattern may hold: the source matches the glob against every key in {@code SCAN MATCH}, and
     * Redis before 6.2.11 / 7.0.9 backtracks exponentially on many of them (CVE-2022-36021).
     */
    public static final int MAX_WILDCARDS = 8;

    public static final MigrationOptions DEFAULTS = new MigrationOptions(false, List.of(), "*", "auto", false, true, "skip", null, COPY_SCAN, false,
            ConfigChoice.NONE);

    public MigrationOptions(Boolean overwrite, List<Integer> dbs, String keyPattern, String targetProfile, Boolean configureSourceNotifications,
                            Boolean guardTarget, String onKeyError, Integer maxSourceOpsPerSecond) {
        this(overwrite, dbs, keyPattern, targetProfile, configureSourceNotifications, guardTarget, onKeyError, maxSourceOpsPerSecond, null);
    }

    public MigrationOptions(Boolean overwrite, List<Integer> dbs, String keyPattern, String targetProfile, Boolean configureSourceNotifications,
                            Boolean guardTarget, String onKeyError, Integer maxSourceOpsPerSecond, String copyMode) {
        this(overwrite, dbs, keyPattern, targetProfile, configureSourceNotifications, guardTarget, onKeyError, maxSourceOpsPerSecond,
                copyMode, null, null);
    }

    public MigrationOptions(Boolean overwrite, List<Integer> dbs, String keyPattern, String targetProfile, Boolean configureSourceNotifications,
                            Boolean guardTarget, String onKeyError, Integer maxSourceOpsPerSecond, String copyMode, Boolean migrateUsers) {
        this(overwrite, dbs, keyPattern, targetProfile, configureSourceNotifications, guardTarget, onKeyError, maxSourceOpsPerSecond,
                copyMode, migrateUsers, null);
    }

    public boolean snapshotCopy() {
        return COPY_SNAPSHOT.equals(copyMode);
    }

    public MigrationOptions withDefaults() {
        return new MigrationOptions(
                overwrite != null ? overwrite : DEFAULTS.overwrite,
                dbs != null ? List.copyOf(dbs) : DEFAULTS.dbs,
                keyPattern != null ? keyPattern : DEFAULTS.keyPattern,
                targetProfile != null ? targetProfile : DEFAULTS.targetProfile,
                configureSourceNotifications != null ? configureSourceNotifications : DEFAULTS.configureSourceNotifications,
                guardTarget != null ? guardTarget : DEFAULTS.guardTarget,
                onKeyError != null ? onKeyError : DEFAULTS.onKeyError,
                maxSourceOpsPerSecond,
                copyMode != null ? copyMode : DEFAULTS.copyMode,
                migrateUsers != null ? migrateUsers : DEFAULTS.migrateUsers,
                migrateConfig != null ? migrateConfig : DEFAULTS.migrateConfig);
    }

    /** Field path (relative to {@code options}) → problem, empty when valid. */
    public Map<String, String> problems() {
        var out = new LinkedHashMap<String, String>();
        if (dbs != null) {
            List<Integer> seen = new ArrayList<>();
            for (int i = 0; i < dbs.size(); i++) {
                Integer db = dbs.get(i);
                if (db == null || db < 0 || db > 1_000_000) {
                    out.put("dbs[" + i + "]", "must be a database index of 0 or more");
                } else if (seen.contains(db)) {
                    out.put("dbs[" + i + "]", "database " + db + " is listed twice");
                } else {
                    seen.add(db);
                }
            }
        }
        if (keyPattern != null && (keyPattern.isEmpty() || keyPattern.length() > 1024)) {
            out.put("keyPattern", "must be a SCAN MATCH glob of 1 to 1024 characters");
        } else if (keyPattern != null && wildcards(keyPattern) > MAX_WILDCARDS) {
            out.put("keyPattern", "has " + wildcards(keyPattern) + " '*' wildcards; at most " + MAX_WILDCARDS
                    + " are allowed (a glob with many '*' can keep a source busy in SCAN MATCH)");
        }
        if (targetProfile != null && !List.of("auto", "dragonfly").contains(targetProfile)) {
            out.put("targetProfile", "must be 'auto' or 'dragonfly'");
        }
        if (onKeyError != null && !List.of("skip", "fail").contains(onKeyError)) {
            out.put("onKeyError", "must be 'skip' or 'fail'");
        }
        if (maxSourceOpsPerSecond != null && maxSourceOpsPerSecond <= 0) {
            out.put("maxSourceOpsPerSecond", "must be a positive number of operations per second");
        }
        if (copyMode != null && !List.of(COPY_SCAN, COPY_SNAPSHOT, COPY_AUTO).contains(copyMode)) {
            out.put("copyMode", "must be 'scan', 'snapshot' or 'auto'");
        } else if (COPY_SNAPSHOT.equals(copyMode) && keyPattern != null && !"*".equals(keyPattern)) {
            out.put("keyPattern", "copyMode 'snapshot' copies every key of the selected databases: leave keyPattern '*' or use copyMode 'scan'");
        }
        if (migrateConfig != null) {
            out.putAll(migrateConfig.problems());
            if (!migrateConfig.keys().isEmpty() && Boolean.FALSE.equals(guardTarget)) {
                out.put("migrateConfig", "needs guardTarget: the settings are given to the target when the cutover lifts the write guard");
            }
        }
        if (Boolean.TRUE.equals(migrateUsers) && Boolean.FALSE.equals(guardTarget)) {
            out.put("migrateUsers", "needs guardTarget: the source's users are created on the target when the cutover lifts the "
                    + "write guard, while the source's writes are still paused");
        }
        return out;
    }

    /** The unescaped {@code *} of a glob, runs of them counted once (as Redis collapses them). */
    static int wildcards(String glob) {
        int n = 0;
        boolean star = false;
        for (int i = 0; i < glob.length(); i++) {
            char c = glob.charAt(i);
            if (c == '\\') {
                i++;
            } else if (c == '*' && !star) {
                n++;
            }
            star = c == '*';
        }
        return n;
    }
}

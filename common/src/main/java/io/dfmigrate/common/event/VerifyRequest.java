package io.dfmigrate.common.event;

import java.util.List;

/**
 * What a verification compares, carried by {@code dfm.phase.verify.v1} and its key batches: verification {@code number}
 * of the migration (1, 2, …; reports of an older one are ignored), {@code mode} {@value #FULL} (every key of the source,
 * and every key of the target to find extra ones) or {@value #SAMPLE} ({@code sample} source keys picked at random,
 * extra target keys are not looked for), the databases and SCAN MATCH glob (the migration's when null), and how far
 * apart the two sides' TTLs may be.
 */
public record VerifyRequest(int number, String mode, Long sample, List<Integer> dbs, String keyPattern, long ttlToleranceMillis) {
    public static final String FULL = "full";
    public static final String SAMPLE = "sample";

    public boolean sampling() {
        return SAMPLE.equals(mode);
    }
}

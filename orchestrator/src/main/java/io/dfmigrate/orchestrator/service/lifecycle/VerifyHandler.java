package io.dfmigrate.orchestrator.service.lifecycle;

import com.fasterxml.jackson.core.type.TypeReference;
import io.dfmigrate.common.event.Json;
import io.dfmigrate.common.event.KeyDifference;
import io.dfmigrate.common.event.RunKey;
import io.dfmigrate.common.event.StatusEvent;
import io.dfmigrate.common.event.VerifyBatch;
import io.dfmigrate.common.redis.KeyVerifier;
import io.dfmigrate.orchestrator.persistence.Migration;
import io.dfmigrate.orchestrator.persistence.VerificationDiff;
import io.dfmigrate.orchestrator.persistence.VerificationInfo;
import io.dfmigrate.orchestrator.service.Journal;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;
import org.jboss.logging.Logger;

/**
 * The verifiers' reports: the scan's totals, each verified batch's checked keys and differences (stored up to a bound,
 * counted all), the verification DONE when every batch is, FAILED when the scan or a batch failed; {@code verify-done}
 * or {@code verify-failed} in the audit trail (and on {@code dfm.audit}) with the counts.
 */
public final class VerifyHandler {
    private static final Logger LOG = Logger.getLogger(VerifyHandler.class);

    static void onScan(Journal j, StatusEvent.VerifyScan e, String actor) {
        Migration m = j.migration();
        VerificationInfo v = m.verification;
        StatusEvent.VerifyScanCounts s = e.scan();
        if (s == null || s.verification() != v.number || !v.running()) {
            return;
        }
        v.reportAt = Instant.now();
        j.touch();
        if (s.error() != null) {
            fail(j, actor, s.error());
        } else if (s.batches() == null) {
            v.keysTotal = s.keys();
        } else {
            v.batchesTotal = s.batches();
            v.keysTotal = s.keys();
            checkDone(j, actor);
        }
    }

    static void onBatchDone(Journal j, StatusEvent.VerifyBatchDone e, String actor, int maxStored) {
        Migration m = j.migration();
        VerificationInfo v = m.verification;
        StatusEvent.VerifyBatchResult b = e.batch();
        if (b == null || b.verification() != v.number || !v.running()) {
            return;
        }
        if (!ofThisScan(RunKey.of(e), b)) {
            LOG.warnf("migration %s: verification report of batch '%s' ignored: not a batch of verification %d", m.id, b.batchId(),
                    v.number);
            return;
        }
        v.reportAt = Instant.now();
        v.keysChecked += b.checked();
        Map<String, Long> reasons = reasons(v);
        if (b.differences() != null) {
            long stored = v.keysDiffering + reasons.getOrDefault(KeyVerifier.UNSETTLED, 0L);
            for (KeyDifference d : b.differences()) {
                reasons.merge(d.reason(), 1L, Long::sum);
                if (!KeyVerifier.UNSETTLED.equals(d.reason())) {
                    v.keysDiffering++; // unsettled keys are listed, not counted as differences: nothing was proven
                }
                if (stored++ < maxStored) {
                    store(m, d);
                }
            }
        }
        v.reasons = Json.write(reasons);
        if (b.part() >= b.parts() - 1) {
            v.batchesDone++;
        }
        j.touch();
        checkDone(j, actor);
    }

    /** A batch id the verification's scan hands out: {@code <run>:v<number>:<s|t>:<db>:<seq>}. */
    static boolean ofThisScan(RunKey run, StatusEvent.VerifyBatchResult b) {
        String prefix = run + ":v" + b.verification() + ":";
        if (b.batchId() == null || !b.batchId().startsWith(prefix)) {
            return false;
        }
        String[] rest = b.batchId().substring(prefix.length()).split(":");
        if (rest.length != 3 || !(rest[0].equals(VerifyBatch.SOURCE_SIDE) || rest[0].equals(VerifyBatch.TARGET_SIDE))) {
            return false;
        }
        try {
            Integer.parseInt(rest[1]);
            Long.parseLong(rest[2]);
            return true;
        } catch (NumberFormatException x) {
            return false;
        }
    }

    private static void store(Migration m, KeyDifference d) {
        VerificationDiff row = new VerificationDiff();
        row.migrationId = m.id;
        row.verifyNumber = m.verification.number;
        row.db = d.db();
        row.key = d.key() == null ? new byte[0] : d.key();
        row.reason = d.reason() == null ? KeyVerifier.ERROR : d.reason();
        if (d.source() != null) {
            row.sourceType = d.source().type();
            row.sourceTtl = d.source().ttlMillis();
            row.sourceLength = d.source().length();
        }
        if (d.target() != null) {
            row.targetType = d.target().type();
            row.targetTtl = d.target().ttlMillis();
            row.targetLength = d.target().length();
        }
        row.persist();
    }

    public static Map<String, Long> reasons(VerificationInfo v) {
        Map<String, Long> out = new LinkedHashMap<>();
        if (v.reasons != null) {
            out.putAll(Json.read(v.reasons, new TypeReference<Map<String, Long>>() {
            }));
        }
        return out;
    }

    private static void checkDone(Journal j, String actor) {
        VerificationInfo v = j.migration().verification;
        if (v.batchesTotal == null || v.batchesDone < v.batchesTotal) {
            return;
        }
        v.state = VerificationInfo.State.DONE;
        v.endedAt = Instant.now();
        // the scans count key names of both sides (a key on both, twice); done, the total is what was compared
        v.keysTotal = v.keysChecked;
        j.audit(actor, "verify-done", summary(v));
    }

    /** The verification fails (the migration does not): a scan or a batch could not be verified, or the verifiers went silent. */
    public static void fail(Journal j, String actor, String why) {
        VerificationInfo v = j.migration().verification;
        v.state = VerificationInfo.State.FAILED;
        v.error = why;
        v.endedAt = Instant.now();
        j.audit(actor, "verify-failed", "verification " + v.number + ": " + why + " (" + summary(v) + " so far)");
    }

    static String summary(VerificationInfo v) {
        Map<String, Long> reasons = reasons(v);
        String took = v.endedAt == null ? "" : " in " + Duration.between(v.startedAt, v.endedAt).toMillis() + " ms";
        long unsettled = reasons.getOrDefault(KeyVerifier.UNSETTLED, 0L);
        return "verification " + v.number + ": " + v.keysChecked + " key(s) checked, " + v.keysDiffering + " differ"
                + (unsettled > 0 ? ", " + unsettled + " unsettled (kept changing on the source)" : "")
                + (reasons.isEmpty() ? "" : " (" + reasons.entrySet().stream().map(r -> r.getKey() + " " + r.getValue())
                .collect(Collectors.joining(", ")) + ")") + took;
    }

    private VerifyHandler() {
    }
}

package io.dfmigrate.orchestrator.service;

import io.dfmigrate.common.event.Json;
import io.dfmigrate.common.event.StatusEvent;
import io.dfmigrate.common.event.VerifyRequest;
import io.dfmigrate.common.redis.KeySync;
import io.dfmigrate.common.redis.KeyVerifier;
import io.dfmigrate.orchestrator.persistence.CaptureInfo;
import io.dfmigrate.orchestrator.persistence.CopyCounters;
import io.dfmigrate.orchestrator.persistence.Migration;
import io.dfmigrate.orchestrator.persistence.MigrationState;
import io.dfmigrate.orchestrator.persistence.VerificationDiff;
import io.dfmigrate.orchestrator.persistence.VerificationInfo;
import io.dfmigrate.orchestrator.service.lifecycle.CopyHandler;
import io.dfmigrate.orchestrator.service.lifecycle.Shards;
import io.dfmigrate.orchestrator.service.lifecycle.ValidationHandler;
import io.dfmigrate.orchestrator.service.lifecycle.VerifyHandler;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;

/** The migration as the API shows it: masked endpoints, progress with rate and ETA, replication, cutover, guard, verification. */
final class MigrationViews {
    static Dtos.MigrationView view(Migration m) {
        return view(m, false);
    }

    /** {@code withDifferences}: the first differing keys of the verification too (a single migration's view, not the list). */
    static Dtos.MigrationView view(Migration m, boolean withDifferences) {
        return new Dtos.MigrationView(m.id.toString(), m.name, m.state.name(), m.run, Dtos.EndpointView.of(m.sourceUri),
                Dtos.EndpointView.of(m.targetUri), Journal.options(m),
                m.validation == null ? null : new Dtos.ValidationView(ValidationHandler.checks(m)), progress(m), replication(m),
                m.cutover.phase == null && m.cutover.detail == null ? null
                        : new Dtos.CutoverView(m.cutover.phase == null ? null : m.cutover.phase.name(), m.cutover.pauseMillis, m.cutover.detail),
                m.guard.status == null ? null : new Dtos.GuardView(m.guard.status.name(), m.guard.detail),
                m.error, m.allowedActionNames(),
                new Dtos.TimestampsView(m.validatedAt, m.copy.startedAt, m.copy.finishedAt, m.endedAt, m.lastReportAt),
                m.createdAt, m.updatedAt, verification(m, withDifferences), m.targetOwnKeys,
                Shards.views(m));
    }

    private static Dtos.VerificationView verification(Migration m, boolean withDifferences) {
        VerificationInfo v = m.verification;
        if (v.state == null) {
            return null;
        }
        VerifyRequest req = Json.read(v.request, VerifyRequest.class);
        java.util.Map<String, Long> reasons = VerifyHandler.reasons(v);
        Double percent = null;
        if (v.batchesTotal != null) {
            percent = v.batchesTotal == 0 ? 100.0 : Math.min(100.0, 100.0 * v.batchesDone / v.batchesTotal);
        } else if (v.keysTotal != null && v.keysTotal > 0) {
            percent = Math.min(99.0, 100.0 * v.keysChecked / v.keysTotal);
        }
        List<Dtos.DifferenceView> first = withDifferences
                ? VerificationDiff.page(m.id, v.number, 0, MigrationQueries.FIRST_DIFFERENCES).stream().map(MigrationViews::difference).toList()
                : null;
        return new Dtos.VerificationView(v.number, v.state, req.mode(), req.sample(), req.dbs(), req.keyPattern(), req.ttlToleranceMillis(),
                v.keysTotal, v.keysChecked, percent, v.batchesTotal, v.batchesDone, v.keysDiffering,
                reasons.getOrDefault(KeyVerifier.UNSETTLED, 0L), reasons, first,
                v.error, v.actor, v.startedAt, v.endedAt);
    }

    static Dtos.DifferenceView difference(VerificationDiff d) {
        return new Dtos.DifferenceView(d.id, d.db, KeySync.printable(d.key), d.reason, new Dtos.SideView(d.sourceType, d.sourceTtl,
                d.sourceLength), new Dtos.SideView(d.targetType, d.targetTtl, d.targetLength));
    }

    private static Dtos.ProgressView progress(Migration m) {
        CopyCounters c = m.copy;
        Double percent = null;
        if (c.batchesTotal != null && c.batchesTotal > 0) {
            percent = Math.min(100.0, 100.0 * c.batchesDone / c.batchesTotal);
        } else if (c.batchesTotal != null) {
            percent = 100.0;
        } else if (c.keysTotal != null && c.keysTotal > 0) {
            percent = Math.min(99.0, 100.0 * (c.keysCopied + c.keysFailed) / c.keysTotal);
        }
        Double kps = null;
        Long eta = null;
        if (c.startedAt != null) {
            Instant end = c.finishedAt != null ? c.finishedAt : Instant.now();
            double secs = Math.max(0.001, Duration.between(c.startedAt, end).toMillis() / 1000.0);
            kps = Math.round(c.keysCopied / secs * 10) / 10.0;
            if (c.finishedAt != null) {
                eta = 0L;
            } else if (c.keysTotal != null && kps > 0) {
                eta = Math.max(0, (long) Math.ceil((c.keysTotal - c.keysCopied - c.keysFailed) / kps));
            }
        }
        return new Dtos.ProgressView(c.keysTotal, c.keysCopied, c.keysFailed, c.keysStructural, c.bytesCopied, percent, kps, eta,
                c.batchesTotal, c.batchesDone, live(m), m.state == MigrationState.COPYING ? m.stalled : null, c.mode, c.modeReason);
    }

    /** The sum of the workers' latest live reports, while COPYING. */
    private static Dtos.LiveProgressView live(Migration m) {
        if (m.state != MigrationState.COPYING || m.copy.live == null) {
            return null;
        }
        Collection<StatusEvent.Progress> all = CopyHandler.liveProgress(m).values();
        return new Dtos.LiveProgressView(all.stream().mapToLong(StatusEvent.Progress::keys).sum(),
                all.stream().mapToLong(StatusEvent.Progress::bytes).sum(), all.stream().mapToLong(StatusEvent.Progress::failed).sum(),
                all.stream().mapToLong(StatusEvent.Progress::structural).sum(),
                all.stream().mapToLong(StatusEvent.Progress::bigKeyElements).sum(),
                Math.round(all.stream().mapToDouble(StatusEvent.Progress::keysPerSecond).sum() * 10) / 10.0, all.size());
    }

    private static Dtos.ReplicationView replication(Migration m) {
        CaptureInfo c = m.capture;
        if (c.startedAt == null) {
            return new Dtos.ReplicationView(null, null, null, false, 0, null, 0, null, null, null, null);
        }
        long pending = c.pending();
        // the rate of the last window, while it is recent: catch-up progress after a long copy
        boolean recent = c.rateAt != null && c.rateAt.isAfter(Instant.now().minusSeconds(15));
        Double rate = recent && c.applyRate != null ? c.applyRate : (m.state == MigrationState.REPLICATING ? Double.valueOf(0) : null);
        Long eta = pending == 0 ? Long.valueOf(0) : rate != null && rate > 0 ? (long) Math.ceil(pending / rate) : null;
        return new Dtos.ReplicationView(c.lagMillis, pending, c.appliedTotal, m.reconciling, m.reconcilePass, c.worker,
                c.takeovers, rate, eta, m.state == MigrationState.REPLICATING ? m.stalled : null, c.applyError);
    }

    private MigrationViews() {
    }
}

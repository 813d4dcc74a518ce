package io.dfmigrate.orchestrator.service;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import io.dfmigrate.common.event.MigrationOptions;
import io.dfmigrate.common.event.ValidationCheck;
import io.dfmigrate.orchestrator.persistence.VerificationInfo;
import java.time.Instant;
import java.util.List;

/** Request and response bodies of the REST API (the REST contract, README quickstart; OpenAPI at /q/openapi). */
public final class Dtos {
    /**
     * An endpoint as a caller gives it: the URI, and optionally the CA certificates to trust for TLS as PEM content
     * ({@code caPem}; sealed with the URI, so no worker needs a file). {@code topology}: {@code standalone} (default) or,
     * for a source, {@code cluster} (the URI names any node of a Redis Cluster, whose every master is the source) or
     * {@code sentinel}: then the URI names a Sentinel (its credentials in {@code sentinelUsername} and
     * {@code sentinelPassword}, sealed with the URI) and {@code masterName} the master it monitors, whose credentials are
     * the URI's.
     */
    public record EndpointInput(String uri, String caPem, String topology, String masterName, String sentinelUsername,
                                String sentinelPassword) {
        public EndpointInput(String uri, String caPem) {
            this(uri, caPem, null, null, null, null);
        }
    }

    public record CreateMigrationRequest(String name, EndpointInput source, EndpointInput target, MigrationOptions options) {
    }

    public record StartRequest(Boolean acknowledgeWarnings) {
    }

    public record CompleteRequest(Boolean cutover) {
    }

    /**
     * {@code POST …/verify}: {@code mode} full (default) or sample with {@code sample} keys; {@code dbs} and
     * {@code keyPattern} narrow it (the migration's by default); {@code ttlToleranceMillis} how far apart TTLs may be.
     */
    @JsonIgnoreProperties(ignoreUnknown = false)
    public record VerifyRequest(String mode, Long sample, List<Integer> dbs, String keyPattern, Long ttlToleranceMillis) {
    }

    /**
     * The latest verification of the current run: {@code state} RUNNING, DONE or FAILED; {@code keysTotal} the keys to
     * compare (while RUNNING the key names the scans found on both sides, a key on both counted twice; once DONE the keys
     * compared); {@code keysDiffering} proven different, {@code keysUnsettled} kept
     * changing on the source while compared (listed, not proven either way), counts per reason; {@code differences} the
     * first {@value io.dfmigrate.orchestrator.service.MigrationQueries#FIRST_DIFFERENCES} of them (on a single migration's
     * view; {@code GET …/verification/diff} pages through all).
     */
    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record VerificationView(int number, VerificationInfo.State state, String mode, Long sample, List<Integer> dbs, String keyPattern,
                                   long ttlToleranceMillis, Long keysTotal, long keysChecked, Double percent, Long batchesTotal,
                                   long batchesDone, long keysDiffering, long keysUnsettled, java.util.Map<String, Long> reasons,
                                   List<DifferenceView> differences, String error, String requestedBy, Instant startedAt,
                                   Instant endedAt) {
    }

    /** One side of a differing key: type ({@code none}: missing), TTL left in ms (-1 none, -2 missing), length. */
    public record SideView(String type, Long ttlMillis, Long length) {
    }

    /** A differing key: db, the key (UTF-8, or {@code b64:<base64>} when it is not text), why, and both sides. */
    public record DifferenceView(long id, int db, String key, String reason, SideView source, SideView target) {
    }

    /** A page of differences; {@code next} is the {@code after} of the next page, null on the last one. */
    public record DifferencePage(int verification, List<DifferenceView> items, Long next) {
    }

    /**
     * An endpoint as the API shows it: the URI with the passwords masked; {@code topology} and, for a Sentinel,
     * {@code masterName} as given.
     */
    public record EndpointView(String uri, String topology, String masterName) {
        public static EndpointView of(String maskedUri) {
            try {
                io.dfmigrate.common.endpoint.RedisEndpoint e = io.dfmigrate.common.endpoint.RedisEndpoint.parse(maskedUri);
                String master = e.sentinelMaster();
                return new EndpointView(maskedUri, master != null ? "sentinel" : e.cluster() ? "cluster" : "standalone", master);
            } catch (RuntimeException e) {
                return new EndpointView(maskedUri, "standalone", null); // stored when it was valid; shown as stored
            }
        }
    }

    public record ValidationView(List<ValidationCheck> checks) {
    }

    @JsonInclude(JsonInclude.Include.ALWAYS)
    /**
     * {@code keysStructural}: copied by type (big keys, DUMP payloads the target refused); {@code bytesCopied} counts DUMP
     * payloads; {@code stalled}: while COPYING, why the copy counters have not moved for the stall timeout (null when they move);
     * {@code copyMode} the copy the copier took for this run ({@code scan} or {@code snapshot}; null until it starts) and
     * {@code copyModeReason} why (options.copyMode, or what {@code auto} found).
     */
    public record ProgressView(Long keysTotal, long keysCopied, long keysFailed, long keysStructural, long bytesCopied, Double percent,
                               Double keysPerSecond, Long etaSeconds, Long batchesTotal, long batchesDone, LiveProgressView live,
                               String stalled, String copyMode, String copyModeReason) {
    }

    /**
     * While COPYING: the copiers' own totals, reported every second and ahead of the acknowledged counters above (they
     * include batches in flight and big keys half way): keys written, payload bytes, failed keys, keys copied by type,
     * elements of big keys written so far, the current rate and how many copier instances report.
     */
    public record LiveProgressView(long keys, long bytes, long failed, long structural, long bigKeyElements, double keysPerSecond,
                                   int workers) {
    }

    @JsonInclude(JsonInclude.Include.ALWAYS)
    /**
     * {@code captureWorker}: the replicator ({@code service/instance}) capturing the source's changes;
     * {@code captureTakeovers}: how often another replicator took the capture over from a silent one;
     * {@code appliedPerSecond} and {@code etaSeconds}: the appliers' rate over the last seconds and when the pending changes
     * are applied at that rate (the catch-up after a long copy); {@code stalled}: why replication is stalled (changes
     * pending, none applied for the stall timeout), null when it moves; {@code applierError}: the appliers' last error
     * while they keep failing.
     */
    public record ReplicationView(Long lagMillis, Long pendingChanges, Long appliedChanges, boolean reconciling, int reconciliations,
                                  String captureWorker, int captureTakeovers, Double appliedPerSecond, Long etaSeconds,
                                  String stalled, String applierError) {
    }

    /**
     * The cutover: {@code state} PAUSING, DRAINING (writes paused, applying what was captured), VERIFYING, DONE or
     * MISMATCH (per-database key counts differed); {@code pauseMillis} is how long source writes were paused.
     */
    public record CutoverView(String state, Long pauseMillis, String detail) {
    }

    /**
     * The target write guard ({@code options.guardTarget}): {@code status} APPLYING, ACTIVE (other users' writes refused),
     * LIFTING (a lift failed and is retried), LIFTING_FOR_CUTOVER or LIFTED; null when the migration never guarded.
     */
    public record GuardView(String status, String detail) {
    }

    /** When each phase happened; {@code lastReportAt} is the last time a worker reported on the current run. */
    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record TimestampsView(Instant validatedAt, Instant copyStartedAt, Instant copyFinishedAt, Instant endedAt,
                                 Instant lastReportAt) {
    }

    /**
     * One master of a Redis Cluster source ({@code server} host:port): its share of the copy ({@code keysTotal} as scanned,
     * null while its scan runs; {@code percent} of its batches done), of replication ({@code captured} from it by the
     * current capture, {@code subscribed}, {@code appliedChanges}, {@code lagMillis} of its newest applied change) and
     * of the cutover ({@code paused}, {@code cutoverKeys} it held while paused, {@code cutoverDiffer} of its keys checked
     * and found different). A master that failed over keeps its entry; its replacement gets its own.
     */
    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record ShardView(String server, Long keysTotal, long keysCopied, long keysFailed, Long batchesTotal, long batchesDone,
                            Double percent, Long captured, Boolean subscribed, long appliedChanges, Long lagMillis, Boolean paused,
                            Long cutoverKeys, Long cutoverDiffer) {
    }

    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record MigrationView(String id, String name, String state, int run, EndpointView source, EndpointView target,
                                MigrationOptions options, ValidationView validation, ProgressView progress,
                                ReplicationView replication, CutoverView cutover, GuardView targetGuard, String error,
                                List<String> allowedActions,
                                TimestampsView timestamps, Instant createdAt, Instant updatedAt, VerificationView verification,
                                Long targetOwnKeys, List<ShardView> shards) {
    }

    public record AuditView(String id, Instant time, String type, String actor, String action, String fromState,
                            String toState, String detail) {
    }

    private Dtos() {
    }
}

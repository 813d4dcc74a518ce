package io.dfmigrate.copier.messaging;

import io.dfmigrate.common.Topics;
import io.dfmigrate.common.event.RunKey;
import io.smallrye.common.annotation.Identifier;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.jboss.logging.Logger;

/**
 * Whether the replicator has applied every change captured so far for a run: the end offsets of {@code dfm.changes}
 * taken now, reached by the offsets the run's applier group commits after each applied batch. A run without an applier
 * group (not replicating, or ended) has nothing in flight.
 */
@ApplicationScoped
public class AppliedChanges {
    private static final Logger LOG = Logger.getLogger(AppliedChanges.class);
    private static final Duration ADMIN_TIMEOUT = Duration.ofSeconds(30);
    private static final long POLL_MILLIS = 500;

    private final Map<String, Object> kafka;
    private Admin admin;

    public AppliedChanges(@Identifier("default-kafka-broker") Map<String, Object> kafka) {
        this.kafka = kafka;
    }

    private synchronized Admin admin() {
        if (admin == null) {
            Map<String, Object> c = new HashMap<>();
            kafka.forEach((k, v) -> {
                if (!k.startsWith("mp.") && !k.contains("health")) {
                    c.put(k, v);
                }
            });
            c.put(AdminClientConfig.CLIENT_ID_CONFIG, "dfm-copier-verify");
            admin = Admin.create(c);
        }
        return admin;
    }

    /** Waits up to {@code max} until the run's appliers have applied what was captured until now; false when they did not. */
    public boolean await(RunKey run, Duration max) {
        String group = Topics.applierGroup(run.migrationId(), run.run());
        long deadline = System.nanoTime() + max.toNanos();
        try {
            Map<TopicPartition, Long> committed = committed(group);
            if (committed.isEmpty()) {
                return true;
            }
            Map<TopicPartition, Long> ends = admin().listOffsets(committed.keySet().stream()
                            .collect(Collectors.toMap(p -> p, p -> OffsetSpec.latest()))).all()
                    .get(ADMIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).entrySet().stream()
                    .collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().offset()));
            while (true) {
                Map<TopicPartition, Long> now = committed;
                if (ends.entrySet().stream().allMatch(e -> now.getOrDefault(e.getKey(), Long.MAX_VALUE) >= e.getValue())) {
                    return true;
                }
                if (System.nanoTime() > deadline) {
                    LOG.infof("run %s: the replicator did not apply the changes captured so far within %s", run, max);
                    return false;
                }
                Thread.sleep(POLL_MILLIS);
                committed = committed(group);
                if (committed.isEmpty()) {
                    return true; // the run ended: its group is gone, nothing is applied any more
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (ExecutionException | TimeoutException | RuntimeException e) {
            LOG.warnf("run %s: cannot tell how far the replicator has applied the changes: %s", run, e.getCause() == null ? e : e.getCause());
            return false;
        }
    }

    private Map<TopicPartition, Long> committed(String group) throws InterruptedException, ExecutionException, TimeoutException {
        Map<TopicPartition, OffsetAndMetadata> offsets = admin().listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata()
                .get(ADMIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        Map<TopicPartition, Long> out = new HashMap<>();
        offsets.forEach((p, o) -> {
            if (o != null) {
                out.put(p, o.offset());
            }
        });
        return out;
    }

    @PreDestroy
    synchronized void close() {
        if (admin != null) {
            admin.close(Duration.ofSeconds(5));
        }
    }
}

package io.dfmigrate.replicator.messaging;

import io.dfmigrate.common.Topics;
import io.dfmigrate.common.event.ChangeEvent;
import io.dfmigrate.common.event.RunKey;
import io.dfmigrate.common.event.Json;
import io.smallrye.common.annotation.Identifier;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BiConsumer;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.jboss.logging.Logger;

/**
 * {@code dfm.changes} with the plain Kafka clients: the capture's producer, the appliers' consumers (one consumer group
 * per migration run, {@code dfm-apply-<migration>-<run>}), and the admin calls that tie them together. The clients get
 * the service's {@code kafka.*} settings (bootstrap servers, security), so they connect like every channel does.
 *
 * <p>Why not a messaging channel: a run's changes must wait in Kafka, unconsumed, for as long as its copy lasts (hours),
 * and another run's changes in the same partitions must not wait with them. A run's own consumer group does exactly
 * that: it does not exist while the copy runs, and starts at the offsets the capture recorded before its first change.
 */
@ApplicationScoped
public class ChangeLog {
    private static final Logger LOG = Logger.getLogger(ChangeLog.class);
    private static final Duration ADMIN_TIMEOUT = Duration.ofSeconds(30);

    private final Map<String, Object> kafka;
    private volatile KafkaProducer<String, String> producer;
    private volatile Admin admin;

    public ChangeLog(@Identifier("default-kafka-broker") Map<String, Object> kafka) {
        this.kafka = kafka;
    }

    /** The consumer group that applies the changes of one run. */
    public static String applierGroup(RunKey run) {
        return Topics.applierGroup(run.migrationId(), run.run());
    }

    /** The record key: a key's changes always land in the same partition, so they stay in order. */
    public static String recordKey(ChangeEvent c) {
        return c.migrationId() + ":" + c.db() + ":" + Base64.getEncoder().encodeToString(c.key());
    }

    private Map<String, Object> common() {
        Map<String, Object> c = new HashMap<>();
        kafka.forEach((k, v) -> {
            if (!k.startsWith("mp.") && !k.contains("health")) {
                c.put(k, v);
            }
        });
        return c;
    }

    private synchronized KafkaProducer<String, String> producer() {
        if (producer == null) {
            Map<String, Object> c = common();
            c.put(ProducerConfig.CLIENT_ID_CONFIG, "dfm-capture");
            c.put(ProducerConfig.ACKS_CONFIG, "all");
            c.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true); // retries keep a partition's order
            c.put(ProducerConfig.LINGER_MS_CONFIG, 5);
            c.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
            c.put(ProducerConfig.BUFFER_MEMORY_CONFIG, 32L << 20); // send() blocks when full: the capture's back-pressure
            c.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 60_000);
            c.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 120_000);
            producer = new KafkaProducer<>(c, new StringSerializer(), new StringSerializer());
        }
        return producer;
    }

    private synchronized Admin admin() {
        if (admin == null) {
            Map<String, Object> c = common();
            c.put(ConsumerConfig.CLIENT_ID_CONFIG, "dfm-replicator-admin");
            admin = Admin.create(c);
        }
        return admin;
    }

    /**
     * Sends one change; {@code done} gets null or the error once the broker acknowledged it. Blocks (back-pressure) while
     * the producer's buffer is full.
     */
    public void send(ChangeEvent change, BiConsumer<ChangeEvent, Exception> done) {
        producer().send(new ProducerRecord<>(Topics.CHANGES, recordKey(change), Json.write(change)),
                (meta, err) -> done.accept(change, err));
    }

    public void flush() {
        if (producer != null) {
            producer.flush();
        }
    }

    /**
     * Before a run's capture sends its first change: gives the run's applier group, for every partition where it has
     * no committed offset yet, the partition's current end. So the appliers, whenever they start, begin exactly at the
     * first change of the run, and a capture taken over later never moves an offset back or forward.
     */
    public void markRunStart(RunKey run) {
        String group = applierGroup(run);
        try {
            Admin a = admin();
            List<TopicPartition> partitions = a.describeTopics(List.of(Topics.CHANGES)).allTopicNames()
                    .get(ADMIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).get(Topics.CHANGES).partitions().stream()
                    .map(p -> new TopicPartition(Topics.CHANGES, p.partition())).toList();
            Map<TopicPartition, OffsetAndMetadata> committed = a.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata()
                    .get(ADMIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            List<TopicPartition> missing = partitions.stream().filter(p -> committed.get(p) == null).toList();
            if (missing.isEmpty()) {
                return;
            }
            Map<TopicPartition, Long> ends = endOffsets(missing);
            a.alterConsumerGroupOffsets(group, ends.entrySet().stream().collect(Collectors.toMap(Map.Entry::getKey,
                    e -> new OffsetAndMetadata(e.getValue(), "capture start")))).all().get(ADMIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            LOG.debugf("applier group %s starts at %s", group, ends);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("could not record where the run's changes begin in " + Topics.CHANGES + ": "
                    + (e.getCause() == null ? e : e.getCause()), e);
        }
    }

    /** The end offsets of these partitions (the offset the next record will get). */
    public Map<TopicPartition, Long> endOffsets(List<TopicPartition> partitions) throws InterruptedException, ExecutionException, TimeoutException {
        return admin().listOffsets(partitions.stream().collect(Collectors.toMap(p -> p, p -> OffsetSpec.latest()))).all()
                .get(ADMIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).entrySet().stream()
                .collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().offset()));
    }

    /** A consumer in the run's applier group; offsets are committed by the caller after each applied batch. */
    public KafkaConsumer<String, String> applierConsumer(RunKey run, int maxPollRecords) {
        Map<String, Object> c = common();
        c.put(ConsumerConfig.GROUP_ID_CONFIG, applierGroup(run));
        c.put(ConsumerConfig.CLIENT_ID_CONFIG, "dfm-apply-" + run + "-" + Integer.toHexString(System.identityHashCode(this)));
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        // no silent jump: a missing or out-of-range offset is handled by the applier (from the beginning, and reconciled)
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "none");
        c.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, maxPollRecords);
        c.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 10_000);
        c.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, 2_000);
        c.put(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG, 600_000);
        return new KafkaConsumer<>(c, new StringDeserializer(), new StringDeserializer());
    }

    /** Removes an ended run's applier group (best effort: an empty group also expires with the broker's offset retention). */
    public void deleteGroup(RunKey run) {
        try {
            admin().deleteConsumerGroups(List.of(applierGroup(run))).all().get(ADMIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException | RuntimeException e) {
            LOG.debugf("applier group of %s not deleted: %s", run, e.toString());
        }
    }

    @PreDestroy
    public synchronized void close() {
        if (producer != null) {
            producer.close(Duration.ofSeconds(10));
        }
        if (admin != null) {
            admin.close(Duration.ofSeconds(5));
        }
    }
}

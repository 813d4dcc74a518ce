package io.dfmigrate.copier.messaging;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dfmigrate.common.Topics;
import io.dfmigrate.common.event.RunKey;
import io.dfmigrate.localstack.KafkaBroker;
import io.dfmigrate.localstack.StackException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** How a verifying copier learns from a real Kafka broker that the changes captured so far have been applied. */
class AppliedChangesTest {
    static KafkaBroker kafka;
    static Admin admin;
    static AppliedChanges applied;

    @BeforeAll
    static void start() throws Exception {
        Path dir = Files.createDirectories(Path.of("target").toAbsolutePath()).resolve("kafka-" + System.nanoTime());
        kafka = StackException.onFreePorts((port, controller) -> new KafkaBroker(dir, port, controller).start());
        kafka.createTopics();
        admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()));
        applied = new AppliedChanges(Map.of("bootstrap.servers", kafka.bootstrapServers(), "mp.messaging.whatever", "ignored"));
    }

    @AfterAll
    static void stop() {
        if (applied != null) {
            applied.close();
        }
        if (admin != null) {
            admin.close();
        }
        if (kafka != null) {
            kafka.close();
        }
    }

    static Map<TopicPartition, Long> ends() throws Exception {
        Map<TopicPartition, OffsetSpec> all = new HashMap<>();
        for (int p = 0; p < Topics.defaultPartitions(Topics.CHANGES); p++) {
            all.put(new TopicPartition(Topics.CHANGES, p), OffsetSpec.latest());
        }
        Map<TopicPartition, Long> out = new HashMap<>();
        admin.listOffsets(all).all().get(30, TimeUnit.SECONDS).forEach((tp, info) -> out.put(tp, info.offset()));
        return out;
    }

    static void commit(String group, Map<TopicPartition, Long> offsets) throws Exception {
        Map<TopicPartition, OffsetAndMetadata> o = new HashMap<>();
        offsets.forEach((tp, off) -> o.put(tp, new OffsetAndMetadata(off)));
        admin.alterConsumerGroupOffsets(group, o).all().get(30, TimeUnit.SECONDS);
    }

    @Test
    void aRunIsAppliedWhenItsGroupHasCommittedEveryChangeCapturedBeforeTheQuestion() throws Exception {
        RunKey run = new RunKey("m-applied", 1);
        String group = Topics.applierGroup(run.migrationId(), run.run());
        // no applier group: not replicating, nothing in flight
        assertTrue(applied.await(run, Duration.ofSeconds(1)));
        commit(group, ends()); // the capture marks the run's start
        try (KafkaProducer<String, String> p = new KafkaProducer<>(Map.of("bootstrap.servers", kafka.bootstrapServers()),
                new StringSerializer(), new StringSerializer())) {
            for (int i = 0; i < 50; i++) {
                p.send(new ProducerRecord<>(Topics.CHANGES, "m-applied:0:k" + i, "{}")).get(30, TimeUnit.SECONDS);
            }
        }
        // 50 changes captured, none applied: not within the wait
        assertFalse(applied.await(run, Duration.ofSeconds(2)));
        // the appliers commit everything 1.5 s after the question: the answer waits for them
        Map<TopicPartition, Long> end = ends();
        Thread committer = Thread.ofVirtual().start(() -> {
            try {
                Thread.sleep(1500);
                commit(group, end);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        long t0 = System.nanoTime();
        assertTrue(applied.await(run, Duration.ofSeconds(60)));
        assertTrue(System.nanoTime() - t0 >= 1_000_000_000L, "it waited for the commit");
        committer.join();
        // the run ended: its group is deleted, nothing more will be applied or is waited for
        admin.deleteConsumerGroups(java.util.List.of(group)).all().get(30, TimeUnit.SECONDS);
        assertTrue(applied.await(run, Duration.ofSeconds(1)));
    }
}

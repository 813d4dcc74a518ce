package io.dfmigrate.orchestrator.messaging;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.apache.kafka.clients.producer.Partitioner;
import org.apache.kafka.common.Cluster;
import org.apache.kafka.common.utils.Utils;

/**
 * The partitioner of {@code dfm.runs}: a record keyed {@code <migration id>:<run>|<kind>} goes to the partition of its
 * migration id (murmur2, as Kafka's default partitioner), so that a run's commands of every kind stay in the order they
 * were given, also after compaction.
 */
public class RunPartitioner implements Partitioner {
    @Override
    public int partition(String topic, Object key, byte[] keyBytes, Object value, byte[] valueBytes, Cluster cluster) {
        String k = String.valueOf(key);
        int colon = k.indexOf(':');
        String migration = colon < 0 ? k : k.substring(0, colon);
        return Utils.toPositive(Utils.murmur2(migration.getBytes(StandardCharsets.UTF_8))) % cluster.partitionCountForTopic(topic);
    }

    @Override
    public void close() {
    }

    @Override
    public void configure(Map<String, ?> configs) {
    }
}

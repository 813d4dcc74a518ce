package io.dfmigrate.replicator.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dfmigrate.common.endpoint.RedisEndpoint;
import io.dfmigrate.common.event.ChangeEvent;
import io.dfmigrate.common.event.Json;
import io.dfmigrate.common.event.RunKey;
import io.dfmigrate.common.redis.KeyScope;
import io.dfmigrate.localstack.RedisServer;
import io.vertx.core.Vertx;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import io.dfmigrate.common.Topics;

/**
 * One capture against a real redis-server and the real Kafka of {@link RunApplierTest}: notifications of every database
 * become change records keyed by migration, db and key (binary keys intact), coalesced per key; with a tiny buffer the
 * subscription is paused and resumed without losing a key; a connection the source drops is reported, never ignored.
 */
class CaptureTest {
    static Vertx vertx;

    @BeforeAll
    static void start() throws Exception {
        RunApplierTest.start();
        vertx = RunApplierTest.vertx;
    }

    @AfterAll
    static void stop() {
        RunApplierTest.stop();
    }

    final List<String> lost = new CopyOnWriteArrayList<>();

    Capture capture(RedisServer source, String migration, int bufferKeys) {
        return capture(source, migration, bufferKeys, KeyScope.ALL);
    }

    Capture capture(RedisServer source, String migration, int bufferKeys, KeyScope scope) {
        Capture c = new Capture(new RunKey(migration, 1), RedisEndpoint.parse(source.uri()), scope, null, false, bufferKeys, 1000, lost::add);
        c.subscribe(vertx, Duration.ofSeconds(10));
        Thread.ofVirtual().start(() -> c.send(RunApplierTest.log));
        return c;
    }

    /** The change records of one migration on dfm.changes, by record key. */
    static Map<String, ChangeEvent> changes(String migration, long atLeastNotifications) {
        Map<String, ChangeEvent> out = new HashMap<>();
        Map<String, Object> config = Map.of("bootstrap.servers", RunApplierTest.kafka.bootstrapServers(), "group.id", "t-" + System.nanoTime(),
                "auto.offset.reset", "earliest", "key.deserializer", "org.apache.kafka.common.serialization.StringDeserializer",
                "value.deserializer", "org.apache.kafka.common.serialization.StringDeserializer");
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(config)) {
            consumer.subscribe(List.of(Topics.CHANGES));
            long[] seen = {0};
            RunApplierTest.await(() -> {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                    ChangeEvent c = Json.read(r.value(), ChangeEvent.class);
                    if (c.migrationId().equals(migration)) {
                        assertEquals(r.key(), migration + ":" + c.db() + ":" + Base64.getEncoder().encodeToString(c.key()));
                        out.merge(r.key(), c, (a, b) -> new ChangeEvent(a.migrationId(), a.run(), a.db(), a.key(), b.event(),
                                a.timeMillis(), a.capture(), a.notifications() + b.notifications()));
                        seen[0] += c.notifications();
                    }
                }
                return seen[0] >= atLeastNotifications;
            }, Duration.ofSeconds(60), atLeastNotifications + " notifications of " + migration);
        }
        return out;
    }

    @Test
    void notificationsOfEveryDatabaseBecomeCoalescedChangeRecordsWithBinaryKeysIntact() {
        try (RedisServer source = RedisServer.start("--notify-keyspace-events", "KA")) {
            String m = "cap-" + System.nanoTime();
            Capture c = capture(source, m, 100_000);
            try {
                source.cli("SET", "plain", "1");
                source.cli("-n", "3", "HSET", "in-db-3", "f", "v");
                source.cli("EVAL", "redis.call('SET', 'bin\\233\\nkey', 'v')", "0"); // a key with a newline and a byte that is not UTF-8
                source.cli("EVAL", "for i = 1, 200 do redis.call('INCR', 'hot') end return 1", "0"); // 200 notifications
                Map<String, ChangeEvent> changes = changes(m, 203);
                ChangeEvent hot = changes.get(m + ":0:" + Base64.getEncoder().encodeToString("hot".getBytes(StandardCharsets.UTF_8)));
                assertEquals(200, hot.notifications(), "every INCR counted, in fewer records");
                assertEquals("incrby", hot.event());
                assertTrue(changes.containsKey(m + ":3:" + Base64.getEncoder().encodeToString("in-db-3".getBytes(StandardCharsets.UTF_8))),
                        changes.keySet().toString());
                byte[] binary = {'b', 'i', 'n', (byte) 0xe9, '\n', 'k', 'e', 'y'};
                assertTrue(changes.containsKey(m + ":0:" + Base64.getEncoder().encodeToString(binary)), changes.keySet().toString());
                assertEquals(c.captured.get(), c.sent.get(), "everything captured reached Kafka");
                assertTrue(lost.isEmpty(), lost.toString());
            } finally {
                c.ended.set(true);
                c.close();
            }
        }
    }

    @Test
    void onlyKeysOfTheMigrationsDatabasesAndPatternAreCaptured() {
        try (RedisServer source = RedisServer.start("--notify-keyspace-events", "KA")) {
            String m = "scope-" + System.nanoTime();
            Capture c = capture(source, m, 100_000, KeyScope.of(List.of(0, 2), "app:*"));
            try {
                source.cli("SET", "app:1", "in scope");
                source.cli("SET", "other", "outside the pattern");
                source.cli("DEL", "other");
                source.cli("SET", "x__:app:1", "matched by the channel glob, not by the key pattern");
                source.cli("-n", "3", "SET", "app:1", "outside the dbs");
                source.cli("-n", "3", "DEL", "app:1");
                source.cli("-n", "2", "SET", "app:2", "in scope");
                source.cli("-n", "2", "RENAME", "app:2", "app:3"); // rename_from app:2, rename_to app:3: both in scope
                source.cli("SET", "app:last", "in scope");
                // the marker is captured after everything before it: whatever else arrives is there by then
                Map<String, ChangeEvent> changes = changes(m, 5);
                java.util.Set<String> keys = new java.util.TreeSet<>();
                changes.values().forEach(ch -> keys.add(ch.db() + ":" + new String(ch.key(), StandardCharsets.UTF_8)));
                assertEquals(java.util.Set.of("0:app:1", "2:app:2", "2:app:3", "0:app:last"), keys);
                assertEquals(5, c.captured.get(), "notifications outside the scope are not even counted");
                assertEquals(List.of("__keyspace@0__:app:*", "__keyspace@2__:app:*"), Capture.patterns(c.scope));
            } finally {
                c.ended.set(true);
                c.close();
            }
        }
    }

    @Test
    void aFullBufferPausesTheSubscriptionAndNothingIsLost() {
        try (RedisServer source = RedisServer.start("--notify-keyspace-events", "KA")) {
            String m = "bp-" + System.nanoTime();
            Capture c = capture(source, m, 10);
            try {
                source.cli("EVAL", "for i=1,5000 do redis.call('SET', 'k'..i, i) end", "0");
                Map<String, ChangeEvent> changes = changes(m, 5000);
                assertEquals(5000, changes.size(), "one key each");
                assertTrue(c.pausedLastAt != 0, "back-pressure was applied");
                RunApplierTest.await(() -> !c.paused, Duration.ofSeconds(30), "the subscription resumed");
                assertTrue(lost.isEmpty(), lost.toString());
            } finally {
                c.ended.set(true);
                c.close();
            }
        }
    }

    @Test
    void aConnectionTheSourceDropsIsReportedAsAPossibleLoss() {
        try (RedisServer source = RedisServer.start("--notify-keyspace-events", "KA")) {
            Capture c = capture(source, "drop-" + System.nanoTime(), 100_000);
            try {
                source.cli("CLIENT", "KILL", "TYPE", "pubsub");
                RunApplierTest.await(() -> !lost.isEmpty(), Duration.ofSeconds(30), "the loss reported");
                assertTrue(lost.get(0).contains("closed by the source"), lost.toString());
                assertEquals(false, c.subscribed);
            } finally {
                c.ended.set(true);
                c.close();
            }
        }
    }
}

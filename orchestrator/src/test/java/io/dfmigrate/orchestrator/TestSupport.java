package io.dfmigrate.orchestrator;

import static io.restassured.RestAssured.given;

import io.dfmigrate.common.Topics;
import io.dfmigrate.common.event.Json;
import io.dfmigrate.common.event.RunKey;
import io.dfmigrate.common.event.StatusEvent;
import io.dfmigrate.common.secret.EventSigner;
import io.restassured.http.ContentType;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.eclipse.microprofile.config.ConfigProvider;

/** What the orchestrator's tests share: the API as a client calls it, and Kafka as the workers use it. */
final class TestSupport {
    static final String SOURCE = "redis://app:s3cr%2Ft@127.0.0.1:7001";
    static final String TARGET = "redis://:t4rget@127.0.0.1:7002/0";

    static String body(String name, String source, String target, String options) {
        return "{\"name\":\"" + name + "\",\"source\":{\"uri\":\"" + source + "\"},\"target\":{\"uri\":\"" + target + "\"}"
                + (options == null ? "" : ",\"options\":" + options) + "}";
    }

    /** These tests play the workers and have no real target: no write guard (TargetGuardTest covers it). */
    static String create(String name) {
        return given().contentType(ContentType.JSON).body(body(name, SOURCE, TARGET, "{\"guardTarget\":false}"))
                .post("/api/migrations").then().statusCode(201).extract().path("id");
    }

    /** Validates {@code id} with a clean report (playing the validator) and starts it: COPYING, capture command sent. */
    static void validateAndStart(String id, KafkaProducer<String, String> producer) throws Exception {
        given().post("/api/migrations/" + id + "/validate").then().statusCode(202);
        send(producer, StatusEvent.validation(new RunKey(id, 1), "v", List.of()));
        awaitState(id, "VALIDATED");
        given().post("/api/migrations/" + id + "/start").then().statusCode(202);
    }

    /** Validates and starts {@code id}, then plays capture {@code capture} of {@code worker} and an empty copy: REPLICATING. */
    static void replicating(String id, KafkaProducer<String, String> producer, String worker, String capture) throws Exception {
        validateAndStart(id, producer);
        send(producer, StatusEvent.captureReady(new RunKey(id, 1), worker, capture == null ? null : "", capture));
        send(producer, StatusEvent.scanCompleted(new RunKey(id, 1), "c", 0, 0, null));
        awaitState(id, "REPLICATING");
    }

    static void awaitState(String id, String state) {
        await(() -> state.equals(given().get("/api/migrations/" + id).then().extract().path("state")), "state " + state);
    }

    static void await(Supplier<Boolean> condition, String what) {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            if (condition.get()) {
                return;
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        }
        throw new AssertionError("timed out waiting for " + what);
    }

    static ConsumerRecord<String, String> awaitRecord(KafkaConsumer<String, String> consumer, String key, String type) {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        List<String> seen = new ArrayList<>();
        while (System.nanoTime() < deadline) {
            for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                seen.add(r.key());
                if (key.equals(r.key()) && r.value().contains("\"type\":\"" + type + "\"")) {
                    return r;
                }
            }
        }
        throw new AssertionError("no " + type + " record for " + key + " (saw keys " + seen + ")");
    }

    /** Sends a worker report as the workers do: CloudEvents headers and the signature of the test profile's event key. */
    static void send(KafkaProducer<String, String> producer, StatusEvent e) throws Exception {
        String json = Json.write(e);
        sendSigned(producer, e, json, EventSigner.of(ConfigProvider.getConfig().getValue("dfm.event.key", String.class), List.of())
                .sign(EventSigner.STATUS, json));
    }

    /** Sends {@code json} as report {@code e} with {@code signature} in {@code ce_dfmsig} (null: no signature). */
    static void sendSigned(KafkaProducer<String, String> producer, StatusEvent e, String json, String signature) throws Exception {
        ProducerRecord<String, String> r = new ProducerRecord<>(Topics.STATUS, e.migrationId(), json);
        r.headers().add("ce_specversion", "1.0".getBytes(StandardCharsets.UTF_8))
                .add("ce_id", e.id().getBytes(StandardCharsets.UTF_8))
                .add("ce_type", e.type().getBytes(StandardCharsets.UTF_8))
                .add("ce_source", "urn:dfmigrate:test".getBytes(StandardCharsets.UTF_8));
        if (signature != null) {
            r.headers().add("ce_" + EventSigner.EXTENSION, signature.getBytes(StandardCharsets.UTF_8));
        }
        producer.send(r).get();
    }

    static KafkaConsumer<String, String> consumer() {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, InfrastructureResource.stack.kafka().bootstrapServers());
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "test-" + UUID.randomUUID());
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        return new KafkaConsumer<>(p);
    }

    static KafkaProducer<String, String> producer() {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, InfrastructureResource.stack.kafka().bootstrapServers());
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        return new KafkaProducer<>(p);
    }

    private TestSupport() {
    }
}

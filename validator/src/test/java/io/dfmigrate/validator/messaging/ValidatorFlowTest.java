package io.dfmigrate.validator.messaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dfmigrate.common.endpoint.RedisEndpoint;
import io.dfmigrate.common.event.EndpointRef;
import io.dfmigrate.common.event.Json;
import io.dfmigrate.common.event.MigrationOptions;
import io.dfmigrate.common.event.PhaseEvent;
import io.dfmigrate.common.event.Severity;
import io.dfmigrate.common.event.StatusEvent;
import io.dfmigrate.common.event.ValidationCheck;
import io.dfmigrate.common.secret.SecretBox;
import io.dfmigrate.common.testing.SignedEvents;
import io.dfmigrate.localstack.RedisServer;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.smallrye.reactive.messaging.memory.InMemoryConnector;
import jakarta.enterprise.inject.Any;
import jakarta.inject.Inject;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.junit.jupiter.api.Test;

/**
 * The validator as the orchestrator drives it: a validate command in, one validation report of the same run out, with
 * the checks of the real servers; commands for other services are ignored; credentials it cannot open are an ERROR
 * check with the remedy, never a crash.
 */
@QuarkusTest
@QuarkusTestResource(value = InMemoryChannels.class, restrictToAnnotatedClass = true)
class ValidatorFlowTest {
    @Inject
    @Any
    InMemoryConnector connector;
    @Inject
    SecretBox box;

    EndpointRef ref(RedisServer server, String migration, String role, SecretBox sealer) {
        return new EndpointRef(RedisEndpoint.parse(server.uri()).masked(), sealer.seal(server.uri(), SecretBox.context(migration, role)));
    }

    StatusEvent.Validation reportOf(String migration) {
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (System.nanoTime() < deadline) {
            List<StatusEvent.Validation> reports = connector.<String>sink("status-out").received().stream()
                    .map(m -> Json.read(m.getPayload(), StatusEvent.class)).filter(e -> e.migrationId().equals(migration))
                    .map(StatusEvent.Validation.class::cast).toList();
            if (!reports.isEmpty()) {
                assertEquals(1, reports.size(), "one report per command");
                return reports.get(0);
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
        throw new AssertionError("no validation report for " + migration);
    }

    @Test
    void aValidateCommandGetsOneReportOfItsRunWithTheServersChecks() {
        try (RedisServer source = RedisServer.start(); RedisServer target = RedisServer.start()) {
            source.cli("SET", "k", "v");
            String m = UUID.randomUUID().toString();
            // a command for another service first: the validator leaves it alone
            connector.<Message<String>>source("phases-in").send(SignedEvents.phase(new PhaseEvent.Copy(m + ":1:copy", m, 1, Instant.now(), ref(source, m, SecretBox.SOURCE, box),
                    ref(target, m, SecretBox.TARGET, box), MigrationOptions.DEFAULTS)));
            connector.<Message<String>>source("phases-in").send(SignedEvents.phase(new PhaseEvent.Validate(m + ":2:validate", m, 2, Instant.now(),
                    ref(source, m, SecretBox.SOURCE, box), ref(target, m, SecretBox.TARGET, box), MigrationOptions.DEFAULTS)));
            StatusEvent.Validation report = reportOf(m);
            assertEquals(2, report.run());
            assertEquals(m + ":2:validation", report.id());
            List<String> ids = report.checks().stream().map(ValidationCheck::id).toList();
            assertTrue(ids.contains("identity.source") && ids.contains("identity.target"), ids.toString());
            assertTrue(report.checks().stream().noneMatch(c -> c.message().contains(source.uri())), "no full URI in a check");
        }
    }

    @Test
    void anEndpointOutsideTheAllowlistIsRefusedWithoutAnyConnection() throws Exception {
        try (RedisServer target = RedisServer.start();
             ServerSocket listener = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.2"))) {
            listener.setSoTimeout(300);
            String m = UUID.randomUUID().toString();
            String outside = "redis://127.0.0.2:" + listener.getLocalPort();
            connector.<Message<String>>source("phases-in").send(SignedEvents.phase(new PhaseEvent.Validate(m + ":1:validate", m, 1, Instant.now(),
                    new EndpointRef(outside, box.seal(outside, SecretBox.context(m, SecretBox.SOURCE))), ref(target, m, SecretBox.TARGET, box), MigrationOptions.DEFAULTS)));
            ValidationCheck source = reportOf(m).checks().stream().filter(c -> c.id().equals("connectivity.source")).findFirst()
                    .orElseThrow();
            assertEquals(Severity.ERROR, source.severity());
            assertTrue(source.message().contains("not in DFM_ALLOWED_ENDPOINTS"), source.message());
            assertTrue(source.remediation().contains("DFM_ALLOWED_ENDPOINTS"), source.remediation());
            assertThrows(SocketTimeoutException.class, listener::accept, "nothing connected to the refused endpoint");
        }
    }

    @Test
    void aServerThatIsNotRedisIsClassifiedWithoutEchoingWhatItSent() throws Exception {
        try (RedisServer target = RedisServer.start(); ServerSocket http = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"))) {
            Thread.ofVirtual().start(() -> {
                while (!http.isClosed()) {
                    try (Socket s = http.accept()) {
                        s.getOutputStream().write("HTTP/1.1 200 OK\r\nX-Secret: banner-from-the-remote\r\n\r\n".getBytes());
                        s.getOutputStream().flush();
                        Thread.sleep(500);
                    } catch (Exception e) {
                        return;
                    }
                }
            });
            String m = UUID.randomUUID().toString();
            String notRedis = "redis://127.0.0.1:" + http.getLocalPort();
            connector.<Message<String>>source("phases-in").send(SignedEvents.phase(new PhaseEvent.Validate(m + ":1:validate", m, 1, Instant.now(),
                    new EndpointRef(notRedis, box.seal(notRedis, SecretBox.context(m, SecretBox.SOURCE))), ref(target, m, SecretBox.TARGET, box), MigrationOptions.DEFAULTS)));
            ValidationCheck source = reportOf(m).checks().stream().filter(c -> c.id().equals("connectivity.source")).findFirst()
                    .orElseThrow();
            assertEquals(Severity.ERROR, source.severity());
            assertTrue(!source.message().contains("HTTP") && !source.message().contains("banner") && !source.message().contains("RESP type"),
                    source.message());
        }
    }

    @Test
    void credentialsSealedWithAnotherKeyAreAnErrorCheckWithTheRemedy() {
        try (RedisServer source = RedisServer.start(); RedisServer target = RedisServer.start()) {
            byte[] other = new byte[32];
            other[0] = 1;
            SecretBox foreign = SecretBox.fromBase64Key(Base64.getEncoder().encodeToString(other));
            String m = UUID.randomUUID().toString();
            connector.<Message<String>>source("phases-in").send(SignedEvents.phase(new PhaseEvent.Validate(m + ":1:validate", m, 1, Instant.now(),
                    ref(source, m, SecretBox.SOURCE, foreign), ref(target, m, SecretBox.TARGET, foreign), MigrationOptions.DEFAULTS)));
            ValidationCheck check = reportOf(m).checks().get(0);
            assertEquals("secrets", check.id());
            assertEquals(Severity.ERROR, check.severity());
            assertTrue(check.remediation().contains("DFM_SECRET_KEY"), check.remediation());
        }
    }
}

package io.dfmigrate.common;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dfmigrate.common.endpoint.EndpointPolicy;
import io.dfmigrate.common.endpoint.RedisEndpoint;
import io.dfmigrate.common.endpoint.EndpointPolicy.NotAllowedException;
import org.junit.jupiter.api.Test;

/** The allowlist as pure logic over address literals (no address here is ever connected to). */
class EndpointPolicyTest {
    @Test
    void theDefaultAllowsLoopbackAndPrivateRangesOnly() {
        EndpointPolicy p = EndpointPolicy.parse(EndpointPolicy.DEFAULT);
        for (String ok : new String[] {"127.0.0.1", "127.0.0.2", "::1", "10.1.2.3", "172.16.0.9", "172.31.255.255", "192.168.1.1",
                "fd12:3456::1", "localhost"}) {
            assertDoesNotThrow(() -> p.require(ok), ok);
        }
        for (String refused : new String[] {"8.8.8.8", "172.32.0.1", "2001:db8::1", "100.64.0.1"}) {
            NotAllowedException e = assertThrows(NotAllowedException.class, () -> p.require(refused), refused);
            assertTrue(e.getMessage().contains("DFM_ALLOWED_ENDPOINTS"), e.getMessage());
        }
    }

    @Test
    void linkLocalAndCloudMetadataAreRefusedWhateverTheListSays() {
        EndpointPolicy everything = EndpointPolicy.parse("0.0.0.0/0,::/0,*");
        for (String refused : new String[] {"169.254.169.254", "169.254.0.1", "fe80::1", "fd00:ec2::254", "0.0.0.0", "::",
                "::ffff:169.254.169.254"}) {
            NotAllowedException e = assertThrows(NotAllowedException.class, () -> everything.require(refused), refused);
            assertTrue(e.getMessage().contains("never connects"), e.getMessage());
        }
        assertDoesNotThrow(() -> everything.require("8.8.8.8"));
    }

    @Test
    void aNarrowListRefusesItsNeighboursAndHostPatternsMatchNames() {
        EndpointPolicy p = EndpointPolicy.parse("127.0.0.1/32, local*");
        assertDoesNotThrow(() -> p.require("127.0.0.1"));
        assertThrows(NotAllowedException.class, () -> p.require("127.0.0.2"));
        assertDoesNotThrow(() -> p.require("localhost"), "a matching name is allowed (its addresses are not link-local)");
        assertThrows(NotAllowedException.class, () -> p.require("no-such-host.invalid"));
    }

    @Test
    void aMalformedEntryIsNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> EndpointPolicy.parse("10.0.0.0/8, 10.0.0.0/99"));
        assertTrue(e.getMessage().contains("10.0.0.0/99"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> EndpointPolicy.parse("redis://x"));
    }

    @Test
    void tlsWithoutCertificateChecksNeedsTheOperatorsConsent() {
        RedisEndpoint insecure = RedisEndpoint.parse("rediss://127.0.0.1:6380?verify=none");
        NotAllowedException e = assertThrows(NotAllowedException.class, () -> EndpointPolicy.parse(EndpointPolicy.DEFAULT).require(insecure));
        assertTrue(e.getMessage().contains("DFM_ALLOW_INSECURE_TLS"), e.getMessage());
        assertDoesNotThrow(() -> EndpointPolicy.parse(EndpointPolicy.DEFAULT).withInsecureTls(true).require(insecure));
        assertDoesNotThrow(() -> EndpointPolicy.parse(EndpointPolicy.DEFAULT).require(RedisEndpoint.parse("rediss://127.0.0.1:6380")));
    }

    @Test
    void aCaFileIsReadOnlyAsARegularPemFileInsideTheCaDirectory() throws Exception {
        java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("dfm-ca-");
        io.dfmigrate.localstack.TlsFiles tls = io.dfmigrate.localstack.TlsFiles.create("localhost", "DNS:localhost");
        java.nio.file.Path good = java.nio.file.Files.copy(tls.ca(), dir.resolve("ca.pem"));
        java.nio.file.Path outside = tls.ca();
        java.nio.file.Path link = java.nio.file.Files.createSymbolicLink(dir.resolve("passwd.pem"), java.nio.file.Path.of("/etc/passwd"));
        java.nio.file.Path big = java.nio.file.Files.write(dir.resolve("big.pem"), new byte[(1 << 20) + 1]);
        java.nio.file.Path notPem = java.nio.file.Files.writeString(dir.resolve("text.pem"), "hello");
        EndpointPolicy p = EndpointPolicy.parse(EndpointPolicy.DEFAULT).withCaDirectory(dir);
        assertTrue(p.caFile(good.toString()).contains("BEGIN CERTIFICATE"));
        for (java.nio.file.Path refused : java.util.List.of(outside, link, big, notPem, java.nio.file.Path.of("/dev/zero"), dir.resolve("missing.pem"),
                dir, dir.resolve("../" + dir.getFileName() + "/../etc/passwd"))) {
            NotAllowedException e = assertThrows(NotAllowedException.class, () -> p.caFile(refused.toString()), refused.toString());
            assertTrue(e.getMessage().contains("?ca="), e.getMessage());
        }
        assertThrows(NotAllowedException.class, () -> EndpointPolicy.parse(EndpointPolicy.DEFAULT).caFile(good.toString()),
                "the default directory is /etc/dfmigrate/ca, not any directory");
    }
}

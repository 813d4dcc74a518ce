package io.dfmigrate.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dfmigrate.common.endpoint.InvalidEndpointException;
import io.dfmigrate.common.endpoint.RedisEndpoint;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

class RedisEndpointTest {

    @Test
    void parsesUserPasswordDbAndTlsOptions() {
        RedisEndpoint e = RedisEndpoint.parse("rediss://app:p%40ss%3Aw0rd@cache.example.com:6380/3?ca=/etc/ca.pem&verify=full");
        assertTrue(e.tls());
        assertEquals("cache.example.com", e.host());
        assertEquals(6380, e.port());
        assertEquals("app", e.user());
        assertEquals("p@ss:w0rd", e.password());
        assertEquals(3, e.db());
        assertEquals("/etc/ca.pem", e.caFile());
        assertTrue(e.verifyPeer());
    }

    @Test
    void aCaAsPemContentTravelsInTheSealedUriAndShowsOnlyItsFingerprint() throws Exception {
        String pem = "-----BEGIN CERTIFICATE-----\n" + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(
                selfSigned()) + "\n-----END CERTIFICATE-----\n";
        RedisEndpoint e = RedisEndpoint.parse("rediss://app:pw@cache.example.com:6380").withCaPem(pem);
        assertEquals(pem.strip(), e.caPem());
        RedisEndpoint reparsed = RedisEndpoint.parse(e.toUri()); // as a worker opens the sealed URI
        assertEquals(pem.strip(), reparsed.caPem());
        assertTrue(e.masked().matches("rediss://app:\\*\\*\\*\\*@cache\\.example\\.com:6380\\?ca-pem=sha256:[0-9a-f]{8}"), e.masked());
        assertThrows(InvalidEndpointException.class, () -> RedisEndpoint.parse("redis://h:1").withCaPem(pem), "TLS only");
        assertTrue(assertThrows(InvalidEndpointException.class, () -> e.withCaPem("not a certificate")).getMessage().contains("PEM"));
        assertThrows(InvalidEndpointException.class,
                () -> e.withCaPem("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----"));
        assertEquals("redis.internal", RedisEndpoint.parse("rediss://10.0.0.5:6380?sni=redis.internal").sni());
        assertNull(RedisEndpoint.parse("rediss://h:1").sni());
        assertTrue(assertThrows(InvalidEndpointException.class, () -> RedisEndpoint.parse("redis://h:1?sni=other"))
                .getMessage().contains("only applies to TLS"));
        for (String bad : List.of("10.0.0.5", "-x.internal", "a..b", "bad_name", "x".repeat(64) + ".internal")) {
            assertTrue(assertThrows(InvalidEndpointException.class, () -> RedisEndpoint.parse("rediss://h:1?sni=" + bad))
                    .getMessage().contains("not a DNS host name"), bad);
        }
    }

    /** A self-signed certificate made by the JDK's keytool, DER-encoded. */
    static byte[] selfSigned() throws Exception {
        java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("dfm-ca");
        java.nio.file.Path store = dir.resolve("ks.p12");
        String keytool = java.nio.file.Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
        Process p = new ProcessBuilder(keytool, "-genkeypair", "-alias", "ca", "-keyalg", "RSA", "-keysize", "2048", "-dname", "CN=test-ca",
                "-validity", "2", "-storetype", "PKCS12", "-keystore", store.toString(), "-storepass", "changeit")
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), out);
        java.security.KeyStore ks = java.security.KeyStore.getInstance("PKCS12");
        try (var in = java.nio.file.Files.newInputStream(store)) {
            ks.load(in, "changeit".toCharArray());
        }
        return ks.getCertificate("ca").getEncoded();
    }

    @Test
    void defaultsAndPasswordOnlyForms() {
        RedisEndpoint plain = RedisEndpoint.parse("redis://10.0.0.5");
        assertEquals(6379, plain.port());
        assertNull(plain.user());
        assertNull(plain.password());
        assertNull(plain.db());
        assertEquals("redis://10.0.0.5:6379", plain.masked());
        RedisEndpoint classic = RedisEndpoint.parse("redis://s3cret@h:1");
        assertEquals("s3cret", classic.password());
        assertNull(classic.user());
        RedisEndpoint colon = RedisEndpoint.parse("redis://:s3cret@h:1");
        assertEquals("s3cret", colon.password());
        assertFalse(RedisEndpoint.parse("rediss://h:1?verify=none").verifyPeer());
    }

    @Test
    void maskedFormsNeverShowThePasswordButTheUriRoundTrips() {
        String uri = "redis://app:pa%2Bss%20word@h:7000/2";
        RedisEndpoint e = RedisEndpoint.parse(uri);
        assertEquals("pa+ss word", e.password());
        assertEquals("redis://app:****@h:7000/2", e.masked());
        assertEquals(e.masked(), e.toString());
        assertEquals(e, RedisEndpoint.parse(e.toUri()));
        assertEquals("pa+ss word", RedisEndpoint.parse(e.toUri()).password());
        assertEquals("app:pa%2Bss%20word@", e.userInfo());
    }

    @Test
    void badUrisAreRefusedWithAReasonThatDoesNotRepeatTheSecret() {
        String[] bad = {null, "", "http://h:1", "redis://", "redis://h:99999", "redis://h:1/db", "redis://h:1/-1",
                "redis://h:1?verify=maybe", "redis://h:1?foo=bar", "redis://user:s3cr%zzet@h:1", "redis://us er:s3cret@h:1",
                "redis://" + "x".repeat(3000)};
        for (String uri : bad) {
            InvalidEndpointException e = assertThrows(InvalidEndpointException.class, () -> RedisEndpoint.parse(uri), String.valueOf(uri));
            assertFalse(e.getMessage().contains("s3cr"), e.getMessage());
        }
    }
}

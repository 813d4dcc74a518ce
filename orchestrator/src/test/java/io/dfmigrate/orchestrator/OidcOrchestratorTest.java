package io.dfmigrate.orchestrator;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import io.smallrye.jwt.build.Jwt;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.RSAPublicKeySpec;
import java.security.interfaces.RSAPrivateCrtKey;
import java.util.Base64;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * OIDC as a real deployment uses it, with the identity provider played by a key pair: quarkus-oidc verifies the bearer
 * tokens' signature, issuer and expiry locally ({@code quarkus.oidc.public-key}); roles come from the {@code groups}
 * claim. The static operator token keeps working next to it ({@code auth=token,oidc}).
 */
@QuarkusTest
@TestProfile(OidcOrchestratorTest.Profile.class)
@QuarkusTestResource(value = InfrastructureResource.class, restrictToAnnotatedClass = true)
class OidcOrchestratorTest {
    static final String ISSUER = "https://idp.example.test/realms/platform";
    static final String TOKEN = "t0ken-for-tests-0123456789";
    static final String AUDIENCE = "dfmigrate-api";

    public static class Profile implements QuarkusTestProfile {
        @Override
        public String getConfigProfile() {
            return "oidc";
        }

        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("dfm.orchestrator.auth", "token,oidc",
                    "dfm.orchestrator.api-token", TOKEN,
                    "dfm.orchestrator.oidc-operator-role", "dfm-operators",
                    "quarkus.oidc.tenant-enabled", "true",
                    "quarkus.oidc.public-key", Base64.getEncoder().encodeToString(keys().getPublic().getEncoded()),
                    "quarkus.oidc.token.issuer", ISSUER,
                    "quarkus.oidc.token.audience", AUDIENCE,
                    "dfm.allowed-endpoints", "127.0.0.1/32",
                    "dfm.secret.key", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
                    "dfm.event.key", "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=");
        }
    }

    /**
     * The "identity provider's" key pair, made once per build and kept in target/ so that the profile (read when Quarkus
     * starts) and the test (signing) use the same one whichever class loader each runs in.
     */
    static synchronized KeyPair keys() {
        Path file = Path.of("target", "oidc-test-key.pk8");
        try {
            KeyFactory rsa = KeyFactory.getInstance("RSA");
            if (!Files.exists(file)) {
                KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
                generator.initialize(2048);
                Path tmp = Files.createTempFile(file.toAbsolutePath().getParent(), "oidc", ".tmp");
                Files.write(tmp, generator.generateKeyPair().getPrivate().getEncoded());
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
            }
            RSAPrivateCrtKey key = (RSAPrivateCrtKey) rsa.generatePrivate(new PKCS8EncodedKeySpec(Files.readAllBytes(file)));
            return new KeyPair(rsa.generatePublic(new RSAPublicKeySpec(key.getModulus(), key.getPublicExponent())), key);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    static String token(String user, Set<String> groups, String issuer, long expiresInSeconds, PrivateKey key) {
        return token(user, groups, issuer, AUDIENCE, expiresInSeconds, key);
    }

    static String token(String user, Set<String> groups, String issuer, String audience, long expiresInSeconds, PrivateKey key) {
        return Jwt.issuer(issuer).audience(audience).upn(user).groups(groups).expiresIn(expiresInSeconds).sign(key);
    }

    static String token(String user, String... groups) {
        return token(user, Set.of(groups), ISSUER, 300, keys().getPrivate());
    }

    static String create(String bearer, String name) {
        return given().header("Authorization", "Bearer " + bearer).contentType(ContentType.JSON)
                .body(TestSupport.body(name, TestSupport.SOURCE, TestSupport.TARGET, null))
                .post("/api/migrations").then().statusCode(201).extract().path("id");
    }

    @Test
    void anOperatorOfTheIdentityProviderActsAndTheAuditNamesTheUser() {
        String id = create(token("alice@example.com", "dfm-operators"), "oidc-operator");
        given().header("Authorization", "Bearer " + token("bob", "viewer")).get("/api/migrations/" + id + "/audit")
                .then().statusCode(200).body("actor", hasItem("oidc:alice@example.com"));
        given().header("Authorization", "Bearer " + TOKEN).get("/api/migrations/" + id).then().statusCode(200)
                .body("name", equalTo("oidc-operator"));
    }

    @Test
    void aViewerReadsButCannotAct() {
        String viewer = token("bob", "viewer");
        given().header("Authorization", "Bearer " + viewer).get("/api/migrations").then().statusCode(200);
        given().header("Authorization", "Bearer " + viewer).contentType(ContentType.JSON)
                .body(TestSupport.body("nope", TestSupport.SOURCE, TestSupport.TARGET, null))
                .post("/api/migrations").then().statusCode(403).contentType("application/problem+json");
    }

    @Test
    void tokensWithoutARoleForgedExpiredFromAnotherIssuerOrForAnotherAudienceAreRefused() throws Exception {
        given().header("Authorization", "Bearer " + token("carol", "developers")).get("/api/migrations").then().statusCode(403)
                .body("detail", containsString("dfm-operators"));
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        PrivateKey stranger = generator.generateKeyPair().getPrivate();
        for (String refused : new String[] {
                token("mallory", Set.of("dfm-operators"), ISSUER, 300, stranger),
                token("alice", Set.of("dfm-operators"), "https://elsewhere.example.test", 300, keys().getPrivate()),
                token("alice", Set.of("dfm-operators"), ISSUER, -600, keys().getPrivate()),
                // genuine, but issued for another application of the realm
                token("alice", Set.of("dfm-operators"), ISSUER, "another-app", 300, keys().getPrivate()),
                "not-a-jwt"}) {
            given().header("Authorization", "Bearer " + refused).get("/api/migrations").then().statusCode(401)
                    .contentType("application/problem+json");
            given().header("Authorization", "Bearer " + refused).contentType(ContentType.JSON)
                    .body(TestSupport.body("nope", TestSupport.SOURCE, TestSupport.TARGET, null))
                    .post("/api/migrations").then().statusCode(401);
        }
        given().get("/api/migrations").then().statusCode(401);
        given().get("/q/health").then().statusCode(200);
    }
}

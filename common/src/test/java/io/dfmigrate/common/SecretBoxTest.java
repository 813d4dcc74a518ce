package io.dfmigrate.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dfmigrate.common.secret.SecretBox;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

class SecretBoxTest {
    final SecretBox box = SecretBox.fromBase64Key(SecretBox.generateKey());

    static final String CTX = SecretBox.context("m-1", SecretBox.SOURCE);

    @Test
    void sealsAndOpensWithAFreshIvEachTime() {
        String a = box.seal("redis://u:secret@h:1", CTX);
        String b = box.seal("redis://u:secret@h:1", CTX);
        assertTrue(a.startsWith("v2:" + box.keyId() + ":"), a);
        assertEquals(8, box.keyId().length());
        assertNotEquals(a, b);
        assertFalse(a.contains("secret"));
        assertEquals("redis://u:secret@h:1", box.open(a, CTX));
    }

    @Test
    void anotherKeyOrAnAlteredValueCannotOpenIt() {
        String sealed = box.seal("redis://u:secret@h:1", CTX);
        SecretBox other = SecretBox.fromBase64Key(SecretBox.generateKey());
        assertTrue(assertThrows(SecretBox.SecretException.class, () -> other.open(sealed, CTX)).getMessage()
                .contains("does not hold"));
        String prefix = sealed.substring(0, sealed.lastIndexOf(':') + 1);
        byte[] raw = Base64.getDecoder().decode(sealed.substring(prefix.length()));
        raw[raw.length - 1] ^= 1;
        assertThrows(SecretBox.SecretException.class, () -> box.open(prefix + Base64.getEncoder().encodeToString(raw), CTX));
        assertThrows(SecretBox.SecretException.class, () -> box.open("plain", CTX));
        assertThrows(SecretBox.SecretException.class, () -> box.open(prefix + "AAAA", CTX));
        assertThrows(SecretBox.SecretException.class, () -> box.open("v2:nokeyid", CTX));
    }

    @Test
    void aValueOpensOnlyForTheMigrationAndRoleItWasSealedFor() {
        String source = box.seal("redis://u:secret@h:1", SecretBox.context("m-1", SecretBox.SOURCE));
        assertThrows(SecretBox.SecretException.class, () -> box.open(source, SecretBox.context("m-1", SecretBox.TARGET)));
        assertThrows(SecretBox.SecretException.class, () -> box.open(source, SecretBox.context("m-2", SecretBox.SOURCE)));
    }

    @Test
    void afterARotationPreviousKeysOpenAndResealingMovesToTheCurrentKey() {
        String oldKey = SecretBox.generateKey();
        SecretBox before = SecretBox.fromBase64Key(oldKey);
        String sealedBefore = before.seal("redis://u:secret@h:1", CTX);

        String newKey = SecretBox.generateKey();
        SecretBox rotated = SecretBox.of(newKey, List.of(oldKey));
        assertNotEquals(before.keyId(), rotated.keyId());
        assertEquals("redis://u:secret@h:1", rotated.open(sealedBefore, CTX), "previous keys still open");
        assertFalse(rotated.isCurrent(sealedBefore));
        String resealed = rotated.reseal(sealedBefore, CTX);
        assertTrue(rotated.isCurrent(resealed));
        assertEquals("redis://u:secret@h:1", SecretBox.fromBase64Key(newKey).open(resealed, CTX));
        assertThrows(SecretBox.SecretException.class, () -> before.open(resealed, CTX), "the old key alone no longer opens it");
    }

    @Test
    void theOldFormatIsOnlyReadToResealIt() throws Exception {
        String key = SecretBox.generateKey();
        SecretBox b = SecretBox.fromBase64Key(key);
        String legacy = legacySeal(key, "redis://u:secret@h:1");
        assertThrows(SecretBox.SecretException.class, () -> b.open(legacy, CTX), "workers refuse v1 (no context bound)");
        String resealed = b.reseal(legacy, CTX);
        assertEquals("redis://u:secret@h:1", b.open(resealed, CTX));
        assertThrows(SecretBox.SecretException.class, () -> SecretBox.fromBase64Key(SecretBox.generateKey()).reseal(legacy, CTX));
    }

    /** The envelope dfmigrate wrote before key ids and contexts: {@code v1:<base64(iv|ciphertext|tag)>}, no associated data. */
    static String legacySeal(String base64Key, String plaintext) throws Exception {
        byte[] iv = new byte[12];
        new java.security.SecureRandom().nextBytes(iv);
        javax.crypto.Cipher c = javax.crypto.Cipher.getInstance("AES/GCM/NoPadding");
        c.init(javax.crypto.Cipher.ENCRYPT_MODE, new javax.crypto.spec.SecretKeySpec(Base64.getDecoder().decode(base64Key), "AES"),
                new javax.crypto.spec.GCMParameterSpec(128, iv));
        byte[] ct = c.doFinal(plaintext.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        byte[] all = new byte[iv.length + ct.length];
        System.arraycopy(iv, 0, all, 0, iv.length);
        System.arraycopy(ct, 0, all, iv.length, ct.length);
        return "v1:" + Base64.getEncoder().encodeToString(all);
    }

    @Test
    void aMissingOrMalformedKeyIsRefusedWithAHint() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> SecretBox.fromBase64Key(null)).getMessage().contains("openssl rand"));
        assertThrows(IllegalArgumentException.class, () -> SecretBox.fromBase64Key("not base64 !"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> SecretBox.fromBase64Key(Base64.getEncoder().encodeToString(new byte[16]))).getMessage().contains("32 bytes"));
    }
}

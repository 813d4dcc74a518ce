package io.dfmigrate.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dfmigrate.common.secret.SecretBox;
import java.util.Base64;
import org.junit.jupiter.api.Test;

class SecretBoxTest {
    final SecretBox box = SecretBox.fromBase64Key(SecretBox.generateKey());

    @Test
    void sealsAndOpensWithAFreshIvEachTime() {
        String a = box.seal("redis://u:secret@h:1");
        String b = box.seal("redis://u:secret@h:1");
        assertTrue(a.startsWith("v1:"));
        assertNotEquals(a, b);
        assertFalse(a.contains("secret"));
        assertEquals("redis://u:secret@h:1", box.open(a));
    }

    @Test
    void anotherKeyOrAnAlteredValueCannotOpenIt() {
        String sealed = box.seal("redis://u:secret@h:1");
        SecretBox other = SecretBox.fromBase64Key(SecretBox.generateKey());
        assertThrows(SecretBox.SecretException.class, () -> other.open(sealed));
        byte[] raw = Base64.getDecoder().decode(sealed.substring(3));
        raw[raw.length - 1] ^= 1;
        assertThrows(SecretBox.SecretException.class, () -> box.open("v1:" + Base64.getEncoder().encodeToString(raw)));
        assertThrows(SecretBox.SecretException.class, () -> box.open("plain"));
        assertThrows(SecretBox.SecretException.class, () -> box.open("v1:AAAA"));
    }

    @Test
    void aMissingOrMalformedKeyIsRefusedWithAHint() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> SecretBox.fromBase64Key(null)).getMessage().contains("openssl rand"));
        assertThrows(IllegalArgumentException.class, () -> SecretBox.fromBase64Key("not base64 !"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> SecretBox.fromBase64Key(Base64.getEncoder().encodeToString(new byte[16]))).getMessage().contains("32 bytes"));
    }
}

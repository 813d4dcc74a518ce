package io.dfmigrate.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dfmigrate.common.secret.EventSigner;
import io.dfmigrate.common.secret.SecretBox;
import java.util.List;
import org.junit.jupiter.api.Test;

class EventSignerTest {
    final String key = SecretBox.generateKey();
    final EventSigner signer = EventSigner.of(key, List.of());

    @Test
    void aSignatureVouchesForItsPayloadAndPurposeOnly() {
        String sig = signer.sign(EventSigner.PHASES, "{\"type\":\"copy\"}");
        assertTrue(sig.startsWith("v1:" + signer.keyId() + ":"), sig);
        assertNull(signer.problem(EventSigner.PHASES, "{\"type\":\"copy\"}", sig));
        assertEquals("signature does not match", signer.problem(EventSigner.PHASES, "{\"type\":\"cutover\"}", sig));
        assertEquals("signature does not match", signer.problem(EventSigner.STATUS, "{\"type\":\"copy\"}", sig));
        assertEquals("unsigned", signer.problem(EventSigner.PHASES, "{}", null));
        assertEquals("malformed signature", signer.problem(EventSigner.PHASES, "{}", "v1:nokey"));
        assertEquals("malformed signature", signer.problem(EventSigner.PHASES, "{}", "v1:" + signer.keyId() + ":!!"));
    }

    @Test
    void anotherKeyIsRefusedUntilItIsHeldAsAPreviousKey() {
        String newKey = SecretBox.generateKey();
        String sig = signer.sign(EventSigner.STATUS, "{}");
        assertTrue(EventSigner.of(newKey, List.of()).problem(EventSigner.STATUS, "{}", sig).contains("does not hold"));
        EventSigner rotated = EventSigner.of(newKey, List.of(key));
        assertNull(rotated.problem(EventSigner.STATUS, "{}", sig), "a previous key still verifies during the rotation");
        assertNull(signer.problem(EventSigner.STATUS, "{}", EventSigner.of(key, List.of(newKey)).sign(EventSigner.STATUS, "{}")));
        assertTrue(signer.problem(EventSigner.STATUS, "{}", rotated.sign(EventSigner.STATUS, "{}")).contains("does not hold"));
    }
}

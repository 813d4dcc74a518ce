package io.dfmigrate.common.secret;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * HMAC-SHA256 signatures of the control events ({@code dfm.phases} commands, {@code dfm.status} reports):
 * {@code v1:<key id>:<base64url(HMAC(key, purpose "\n" payload))>}. The purpose (the logical topic) keeps a signed
 * report from passing as a command. The key ({@code DFM_EVENT_KEY}) is shared by orchestrator and workers and is not
 * the secret key: a service that may sign need not be able to open credentials, and the other way round. Previous keys
 * ({@code DFM_EVENT_PREVIOUS_KEYS}) keep verifying during a rotation.
 */
public final class EventSigner {
    /** The CloudEvents extension attribute (Kafka header {@code ce_dfmsig}) that carries the signature. */
    public static final String EXTENSION = "dfmsig";
    public static final String PHASES = "phases";
    public static final String STATUS = "status";
    /** Key batches on {@code dfm.copy.batches}: a batch names the keys to write or delete on the target, and the endpoints. */
    public static final String BATCHES = "batches";

    private static final String V1 = "v1:";

    private final KeyRing keys;

    private EventSigner(KeyRing keys) {
        this.keys = keys;
    }

    public static EventSigner of(String current, List<String> previous) {
        return new EventSigner(new KeyRing("DFM_EVENT_KEY", current, previous));
    }

    public String keyId() {
        return keys.currentId();
    }

    public String sign(String purpose, String payload) {
        return V1 + keys.currentId() + ":" + Base64.getUrlEncoder().withoutPadding().encodeToString(mac(keys.current(), purpose, payload));
    }

    /** Why {@code signature} does not vouch for {@code payload}, or null when it does. */
    public String problem(String purpose, String payload, String signature) {
        if (signature == null || signature.isEmpty()) {
            return "unsigned";
        }
        if (!signature.startsWith(V1) || signature.indexOf(':', V1.length()) < 0) {
            return "malformed signature";
        }
        int colon = signature.indexOf(':', V1.length());
        byte[] key = keys.byId(signature.substring(V1.length(), colon));
        if (key == null) {
            return "signed with key " + signature.substring(V1.length(), colon) + ", which this service does not hold";
        }
        byte[] given;
        try {
            given = Base64.getUrlDecoder().decode(signature.substring(colon + 1));
        } catch (IllegalArgumentException e) {
            return "malformed signature";
        }
        return MessageDigest.isEqual(given, mac(key, purpose, payload)) ? null : "signature does not match";
    }

    private static byte[] mac(byte[] key, String purpose, String payload) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            mac.update(purpose.getBytes(StandardCharsets.UTF_8));
            mac.update((byte) '\n');
            return mac.doFinal(payload.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot sign: " + e.getClass().getSimpleName(), e);
        }
    }
}

package io.dfmigrate.common.secret;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * AES-256-GCM envelope for secrets at rest (database) and in flight (events):
 * {@code v2:<key id>:<base64(iv|ciphertext|tag)>}, authenticated together with a context ({@code <migrationId>|<role>})
 * that is not stored in the envelope: a value sealed as one migration's source opens only as that migration's source,
 * never as another migration's target. The key id names the key that sealed it, so after a rotation the previous keys
 * ({@code DFM_SECRET_PREVIOUS_KEYS}) still open older values while new ones are sealed with the current key.
 * A service without the key cannot read a sealed value, and a tampered or replayed value fails to open.
 */
public final class SecretBox {
    /** What a sealed endpoint or state is to its migration: part of the associated data. */
    public static final String SOURCE = "source";
    public static final String TARGET = "target";
    public static final String GUARD = "guard";
    /** The passwords given per ACL user for a target that takes no password hash (Dragonfly). */
    public static final String USER_PASSWORDS = "user-passwords";

    private static final String V1 = "v1:";
    private static final String V2 = "v2:";
    private static final int IV_BYTES = 12;
    private static final int TAG_BITS = 128;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final KeyRing keys;

    private SecretBox(KeyRing keys) {
        this.keys = keys;
    }

    /** A box sealing with {@code current} and opening with it or any of {@code previous} (base64 256-bit keys). */
    public static SecretBox of(String current, List<String> previous) {
        return new SecretBox(new KeyRing("DFM_SECRET_KEY", current, previous));
    }

    /** A box with a single base64-encoded 256-bit key (e.g. {@code openssl rand -base64 32}). */
    public static SecretBox fromBase64Key(String base64Key) {
        return of(base64Key, List.of());
    }

    /** A fresh random key, base64-encoded. */
    public static String generateKey() {
        byte[] raw = new byte[32];
        RANDOM.nextBytes(raw);
        return Base64.getEncoder().encodeToString(raw);
    }

    /** The associated data of a migration's sealed value: {@code <migrationId>|<role>}. */
    public static String context(Object migrationId, String role) {
        return migrationId + "|" + role;
    }

    /** The id of the key new values are sealed with (derived from the key; safe to log). */
    public String keyId() {
        return keys.currentId();
    }

    public String seal(String plaintext, String context) {
        try {
            byte[] iv = new byte[IV_BYTES];
            RANDOM.nextBytes(iv);
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(keys.current(), "AES"), new GCMParameterSpec(TAG_BITS, iv));
            cipher.updateAAD(context.getBytes(StandardCharsets.UTF_8));
            byte[] ct = cipher.doFinal(plaintext.getBytes(StandardCharsets.UTF_8));
            return V2 + keys.currentId() + ":"
                    + Base64.getEncoder().encodeToString(ByteBuffer.allocate(iv.length + ct.length).put(iv).put(ct).array());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot seal secret: " + e.getClass().getSimpleName(), e);
        }
    }

    /**
     * Opens a value sealed for {@code context}; throws {@link SecretException} if this service lacks its key, the value
     * was altered, or it was sealed for another context (another migration, another role).
     */
    public String open(String sealed, String context) {
        if (sealed != null && sealed.startsWith(V1)) {
            throw new SecretException("the value was sealed by an older dfmigrate without a key id and context: restart the "
                    + "orchestrator once so that it re-seals what it stores, then start this run over");
        }
        if (sealed == null || !sealed.startsWith(V2)) {
            throw new SecretException("not a sealed value (expected prefix " + V2 + ")");
        }
        int colon = sealed.indexOf(':', V2.length());
        if (colon < 0) {
            throw new SecretException("sealed value has no key id");
        }
        String id = sealed.substring(V2.length(), colon);
        byte[] key = keys.byId(id);
        if (key == null) {
            throw new SecretException("sealed with key " + id + ", which this service does not hold (" + keys.setting()
                    + " or DFM_SECRET_PREVIOUS_KEYS)");
        }
        return decrypt(key, sealed.substring(colon + 1), context);
    }

    /** How every value sealed now begins: the current format and the current key's id. */
    public String currentPrefix() {
        return V2 + keys.currentId() + ":";
    }

    /** Whether {@code sealed} is in the current format and sealed with the current key (nothing to re-seal). */
    public boolean isCurrent(String sealed) {
        return sealed != null && sealed.startsWith(currentPrefix());
    }

    /**
     * The value sealed again with the current key for {@code context}: opens the current format with its key id, or
     * the old {@code v1:} format (no key id, no context) with any key this service holds. For the orchestrator's
     * re-sealing at start (rotation and upgrade); workers never accept {@code v1:}.
     */
    public String reseal(String sealed, String context) {
        if (sealed != null && sealed.startsWith(V1)) {
            for (byte[] key : keys.all()) {
                try {
                    return seal(decrypt(key, sealed.substring(V1.length()), null), context);
                } catch (SecretException e) {
                    // try the next key
                }
            }
            throw new SecretException("cannot open sealed value: none of the keys held opens it");
        }
        return seal(open(sealed, context), context);
    }

    private static String decrypt(byte[] key, String base64, String context) {
        try {
            byte[] all = Base64.getDecoder().decode(base64);
            if (all.length <= IV_BYTES) {
                throw new SecretException("sealed value is truncated");
            }
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.DECRYPT_MODE, new SecretKeySpec(key, "AES"), new GCMParameterSpec(TAG_BITS, all, 0, IV_BYTES));
            if (context != null) {
                cipher.updateAAD(context.getBytes(StandardCharsets.UTF_8));
            }
            return new String(cipher.doFinal(all, IV_BYTES, all.length - IV_BYTES), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException | GeneralSecurityException e) {
            throw new SecretException("cannot open sealed value: wrong key, altered data or sealed for another migration or role");
        }
    }

    public static final class SecretException extends RuntimeException {
        public SecretException(String message) {
            super(message);
        }
    }
}

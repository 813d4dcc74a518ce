package io.dfmigrate.common.secret;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One current key (used to seal or sign) and any number of previous keys (still accepted when reading), each a base64
 * 256-bit key, each known by a short id derived from the key itself: the id travels with what was sealed or signed, so
 * a reader picks the right key and a rotation needs no coordination beyond "everyone can read both for a while".
 */
final class KeyRing {
    private final String setting;
    private final String currentId;
    private final Map<String, byte[]> keys = new LinkedHashMap<>();

    /** @param setting the environment variable that holds the current key, named in errors */
    KeyRing(String setting, String current, List<String> previous) {
        this.setting = setting;
        byte[] raw = decode(setting, current);
        currentId = idOf(raw);
        keys.put(currentId, raw);
        for (String p : previous == null ? List.<String>of() : previous) {
            if (p != null && !p.isBlank()) {
                byte[] old = decode(setting + " (a previous key)", p);
                keys.putIfAbsent(idOf(old), old);
            }
        }
    }

    String currentId() {
        return currentId;
    }

    byte[] current() {
        return keys.get(currentId);
    }

    /** The key with this id, or null when this service does not hold it. */
    byte[] byId(String id) {
        return keys.get(id);
    }

    Iterable<byte[]> all() {
        return keys.values();
    }

    String setting() {
        return setting;
    }

    /** The first 8 hex digits of SHA-256 over a label and the key: names the key without revealing it. */
    static String idOf(byte[] key) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update("dfmigrate key id\n".getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(sha.digest(key), 0, 4);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static byte[] decode(String setting, String base64Key) {
        if (base64Key == null || base64Key.isBlank()) {
            throw new IllegalArgumentException("the key is not set (" + setting + "): generate one with 'openssl rand -base64 32'");
        }
        byte[] raw;
        try {
            raw = Base64.getDecoder().decode(base64Key.trim());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the key in " + setting + " is not valid base64");
        }
        if (raw.length != 32) {
            throw new IllegalArgumentException("the key in " + setting + " must be 32 bytes (256 bits) once base64-decoded, got "
                    + raw.length);
        }
        return raw;
    }
}

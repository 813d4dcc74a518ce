package io.dfmigrate.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dfmigrate.common.redis.AclUsers;
import java.util.List;
import org.junit.jupiter.api.Test;

class AclUsersTest {
    @Test
    void keepsCommandRulesAndSelectorsAndLeavesPasswordsAndPatternsAlone() {
        AclUsers.User u = AclUsers.parse("user sel on #2d71abc ~* resetchannels -@all +get (~w* resetchannels -@all +set) (~x* +del)");
        assertEquals("sel", u.name());
        assertTrue(u.on());
        assertEquals(List.of("-@all", "+get"), u.commandRules());
        assertEquals(List.of("(~w* resetchannels -@all +set)", "(~x* +del)"), u.selectors());
    }

    @Test
    void aRefusalThatQuotesAPasswordRuleIsMasked() {
        String masked = AclUsers.masked("ERR Error in ACL SETUSER modifier '#2d71abc': The password hash must be exactly 64 characters "
                + "and contain only lowercase hexadecimal characters; also >secret and <old");
        assertFalse(masked.contains("2d71abc") || masked.contains("secret") || masked.contains("old"), masked);
        assertTrue(masked.contains("modifier '****'") && masked.contains("64 characters"), masked);
    }

    @Test
    void readsRedisAndDragonflyLines() {
        AclUsers.User redis = AclUsers.parse("user default on nopass sanitize-payload ~* &* +@all");
        assertEquals(List.of("+@all"), redis.commandRules());
        AclUsers.User dragonfly = AclUsers.parse("user app off 5e884898da28047 +@ALL ~*");
        assertFalse(dragonfly.on());
        assertEquals(List.of("+@ALL"), dragonfly.commandRules());
        assertNull(AclUsers.parse("not a user line"));
    }

    @Test
    void rulesReadBackInAnotherOrderAreTheSame() {
        assertTrue(AclUsers.sameRules("user d on nopass ~d:* resetchannels -@all +get +select", "user d on nopass ~d:* resetchannels -@all +select +get"));
        assertFalse(AclUsers.sameRules("user d on nopass ~d:* -@all +get", "user d off nopass ~d:* -@all +get"));
        assertFalse(AclUsers.sameRules("user d on nopass ~d:* -@all +get", null));
    }
}

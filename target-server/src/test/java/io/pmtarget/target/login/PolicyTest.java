package io.pmtarget.target.login;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HexFormat;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Config-facing records, the CHAP hash and the in-memory session registry. */
class PolicyTest {

    @Test
    void chapMd5MatchesAnExternallyComputedVector() {
        // python3: hashlib.md5(b'\x07' + b'abcdefghijkl' + bytes(range(16))).hexdigest()
        byte[] challenge = new byte[16];
        for (int i = 0; i < 16; i++) {
            challenge[i] = (byte) i;
        }
        assertEquals("fb9e45ac2c8befdb26ac0bdcbbf7b715", HexFormat.of().formatHex(
                ChapExchange.md5Response(7, "abcdefghijkl".getBytes(), challenge)));
    }

    @Test
    void chapSecretLengthIsBounded() {
        assertThrows(IllegalArgumentException.class, () -> new ChapCredential("u", "x".repeat(11)));
        new ChapCredential("u", "x".repeat(12));
        new ChapCredential("u", "x".repeat(256));
        assertThrows(IllegalArgumentException.class, () -> new ChapCredential("u", "x".repeat(257)));
        assertThrows(IllegalArgumentException.class, () -> new ChapCredential("", "x".repeat(12)));
        assertFalse(new ChapCredential("u", "top-secret-value").toString().contains("top-secret"));
    }

    @Test
    void authPolicyRules() {
        ChapCredential a = new ChapCredential("a", "secret-number-1");
        assertThrows(IllegalArgumentException.class, () -> new AuthPolicy(true, null, null));
        assertThrows(IllegalArgumentException.class, () -> new AuthPolicy(false, null, a));
        IllegalArgumentException same = assertThrows(IllegalArgumentException.class,
                () -> AuthPolicy.chapRequired(a, new ChapCredential("t", "secret-number-1")));
        assertTrue(same.getMessage().contains("12.1.3"), same.getMessage());
        AuthPolicy.chapRequired(a, new ChapCredential("t", "secret-number-2"));
    }

    @Test
    void targetPolicyValidationAndInitiatorMatching() {
        List<Portal> portals = List.of(new Portal("10.0.0.1", 3260));
        TargetPolicy t = new TargetPolicy("iqn.2026-11.io.pmtarget:a", null,
                Set.of("IQN.1993-08.org.Debian:01:X"), false, AuthPolicy.NONE,
                NegotiationLimits.DEFAULTS, portals, 1);
        assertTrue(t.allows("iqn.1993-08.org.debian:01:x"), "iSCSI names compare case-insensitively");
        assertFalse(t.allows("iqn.1993-08.org.debian:01:y"));
        TargetPolicy nobody = new TargetPolicy("iqn.2026-11.io.pmtarget:b", null, Set.of(), false,
                AuthPolicy.NONE, NegotiationLimits.DEFAULTS, portals, 1);
        assertFalse(nobody.allows("iqn.1993-08.org.debian:01:x"), "empty list admits nobody");
        TargetPolicy any = new TargetPolicy("iqn.2026-11.io.pmtarget:c", null, Set.of(), true,
                AuthPolicy.NONE, NegotiationLimits.DEFAULTS, portals, 1);
        assertTrue(any.allows("iqn.1993-08.org.debian:01:x"));
        assertThrows(IllegalArgumentException.class, () -> new TargetPolicy("iqn.2026-11.io.pmtarget:d",
                null, Set.of("iqn.x:y"), true, AuthPolicy.NONE, NegotiationLimits.DEFAULTS, portals, 1));
        assertThrows(IllegalArgumentException.class, () -> new TargetPolicy("disk", null, Set.of(),
                true, AuthPolicy.NONE, NegotiationLimits.DEFAULTS, portals, 1));
        assertThrows(IllegalArgumentException.class, () -> new TargetPolicy("iqn." + "x".repeat(220),
                null, Set.of(), true, AuthPolicy.NONE, NegotiationLimits.DEFAULTS, portals, 1));
        assertThrows(IllegalArgumentException.class, () -> new TargetPolicy("iqn.2026-11.x:e", null,
                Set.of(), true, AuthPolicy.NONE, NegotiationLimits.DEFAULTS, List.of(), 1));
        assertThrows(IllegalArgumentException.class, () -> new TargetPolicy("iqn.2026-11.x:e", null,
                Set.of(), true, AuthPolicy.NONE, NegotiationLimits.DEFAULTS, portals, 65536));
        assertThrows(IllegalArgumentException.class, () -> new StaticTargetDirectory(List.of(t, t),
                AuthPolicy.NONE, true));
    }

    @Test
    void portalAddressFormat() {
        assertEquals("10.0.0.1:3260,1", new Portal("10.0.0.1", 3260).targetAddress(1));
        assertEquals("[fe80::1]:3261,2", new Portal("fe80::1", 3261).targetAddress(2));
        assertEquals("host.example:3260,3", new Portal("host.example", 3260).targetAddress(3));
        assertThrows(IllegalArgumentException.class, () -> new Portal("h", 0));
        assertThrows(IllegalArgumentException.class, () -> new Portal("a,b", 3260));
    }

    @Test
    void registryAllocatesUniqueTsihsAndReinstates() {
        List<String> closed = new java.util.ArrayList<>();
        InMemorySessionRegistry r = LoginFixture.registry(closed);
        Set<Integer> tsihs = new HashSet<>();
        for (int i = 0; i < 16; i++) {
            SessionRegistry.Admission a = r.admitLeading(key(i), 1);
            assertEquals(SessionRegistry.Result.ADMITTED, a.result());
            assertTrue(tsihs.add(a.tsih()), "TSIH reused: " + a.tsih());
        }
        assertEquals(SessionRegistry.Result.OUT_OF_RESOURCES, r.admitLeading(key(99), 1).result());
        SessionRegistry.Admission again = r.admitLeading(key(3), 1);
        assertTrue(again.reinstated());
        assertEquals(1, closed.size());
        assertEquals(16, r.sessionCount());
        assertTrue(r.sessionExists(key(3), again.tsih()));
        assertFalse(r.sessionExists(key(4), again.tsih()), "TSIH of another ISID");
        r.release(again.tsih(), 1);
        assertFalse(r.sessionExists(key(3), again.tsih()));
        SessionRegistry.Admission fresh = r.admitLeading(key(99), 1);
        assertEquals(SessionRegistry.Result.ADMITTED, fresh.result());
        assertNotEquals(again.tsih(), fresh.tsih(), "a just-freed TSIH is not reused at once");
        assertEquals(SessionRegistry.Result.SESSION_DOES_NOT_EXIST,
                r.admitConnection(key(5), fresh.tsih(), 2, 4).result());
        assertEquals(SessionRegistry.Result.ADMITTED, r.admitConnection(key(99), fresh.tsih(), 2, 2).result());
        assertEquals(SessionRegistry.Result.TOO_MANY_CONNECTIONS,
                r.admitConnection(key(99), fresh.tsih(), 3, 2).result());
    }

    private static SessionRegistry.SessionKey key(int isid) {
        return new SessionRegistry.SessionKey("IQN.1993-08.org.debian:01:x", isid, "iqn.t:1", 1);
    }

    @Test
    void loginStatusCodesMatchRfc7143() {
        assertEquals(0x0201, LoginStatus.AUTHENTICATION_FAILURE.code());
        assertEquals(0x0202, LoginStatus.AUTHORIZATION_FAILURE.code());
        assertEquals(0x0203, LoginStatus.TARGET_NOT_FOUND.code());
        assertEquals(0x0204, LoginStatus.TARGET_REMOVED.code());
        assertEquals(0x0205, LoginStatus.UNSUPPORTED_VERSION.code());
        assertEquals(0x0206, LoginStatus.TOO_MANY_CONNECTIONS.code());
        assertEquals(0x0207, LoginStatus.MISSING_PARAMETER.code());
        assertEquals(0x0209, LoginStatus.SESSION_TYPE_NOT_SUPPORTED.code());
        assertEquals(0x020a, LoginStatus.SESSION_DOES_NOT_EXIST.code());
        assertEquals(0x020b, LoginStatus.INVALID_REQUEST_DURING_LOGIN.code());
        assertEquals(0x0301, LoginStatus.SERVICE_UNAVAILABLE.code());
        assertEquals(0x0302, LoginStatus.OUT_OF_RESOURCES.code());
        assertArrayEquals(new int[] {0x02, 0x0a}, new int[] {LoginStatus.SESSION_DOES_NOT_EXIST.statusClass(),
            LoginStatus.SESSION_DOES_NOT_EXIST.statusDetail()});
    }
}

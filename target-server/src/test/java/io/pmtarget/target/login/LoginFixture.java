package io.pmtarget.target.login;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Shared builders for login tests: a target, an initiator, requests and response decoding. */
final class LoginFixture {
    static final String TARGET = "iqn.2026-11.io.pmtarget:disk1";
    static final String OTHER_TARGET = "iqn.2026-11.io.pmtarget:disk2";
    static final String INITIATOR = "iqn.1993-08.org.debian:01:abcdef";
    static final long ISID = 0x023d00000001L;
    static final ChapCredential CHAP = new ChapCredential("alice", "alice-secret-1");
    static final ChapCredential MUTUAL = new ChapCredential("disk1-target", "target-secret-2");
    static final List<Portal> PORTALS = List.of(new Portal("127.0.0.1", 3260), new Portal("::1", 3261));

    private LoginFixture() {
    }

    static TargetPolicy target(String name, AuthPolicy auth, NegotiationLimits limits) {
        return new TargetPolicy(name, "Disk One", Set.of(INITIATOR), false, auth, limits, PORTALS, 7);
    }

    static StaticTargetDirectory directory(AuthPolicy auth, NegotiationLimits limits) {
        return new StaticTargetDirectory(List.of(target(TARGET, auth, limits),
                new TargetPolicy(OTHER_TARGET, null, Set.of("iqn.2000-01.com.example:other"), false,
                        AuthPolicy.NONE, NegotiationLimits.DEFAULTS, PORTALS, 8)),
                AuthPolicy.NONE, true);
    }

    static InMemorySessionRegistry registry(List<String> closed) {
        return new InMemorySessionRegistry(16, new InMemorySessionRegistry.Closer() {
            @Override
            public void closeSession(int tsih) {
                closed.add("session " + tsih);
            }

            @Override
            public void closeConnection(int tsih, int cid) {
                closed.add("connection " + tsih + "/" + cid);
            }
        });
    }

    static LoginStateMachine machine(TargetDirectory directory, SessionRegistry registry) {
        return new LoginStateMachine(directory, registry, new SecureRandom());
    }

    /** "Key=Value" strings joined into a login text, each NUL-terminated. */
    static byte[] text(String... pairs) {
        StringBuilder out = new StringBuilder();
        for (String p : pairs) {
            out.append(p).append('\0');
        }
        return out.toString().getBytes(StandardCharsets.UTF_8);
    }

    static LoginRequest request(int csg, int nsg, boolean transit, byte[] data) {
        return new LoginRequest(transit, false, csg, transit ? nsg : 0, 0, 0, ISID, 0, 0x11, 1, 5, 0, data);
    }

    static LoginRequest request(int csg, int nsg, boolean transit, String... pairs) {
        return request(csg, nsg, transit, text(pairs));
    }

    static Map<String, String> keys(LoginResult result) {
        try {
            return TextCodec.decode(result.response().data());
        } catch (TextFormatException e) {
            return fail("our own response text does not decode: " + e.getMessage());
        }
    }

    static void assertStatus(LoginStatus expected, LoginResult result) {
        assertEquals(expected, result.response().status(), "status");
        assertEquals(expected == LoginStatus.SUCCESS ? result.outcome() : LoginResult.Outcome.CLOSE,
                result.outcome(), "outcome");
        if (expected != LoginStatus.SUCCESS) {
            assertEquals(0, result.response().data().length, "failures carry no text");
        }
    }

    /** MD5(id || secret || challenge), computed here independently of ChapExchange. */
    static String chapResponse(String id, String secret, String challengeHex) throws Exception {
        MessageDigest md5 = MessageDigest.getInstance("MD5");
        md5.update((byte) Integer.parseInt(id));
        md5.update(secret.getBytes(StandardCharsets.UTF_8));
        md5.update(HexFormat.of().parseHex(challengeHex.substring(2)));
        return "0x" + HexFormat.of().formatHex(md5.digest());
    }

    static String[] concat(String[] a, String... b) {
        List<String> out = new ArrayList<>(List.of(a));
        out.addAll(List.of(b));
        return out.toArray(new String[0]);
    }

    /** The first request of a normal session to TARGET (security stage, asking to transit). */
    static String[] identity() {
        return new String[] {"InitiatorName=" + INITIATOR, "TargetName=" + TARGET,
            "SessionType=Normal"};
    }
}

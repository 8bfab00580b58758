package io.pmtarget.target.login;

import static io.pmtarget.target.login.LoginFixture.INITIATOR;
import static io.pmtarget.target.login.LoginFixture.OTHER_TARGET;
import static io.pmtarget.target.login.LoginFixture.PORTALS;
import static io.pmtarget.target.login.LoginFixture.TARGET;
import static io.pmtarget.target.login.LoginFixture.text;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** SendTargets and Text Request continuation (RFC 7143 11.10, 11.11, Appendix C). */
class TextNegotiationTest {
    private static final int RESERVED = TextRequest.RESERVED_TAG;

    private static OperationalParameters params(int initiatorMrdsl) {
        return new OperationalParameters(Digest.NONE, Digest.NONE, initiatorMrdsl, 262144, 262144,
                65536, true, true, 1, 1, 2, 0, 0, true, true);
    }

    private static NegotiatedSession discovery(int initiatorMrdsl) {
        return new NegotiatedSession(SessionType.DISCOVERY, INITIATOR, null, null,
                LoginFixture.ISID, 1, 1, false, false, params(initiatorMrdsl));
    }

    private static StaticTargetDirectory dir() {
        return directory(AuthPolicy.NONE);
    }

    private static StaticTargetDirectory directory(AuthPolicy auth) {
        return LoginFixture.directory(auth, NegotiationLimits.DEFAULTS);
    }

    /** The text as a list of "key=value" strings (keys repeat in SendTargets answers). */
    private static List<String> pairs(byte[] data) {
        List<String> out = new ArrayList<>();
        String s = new String(data, StandardCharsets.UTF_8);
        assertTrue(s.isEmpty() || s.endsWith("\0"), "NUL-terminated");
        for (String p : s.split("\0")) {
            if (!p.isEmpty()) {
                out.add(p);
            }
        }
        return out;
    }

    private static TextRequest ask(String... pairs) {
        return new TextRequest(true, false, 0x42, RESERVED, text(pairs));
    }

    @Test
    void sendTargetsAllListsVisibleTargetsWithAllPortals() throws Exception {
        TextNegotiation t = new TextNegotiation(dir(), discovery(8192));
        TextResponse r = t.onTextRequest(ask("SendTargets=All"));
        assertTrue(r.fin());
        assertFalse(r.cont());
        assertEquals(RESERVED, r.targetTransferTag());
        assertEquals(0x42, r.initiatorTaskTag());
        // OTHER_TARGET admits another initiator only, so it stays hidden.
        assertEquals(List.of("TargetName=" + TARGET, "TargetAddress=127.0.0.1:3260,7",
                "TargetAddress=[::1]:3261,7"), pairs(r.data()));
    }

    @Test
    void sendTargetsByName() throws Exception {
        TextNegotiation t = new TextNegotiation(dir(), discovery(8192));
        assertEquals("TargetName=" + TARGET, pairs(t.onTextRequest(ask("SendTargets=" + TARGET)).data()).get(0));
        assertEquals(List.of(), pairs(t.onTextRequest(ask("SendTargets=" + OTHER_TARGET)).data()));
        assertEquals(List.of(), pairs(t.onTextRequest(ask("SendTargets=iqn.2026-11.x:none")).data()));
        assertEquals(List.of("SendTargets=Reject"), pairs(t.onTextRequest(ask("SendTargets=")).data()));
    }

    @Test
    void normalSessionSeesOnlyItsOwnTarget() throws Exception {
        TargetPolicy own = dir().lookup(TARGET).policy();
        NegotiatedSession normal = new NegotiatedSession(SessionType.NORMAL, INITIATOR, null, own,
                LoginFixture.ISID, 3, 1, false, false, params(8192));
        TextNegotiation t = new TextNegotiation(dir(), normal);
        assertEquals(3, pairs(t.onTextRequest(ask("SendTargets=")).data()).size());
        assertEquals(3, pairs(t.onTextRequest(ask("SendTargets=" + TARGET)).data()).size());
        assertEquals(List.of("SendTargets=Reject"), pairs(t.onTextRequest(ask("SendTargets=All")).data()));
    }

    @Test
    void otherKeysAreRejectedOrNotUnderstoodAndMrdslMayChange() throws Exception {
        TextNegotiation t = new TextNegotiation(dir(), discovery(8192));
        TextResponse r = t.onTextRequest(ask("MaxBurstLength=512", "X-foo=bar",
                "MaxRecvDataSegmentLength=4096", "CHAP_A=5"));
        assertEquals(List.of("MaxBurstLength=Reject", "X-foo=NotUnderstood",
                "MaxRecvDataSegmentLength=262144", "CHAP_A=Reject"), pairs(r.data()));
        assertEquals(4096, t.initiatorMaxRecvDataSegmentLengthBytes());
        TextResponse bad = t.onTextRequest(ask("MaxRecvDataSegmentLength=1"));
        assertEquals(List.of("MaxRecvDataSegmentLength=Reject"), pairs(bad.data()));
        assertEquals(4096, t.initiatorMaxRecvDataSegmentLengthBytes());
    }

    @Test
    void longAnswerIsSplitAtInitiatorMrdslWithTargetTransferTags() throws Exception {
        List<TargetPolicy> many = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            many.add(new TargetPolicy(String.format("iqn.2026-11.io.pmtarget:volume-%02d", i), null,
                    Set.of(), true, AuthPolicy.NONE, NegotiationLimits.DEFAULTS, PORTALS, i));
        }
        TextNegotiation t = new TextNegotiation(new StaticTargetDirectory(many, AuthPolicy.NONE, true),
                discovery(512));
        TextResponse r = t.onTextRequest(ask("SendTargets=All"));
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        int pieces = 1;
        while (!r.fin()) {
            assertTrue(r.cont());
            assertEquals(512, r.data().length);
            assertNotEquals(RESERVED, r.targetTransferTag());
            all.write(r.data());
            r = t.onTextRequest(new TextRequest(true, false, 0x42, r.targetTransferTag(), new byte[0]));
            assertTrue(++pieces < 100);
        }
        assertTrue(r.data().length <= 512);
        all.write(r.data());
        assertTrue(pieces > 5, "pieces: " + pieces);
        List<String> got = pairs(all.toByteArray());
        assertEquals(40 * 3, got.size());
        assertEquals("TargetName=iqn.2026-11.io.pmtarget:volume-00", got.get(0));
        assertEquals("TargetAddress=[::1]:3261,39", got.get(got.size() - 1));
    }

    @Test
    void continuationProtocolErrors() throws Exception {
        List<TargetPolicy> many = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            many.add(new TargetPolicy("iqn.2026-11.io.pmtarget:v" + i, null, Set.of(), true,
                    AuthPolicy.NONE, NegotiationLimits.DEFAULTS, PORTALS, 1));
        }
        TextNegotiation t = new TextNegotiation(new StaticTargetDirectory(many, AuthPolicy.NONE, true),
                discovery(512));
        TextResponse r = t.onTextRequest(ask("SendTargets=All"));
        assertFalse(r.fin());
        int ttt = r.targetTransferTag();
        assertThrows(TextProtocolException.class,
                () -> t.onTextRequest(new TextRequest(true, false, 0x42, ttt + 1, new byte[0])));
        // The exchange was dropped: even the right tag is unknown now.
        assertThrows(TextProtocolException.class,
                () -> t.onTextRequest(new TextRequest(true, false, 0x42, ttt, new byte[0])));
        assertThrows(TextProtocolException.class,
                () -> t.onTextRequest(new TextRequest(true, true, 0x43, RESERVED, new byte[0])));
        assertThrows(TextProtocolException.class,
                () -> t.onTextRequest(new TextRequest(true, false, 0x44, RESERVED, text("NoEquals"))));
        // A new exchange with the reserved tag works after errors.
        assertFalse(t.onTextRequest(ask("SendTargets=All")).fin());
        assertTrue(t.onTextRequest(ask("X-a=1")).fin(), "reserved TTT abandons the old exchange");
    }

    @Test
    void initiatorContinuationIsJoined() throws Exception {
        TextNegotiation t = new TextNegotiation(dir(), discovery(8192));
        byte[] all = text("SendTargets=All");
        TextResponse r1 = t.onTextRequest(new TextRequest(false, true, 7, RESERVED, Arrays.copyOf(all, 5)));
        assertFalse(r1.fin());
        assertEquals(0, r1.data().length);
        TextResponse r2 = t.onTextRequest(new TextRequest(true, false, 7, r1.targetTransferTag(),
                Arrays.copyOfRange(all, 5, all.length)));
        assertTrue(r2.fin());
        assertEquals("TargetName=" + TARGET, pairs(r2.data()).get(0));
    }

    @Test
    void emptyRequestGetsEmptyFinalAnswer() throws Exception {
        TextResponse r = new TextNegotiation(dir(), discovery(8192)).onTextRequest(ask());
        assertTrue(r.fin());
        assertArrayEquals(new byte[0], r.data());
    }
}

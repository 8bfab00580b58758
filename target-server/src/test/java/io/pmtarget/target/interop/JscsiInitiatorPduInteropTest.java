package io.pmtarget.target.interop;

import static io.pmtarget.target.interop.JscsiWire.fromJscsi;
import static io.pmtarget.target.interop.JscsiWire.jscsiPdu;
import static io.pmtarget.target.interop.JscsiWire.ourData;
import static io.pmtarget.target.interop.JscsiWire.text;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pmtarget.target.pdu.Lun;
import io.pmtarget.target.pdu.Opcode;
import io.pmtarget.target.pdu.Pdu;
import java.nio.ByteBuffer;
import org.jscsi.parser.OperationCode;
import org.jscsi.parser.ProtocolDataUnit;
import org.jscsi.parser.login.ISID;
import org.jscsi.parser.login.LoginRequestParser;
import org.jscsi.parser.login.LoginStage;
import org.jscsi.parser.logout.LogoutRequestParser;
import org.jscsi.parser.text.TextRequestParser;
import org.junit.jupiter.api.Test;

/**
 * Initiator-side PDUs built by jSCSI's own classes (org.jscsi:commons 2.5.2, the parser jSCSI's
 * initiator uses), serialized by jSCSI and decoded by OUR PduDecoder, every field compared.
 * SCSI Command and Data-Out are in pdu/JscsiCrossCheckTest; here Login, Text, NOP-Out, Logout
 * and Task Management requests.
 */
class JscsiInitiatorPduInteropTest {

    private static final long SAFE_ISID_SEED = findSafeSeed();

    private static long findSafeSeed() {
        for (long seed = 1; seed < 1000; seed++) {
            ISID i = ISID.createRandom(seed);
            if (i.getB() >= 0 && i.getC() >= 0) {
                return seed;
            }
        }
        throw new IllegalStateException("no createRandom seed below 1000 gives B, C without sign bits");
    }

    /** RFC 7143 11.12.5 layout from the fields jSCSI holds: T(2) A(6) B(16) C(8) D(16). */
    private static long expectedIsid(ISID isid) {
        return ((long) ((Enum<?>) (Object) isid.getT()).ordinal() << 46)
                | ((long) (isid.getA() & 0x3f) << 40) | ((long) (isid.getB() & 0xffff) << 24)
                | ((long) (isid.getC() & 0xff) << 16) | (isid.getD() & 0xffff);
    }

    @Test
    void loginRequestSecurityToOperationalWithKeys() throws Exception {
        byte[] keys = text("InitiatorName=iqn.2026-11.io.pmtarget.it:jscsi", "SessionType=Normal", "AuthMethod=None");
        ProtocolDataUnit pdu = jscsiPdu(true, true, OperationCode.LOGIN_REQUEST);
        pdu.getBasicHeaderSegment().setInitiatorTaskTag(0x1001);
        LoginRequestParser p = (LoginRequestParser) pdu.getBasicHeaderSegment().getParser();
        // jSCSI's ISID(T, A, B, C, D) takes a non-public enum; createRandom(4) gives B and C below 0x80.
        ISID isid = ISID.createRandom(SAFE_ISID_SEED);
        p.setInitiatorSessionID(isid);
        p.setTargetSessionIdentifyingHandle((short) 0);
        p.setConnectionID(7);
        p.setCurrentStageNumber(LoginStage.SECURITY_NEGOTIATION);
        p.setNextStageNumber(LoginStage.LOGIN_OPERATIONAL_NEGOTIATION);
        p.setMaxVersion((byte) 0);
        p.setMinVersion((byte) 0);
        p.setCommandSequenceNumber(0x2a);
        p.setExpectedStatusSequenceNumber(0x3b);
        pdu.setDataSegment(ByteBuffer.wrap(keys));
        Pdu ours = fromJscsi(pdu);
        try {
            assertEquals(Opcode.LOGIN_REQUEST, ours.opcode());
            assertTrue(ours.immediate(), "Login Request: I bit is always 1 (RFC 7143 11.12)");
            assertTrue(ours.transitFlag());
            assertFalse(ours.continueFlag());
            assertEquals(0, ours.currentStage());
            assertEquals(1, ours.nextStage());
            assertEquals(0, ours.versionMax());
            assertEquals(0, ours.versionMinOrActive());
            assertEquals(expectedIsid(isid), ours.isid());
            assertEquals(0, ours.tsih());
            assertEquals(0x1001, ours.itt());
            assertEquals(7, ours.cid());
            assertEquals(0x2a, ours.cmdSn());
            assertEquals(0x3b, ours.expStatSn());
            assertArrayEquals(keys, ourData(ours));
        } finally {
            ours.release();
        }
    }

    /**
     * jSCSI's ISID.serialize() (RFC 7143 11.12.5: T 2 bits, A 6 bits, B 16, C 8, D 16) ORs the
     * signed {@code byte} C and {@code short} B into an int: a C of 0x80 or more sign-extends over
     * A and B, a B of 0x8000 or more over T and A, and D is widened the same way over B and C. The
     * random ISIDs its initiator makes (ISID.createRandom: T=2, A=0, random B and C, D=0) hit this
     * whenever B >= 0x8000 or C >= 0x80 (about 3 in 4); our
     * server then sees T=3 (reserved) and a wrong ISID, as its log showed for a jSCSI login
     * ("ISID ffffffb40000"). Compared here against the fields jSCSI itself holds.
     */
    @Test
    void jscsiRandomIsidsSurviveTheWireOnlyWhenBAndDArePositive() throws Exception {
        int intact = 0;
        int broken = 0;
        for (long seed = 1; seed <= 64; seed++) {
            ISID isid = ISID.createRandom(seed);
            long expected = expectedIsid(isid);
            ProtocolDataUnit pdu = jscsiPdu(true, true, OperationCode.LOGIN_REQUEST);
            LoginRequestParser p = (LoginRequestParser) pdu.getBasicHeaderSegment().getParser();
            p.setInitiatorSessionID(isid);
            p.setCurrentStageNumber(LoginStage.LOGIN_OPERATIONAL_NEGOTIATION);
            p.setNextStageNumber(LoginStage.FULL_FEATURE_PHASE);
            Pdu ours = fromJscsi(pdu);
            long got = ours.isid();
            ours.release();
            boolean signBitsClear = isid.getB() >= 0 && isid.getC() >= 0; // createRandom: D is 0
            if (signBitsClear) {
                assertEquals(expected, got, "seed " + seed);
                intact++;
            } else if (expected != got) {
                broken++;
            }
        }
        assertTrue(intact > 0, "no ISID without sign bits among 64 seeds");
        assertTrue(broken > 0, "jSCSI's ISID sign extension no longer reproduces: re-check and update the docs");
    }

    @Test
    void textRequestSendTargets() throws Exception {
        byte[] keys = text("SendTargets=All");
        ProtocolDataUnit pdu = jscsiPdu(false, true, OperationCode.TEXT_REQUEST);
        pdu.getBasicHeaderSegment().setInitiatorTaskTag(0x2002);
        TextRequestParser p = (TextRequestParser) pdu.getBasicHeaderSegment().getParser();
        p.setTargetTransferTag(Pdu.RESERVED_TAG);
        p.setLogicalUnitNumber(0);
        p.setCommandSequenceNumber(11);
        p.setExpectedStatusSequenceNumber(12);
        pdu.setDataSegment(ByteBuffer.wrap(keys));
        Pdu ours = fromJscsi(pdu);
        try {
            assertEquals(Opcode.TEXT_REQUEST, ours.opcode());
            assertFalse(ours.immediate());
            assertTrue(ours.finalFlag());
            assertFalse(ours.continueFlag());
            assertEquals(0x2002, ours.itt());
            assertEquals(Pdu.RESERVED_TAG, ours.ttt());
            assertEquals(0, ours.lunField());
            assertEquals(11, ours.cmdSn());
            assertEquals(12, ours.expStatSn());
            assertArrayEquals(keys, ourData(ours));
        } finally {
            ours.release();
        }
    }

    @Test
    void nopOutPingWithData() throws Exception {
        byte[] ping = {9, 8, 7, 6, 5, 4, 3};
        ProtocolDataUnit pdu = jscsiPdu(true, true, OperationCode.NOP_OUT);
        pdu.getBasicHeaderSegment().setInitiatorTaskTag(0x3003);
        var p = (org.jscsi.parser.nop.NOPOutParser) pdu.getBasicHeaderSegment().getParser();
        p.setLogicalUnitNumber(Lun.encode(2));
        p.setCommandSequenceNumber(21);
        p.setExpectedStatusSequenceNumber(22);
        pdu.setDataSegment(ByteBuffer.wrap(ping));
        Pdu ours = fromJscsi(pdu);
        try {
            assertEquals(Opcode.NOP_OUT, ours.opcode());
            assertTrue(ours.immediate());
            assertTrue(ours.finalFlag());
            assertEquals(0x3003, ours.itt());
            // jSCSI's NOPOutParser has no TTT setter; a ping it starts must carry 0xffffffff (RFC 7143 11.18.3).
            assertEquals(p.getTargetTransferTag(), ours.ttt());
            assertEquals(2, Lun.decode(ours.lunField()));
            assertEquals(21, ours.cmdSn());
            assertEquals(22, ours.expStatSn());
            assertArrayEquals(ping, ourData(ours));
        } finally {
            ours.release();
        }
    }

    @Test
    void logoutRequestEveryReason() throws Exception {
        LogoutRequestParser.LogoutReasonCode[] reasons = LogoutRequestParser.LogoutReasonCode.values();
        for (LogoutRequestParser.LogoutReasonCode reason : reasons) {
            ProtocolDataUnit pdu = jscsiPdu(true, true, OperationCode.LOGOUT_REQUEST);
            pdu.getBasicHeaderSegment().setInitiatorTaskTag(0x4004);
            LogoutRequestParser p = (LogoutRequestParser) pdu.getBasicHeaderSegment().getParser();
            p.setReasonCode(reason);
            // RFC 7143 11.14.3: CID is valid only when not closing the session (then reserved, 0);
            // jSCSI enforces that in serialize(), rightly.
            short cid = reason == LogoutRequestParser.LogoutReasonCode.CLOSE_SESSION ? 0 : (short) 3;
            p.setConnectionID(cid);
            p.setCommandSequenceNumber(31);
            p.setExpectedStatusSequenceNumber(32);
            Pdu ours = fromJscsi(pdu);
            try {
                assertEquals(Opcode.LOGOUT_REQUEST, ours.opcode());
                assertTrue(ours.immediate());
                assertTrue(ours.finalFlag());
                assertEquals(reason.value(), ours.logoutReason(), reason.name());
                assertEquals(0x4004, ours.itt());
                assertEquals(cid, ours.cid());
                assertEquals(31, ours.cmdSn());
                assertEquals(32, ours.expStatSn());
                assertEquals(0, ours.dataSegmentLengthBytes());
            } finally {
                ours.release();
            }
        }
    }

    /**
     * jSCSI's TaskManagementFunctionRequestParser has getters only: its initiator cannot set a
     * function (RFC 7143 11.5.1: 1..8) or a Referenced Task Tag, and what it holds by default
     * (function UNSET = 0) it cannot even serialize: serialize() throws "Field is reserved, so it
     * must be zero". So no jSCSI-built TMF request can be cross-checked; our TMF decoding is covered
     * by our own tests only. Pinned so a jSCSI that can build TMF requests gets noticed.
     */
    @Test
    void tmfRequestJscsiCannotBuildOne() {
        ProtocolDataUnit pdu = jscsiPdu(true, true, OperationCode.SCSI_TM_REQUEST);
        pdu.getBasicHeaderSegment().setInitiatorTaskTag(0x5005);
        var p = (org.jscsi.parser.tmf.TaskManagementFunctionRequestParser) pdu.getBasicHeaderSegment().getParser();
        p.setLogicalUnitNumber(Lun.encode(1));
        p.setCommandSequenceNumber(41);
        p.setExpectedStatusSequenceNumber(42);
        org.jscsi.exception.InternetSCSIException e = org.junit.jupiter.api.Assertions.assertThrows(
                org.jscsi.exception.InternetSCSIException.class, pdu::serialize);
        assertTrue(e.getMessage().contains("reserved"), e.getMessage());
    }
}

package io.pmtarget.target.interop;

import static io.pmtarget.target.interop.JscsiWire.jscsiData;
import static io.pmtarget.target.interop.JscsiWire.text;
import static io.pmtarget.target.interop.JscsiWire.toJscsi;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.Unpooled;
import io.pmtarget.target.pdu.Opcode;
import io.pmtarget.target.pdu.Pdu;
import io.pmtarget.target.pdu.RejectReason;
import org.jscsi.parser.BasicHeaderSegment;
import org.jscsi.parser.OperationCode;
import org.jscsi.parser.ProtocolDataUnit;
import org.jscsi.parser.login.LoginResponseParser;
import org.jscsi.parser.login.LoginStage;
import org.jscsi.parser.login.LoginStatus;
import org.jscsi.parser.logout.LogoutResponse;
import org.jscsi.parser.logout.LogoutResponseParser;
import org.jscsi.parser.nop.NOPInParser;
import org.jscsi.parser.reject.RejectParser;
import org.jscsi.parser.text.TextResponseParser;
import org.jscsi.parser.tmf.TaskManagementFunctionResponseParser;
import org.junit.jupiter.api.Test;

/**
 * Target-side PDUs built by OUR encoder, decoded by jSCSI's independent parser, every field the
 * parser exposes compared. Complements pdu/JscsiCrossCheckTest (SCSI Response, Data-In, R2T and
 * the first Reject/NOP-In/TMF/Logout checks) with Login Response, Text Response, and full-field
 * NOP-In, Reject, Logout Response and TMF Response checks. Where jSCSI is wrong the assertion
 * pins jSCSI's actual (wrong) result and the comment cites RFC 7143.
 */
class JscsiTargetPduInteropTest {

    private static final long ISID = 0x80_3d_12_34_56_78L; // T=2 (random), A=0, B=0x3d12, C=0x34, D=0x5678

    @Test
    void loginResponseTransitToFullFeatureWithKeys() throws Exception {
        byte[] keys = text("TargetPortalGroupTag=1", "MaxRecvDataSegmentLength=262144", "HeaderDigest=None");
        ProtocolDataUnit p = toJscsi(Pdu.create(Opcode.LOGIN_RESPONSE).transitFlag(true).currentStage(1)
                .nextStage(3).versionMax(0).versionMinOrActive(0).isid(ISID).tsih(0x0102).itt(0x11)
                .statSn(0x100).expCmdSn(5).maxCmdSn(36).statusClass(0).statusDetail(0)
                .data(Unpooled.wrappedBuffer(keys)));
        BasicHeaderSegment bhs = p.getBasicHeaderSegment();
        assertEquals(OperationCode.LOGIN_RESPONSE, bhs.getOpCode());
        assertTrue(bhs.isFinalFlag(), "T bit sits where F does (RFC 7143 11.13.1)");
        assertEquals(0x11, bhs.getInitiatorTaskTag());
        assertEquals(keys.length, bhs.getDataSegmentLength());
        LoginResponseParser r = (LoginResponseParser) bhs.getParser();
        assertFalse(r.isContinueFlag());
        assertEquals(LoginStage.LOGIN_OPERATIONAL_NEGOTIATION, r.getCurrentStageNumber());
        assertEquals(LoginStage.FULL_FEATURE_PHASE, r.getNextStageNumber());
        assertEquals(0, r.getMaxVersion());
        assertEquals(0, r.getActiveVersion());
        assertEquals(ISID << 16, r.getInitiatorSessionID().serialize(), "ISID echoed (RFC 7143 11.13.4)");
        assertEquals(0x0102, r.getTargetSessionIdentifyingHandle());
        assertEquals(0x100, r.getStatusSequenceNumber());
        assertEquals(5, r.getExpectedCommandSequenceNumber());
        assertEquals(36, r.getMaximumCommandSequenceNumber());
        assertEquals(LoginStatus.SUCCESS, r.getStatus());
        assertArrayEquals(keys, jscsiData(p));
    }

    @Test
    void loginResponseFailureStatusesAndContinue() throws Exception {
        int[][] classDetail = {{1, 1}, {2, 1}, {2, 2}, {2, 3}, {2, 5}, {2, 7}, {3, 0}, {3, 1}, {3, 2}};
        LoginStatus[] expected = {LoginStatus.TARGET_MOVED_TEMPORARILY, LoginStatus.AUTHENTICATION_FAILURE,
            LoginStatus.AUTHORIZATION_FAILURE, LoginStatus.NOT_FOUND, LoginStatus.UNSUPPORTED_VERSION,
            LoginStatus.MISSING_PARAMETER, LoginStatus.TARGET_ERROR, LoginStatus.SERVICE_UNAVAILABLE,
            LoginStatus.OUT_OF_RESOURCES};
        for (int i = 0; i < classDetail.length; i++) {
            LoginResponseParser r = (LoginResponseParser) toJscsi(Pdu.create(Opcode.LOGIN_RESPONSE)
                    .currentStage(0).nextStage(0).isid(ISID).itt(7).statSn(0).expCmdSn(1).maxCmdSn(1)
                    .statusClass(classDetail[i][0]).statusDetail(classDetail[i][1]))
                    .getBasicHeaderSegment().getParser();
            assertEquals(expected[i], r.getStatus(), "class " + classDetail[i][0] + " detail " + classDetail[i][1]);
        }
        // jSCSI throws on a failed Login Response whose StatSN is not 0 ("While no successful login
        // is preformed, the StatusSequenceNumber must be 0"). RFC 7143 11.13.3 says StatSN "is only
        // valid if the Status-Class is 0": an invalid field is to be ignored, not required to be 0,
        // so jSCSI is stricter than the RFC. Pinned:
        Pdu failedWithStatSn = Pdu.create(Opcode.LOGIN_RESPONSE).currentStage(0).nextStage(0).isid(ISID).itt(7)
                .statSn(5).expCmdSn(1).maxCmdSn(1).statusClass(2).statusDetail(1);
        org.jscsi.exception.InternetSCSIException e = org.junit.jupiter.api.Assertions.assertThrows(
                org.jscsi.exception.InternetSCSIException.class, () -> toJscsi(failedWithStatSn));
        assertTrue(e.getMessage().contains("StatusSequenceNumber must be 0"), e.getMessage());

        // C=1, T=0: a partial key list continues in the next PDU (RFC 7143 11.13.2).
        ProtocolDataUnit p = toJscsi(Pdu.create(Opcode.LOGIN_RESPONSE).continueFlag(true).currentStage(0)
                .nextStage(0).isid(ISID).itt(8).statSn(2).expCmdSn(1).maxCmdSn(1)
                .data(Unpooled.wrappedBuffer(new byte[] {'C', 'H', 'A', 'P', '_', 'C', '=', '0', 'x', '1'})));
        assertFalse(p.getBasicHeaderSegment().isFinalFlag());
        assertTrue(((LoginResponseParser) p.getBasicHeaderSegment().getParser()).isContinueFlag());
        assertEquals(LoginStage.SECURITY_NEGOTIATION,
                ((LoginResponseParser) p.getBasicHeaderSegment().getParser()).getCurrentStageNumber());
    }

    @Test
    void textResponseFinalAndContinued() throws Exception {
        byte[] keys = text("TargetName=iqn.2026-11.io.pmtarget:t0", "TargetAddress=127.0.0.1:3260,1");
        ProtocolDataUnit p = toJscsi(Pdu.create(Opcode.TEXT_RESPONSE).finalFlag(true).itt(0x22)
                .ttt(Pdu.RESERVED_TAG).statSn(9).expCmdSn(10).maxCmdSn(73).data(Unpooled.wrappedBuffer(keys)));
        BasicHeaderSegment bhs = p.getBasicHeaderSegment();
        assertEquals(OperationCode.TEXT_RESPONSE, bhs.getOpCode());
        assertTrue(bhs.isFinalFlag());
        assertEquals(0x22, bhs.getInitiatorTaskTag());
        TextResponseParser t = (TextResponseParser) bhs.getParser();
        assertFalse(t.isContinueFlag());
        assertEquals(Pdu.RESERVED_TAG, t.getTargetTransferTag(), "final response: TTT 0xffffffff (RFC 7143 11.11.4)");
        assertEquals(9, t.getStatusSequenceNumber());
        assertEquals(10, t.getExpectedCommandSequenceNumber());
        assertEquals(73, t.getMaximumCommandSequenceNumber());
        assertArrayEquals(keys, jscsiData(p));

        ProtocolDataUnit more = toJscsi(Pdu.create(Opcode.TEXT_RESPONSE).continueFlag(true).itt(0x23).ttt(0x55)
                .statSn(10).expCmdSn(11).maxCmdSn(74).data(Unpooled.wrappedBuffer(new byte[] {'T', 'a', 'r'})));
        assertFalse(more.getBasicHeaderSegment().isFinalFlag());
        TextResponseParser m = (TextResponseParser) more.getBasicHeaderSegment().getParser();
        assertTrue(m.isContinueFlag());
        assertEquals(0x55, m.getTargetTransferTag());
        assertEquals(3, more.getBasicHeaderSegment().getDataSegmentLength());
    }

    @Test
    void nopInAnswerEchoesPingDataEveryField() throws Exception {
        byte[] ping = {1, 2, 3, 4, 5};
        ProtocolDataUnit p = toJscsi(Pdu.create(Opcode.NOP_IN).finalFlag(true).itt(0x31).ttt(Pdu.RESERVED_TAG)
                .statSn(12).expCmdSn(13).maxCmdSn(76).data(Unpooled.wrappedBuffer(ping)));
        BasicHeaderSegment bhs = p.getBasicHeaderSegment();
        assertEquals(OperationCode.NOP_IN, bhs.getOpCode());
        assertTrue(bhs.isFinalFlag());
        assertEquals(0x31, bhs.getInitiatorTaskTag());
        NOPInParser n = (NOPInParser) bhs.getParser();
        assertEquals(Pdu.RESERVED_TAG, n.getTargetTransferTag());
        assertEquals(0, n.getLogicalUnitNumber());
        assertEquals(12, n.getStatusSequenceNumber());
        assertEquals(13, n.getExpectedCommandSequenceNumber());
        assertEquals(76, n.getMaximumCommandSequenceNumber());
        assertArrayEquals(ping, jscsiData(p));
    }

    @Test
    void rejectEveryReasonAndTheRejectedHeader() throws Exception {
        int[] reasons = {RejectReason.DATA_DIGEST_ERROR, RejectReason.SNACK_REJECT, RejectReason.PROTOCOL_ERROR,
            RejectReason.COMMAND_NOT_SUPPORTED, RejectReason.IMMEDIATE_COMMAND_REJECT, RejectReason.TASK_IN_PROGRESS,
            0x08, 0x09, 0x0a, 0x0b, 0x0c};
        byte[] rejected = new byte[48];
        rejected[0] = 0x41; // an immediate SCSI Command header
        rejected[47] = 0x5a;
        for (int reason : reasons) {
            ProtocolDataUnit p = toJscsi(Pdu.create(Opcode.REJECT).finalFlag(true).rejectReason(reason)
                    .itt(Pdu.RESERVED_TAG).statSn(20).expCmdSn(21).maxCmdSn(84).dataSn(dataSn(reason))
                    .data(Unpooled.wrappedBuffer(rejected)));
            RejectParser r = (RejectParser) p.getBasicHeaderSegment().getParser();
            assertEquals(reason, r.getReasonCode().value() & 0xff, "reason 0x" + Integer.toHexString(reason));
            assertEquals(Pdu.RESERVED_TAG, p.getBasicHeaderSegment().getInitiatorTaskTag(), "RFC 7143 11.17.1");
            assertEquals(20, r.getStatusSequenceNumber());
            assertEquals(21, r.getExpectedCommandSequenceNumber());
            assertEquals(84, r.getMaximumCommandSequenceNumber());
            assertEquals(dataSn(reason), r.getDataSequenceNumber());
            assertArrayEquals(rejected, jscsiData(p));
        }
    }

    /**
     * RFC 7143 11.17.1: DataSN/R2TSN is valid only for a rejected Data/R2T SNACK with reason
     * Protocol Error, otherwise reserved (so 0, RFC 7143 11.2). jSCSI enforces this and throws on a
     * non-zero value for any other reason; both sides agree, so the test sends 0 there.
     */
    private static int dataSn(int reason) {
        return reason == RejectReason.PROTOCOL_ERROR ? 6 : 0;
    }

    /**
     * jSCSI 2.5.2 decodes the Logout Response byte (RFC 7143 11.15.1, byte 2) as
     * {@code (byte) (line & 0xff00)}, which is 0 for every input: every response reads as
     * "connection or session closed successfully", including "CID not found" (1), "recovery not
     * supported" (2) and "cleanup failed" (3). Our encoder puts the code in byte 2 (checked by our
     * own tests); jSCSI is wrong. Pinned here so a fixed jSCSI makes this test fail and get updated.
     */
    @Test
    void logoutResponseEveryCodeReadsAsSuccessInJscsi() throws Exception {
        for (int code = 0; code <= 3; code++) {
            ProtocolDataUnit p = toJscsi(Pdu.create(Opcode.LOGOUT_RESPONSE).finalFlag(true).response(code)
                    .itt(0x40 + code).statSn(30).expCmdSn(31).maxCmdSn(94).time2WaitSeconds(2)
                    .time2RetainSeconds(20));
            LogoutResponseParser l = (LogoutResponseParser) p.getBasicHeaderSegment().getParser();
            assertEquals(0x40 + code, p.getBasicHeaderSegment().getInitiatorTaskTag());
            assertEquals(LogoutResponse.CONNECTION_CLOSED_SUCCESSFULLY, l.getResponse(), "jSCSI defect, code " + code);
            assertEquals(30, l.getStatusSequenceNumber());
            assertEquals(31, l.getExpectedCommandSequenceNumber());
            assertEquals(94, l.getMaximumCommandSequenceNumber());
            assertEquals(2, l.getTime2Wait());
            assertEquals(20, l.getTime2Retain());
            assertEquals(code, encodedByte2(Pdu.create(Opcode.LOGOUT_RESPONSE).finalFlag(true).response(code)));
        }
    }

    /** Same jSCSI defect for the TMF Response byte (RFC 7143 11.6.1): every code reads as 0. */
    @Test
    void tmfResponseEveryCodeReadsAsFunctionCompleteInJscsi() throws Exception {
        int[] codes = {0, 1, 2, 3, 4, 5, 6, 255};
        for (int code : codes) {
            ProtocolDataUnit p = toJscsi(Pdu.create(Opcode.TASK_MGMT_RESPONSE).finalFlag(true).response(code)
                    .itt(0x50).statSn(40).expCmdSn(41).maxCmdSn(104));
            TaskManagementFunctionResponseParser t =
                    (TaskManagementFunctionResponseParser) p.getBasicHeaderSegment().getParser();
            assertEquals(TaskManagementFunctionResponseParser.ResponseCode.FUNCTION_COMPLETE, t.getResponse(),
                    "jSCSI defect, code " + code);
            assertEquals(0x50, p.getBasicHeaderSegment().getInitiatorTaskTag());
            assertEquals(40, t.getStatusSequenceNumber());
            assertEquals(41, t.getExpectedCommandSequenceNumber());
            assertEquals(104, t.getMaximumCommandSequenceNumber());
            assertEquals(code, encodedByte2(Pdu.create(Opcode.TASK_MGMT_RESPONSE).finalFlag(true).response(code)));
        }
    }

    /** The Response byte on the wire (byte 2), read straight from our encoder's output. */
    private static int encodedByte2(Pdu pdu) {
        return JscsiWire.encode(pdu.itt(1))[2] & 0xff;
    }
}

package io.pmtarget.target.pdu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.ByteBuffer;
import org.jscsi.parser.OperationCode;
import org.jscsi.parser.ProtocolDataUnit;
import org.jscsi.parser.ProtocolDataUnitFactory;
import org.jscsi.parser.data.DataInParser;
import org.jscsi.parser.data.DataOutParser;
import org.jscsi.parser.logout.LogoutResponse;
import org.jscsi.parser.logout.LogoutResponseParser;
import org.jscsi.parser.nop.NOPInParser;
import org.jscsi.parser.r2t.Ready2TransferParser;
import org.jscsi.parser.reject.RejectParser;
import org.jscsi.parser.scsi.SCSICommandParser;
import org.jscsi.parser.scsi.SCSIResponseParser;
import org.jscsi.parser.scsi.SCSIStatus;
import org.jscsi.parser.tmf.TaskManagementFunctionResponseParser;
import org.junit.jupiter.api.Test;

/**
 * Cross-checks our codec against jSCSI's independent PDU parser (org.jscsi:commons 2.5.2), both
 * directions. Digests are off: jSCSI 2.5.2's CRC32C support is broken (its serialize() overflows
 * its buffer when a header digest is on, and its validator rejects the RFC 7143 Appendix B.4
 * byte order as well as the swapped one), so our digests are checked against the RFC's own test
 * vectors in {@link PduCodecTest} instead.
 */
@org.junit.jupiter.api.extension.ExtendWith(io.pmtarget.target.pdu.LeakTrap.Check.class)
class JscsiCrossCheckTest {

    private static String digestName(boolean on) {
        return on ? "CRC32C" : "None";
    }

    /** Our encoder -> jSCSI's deserializer. */
    private static ProtocolDataUnit toJscsi(boolean digests, Pdu pdu) throws Exception {
        byte[] bytes = PduCodecTest.wire(digests, digests, pdu);
        ProtocolDataUnit parsed = new ProtocolDataUnitFactory().create(digestName(digests), digestName(digests));
        int consumed = parsed.deserialize(ByteBuffer.wrap(bytes));
        assertEquals(bytes.length, consumed, "jSCSI consumed the whole PDU");
        return parsed;
    }

    /** jSCSI's serializer -> our decoder. */
    private static Pdu fromJscsi(boolean digests, ProtocolDataUnit pdu) throws Exception {
        ByteBuffer serialized = pdu.serialize();
        ByteBuf in = Unpooled.wrappedBuffer(serialized);
        PduDecoder decoder = new PduDecoder();
        decoder.setDigests(digests, digests);
        EmbeddedChannel channel = new EmbeddedChannel(decoder);
        channel.writeInbound(in);
        Object out = channel.readInbound();
        assertFalse(channel.finishAndReleaseAll());
        return (Pdu) out;
    }

    @Test
    void dataInWithStatusAndResidual() throws Exception {
        boolean digests = false;
        Pdu pdu = Pdu.create(Opcode.SCSI_DATA_IN).finalFlag(true).statusFlag(true).residualUnderflow(true)
                .status(0).itt(0x1234).ttt(0).statSn(41).expCmdSn(42).maxCmdSn(105).dataSn(3)
                .bufferOffset(24576).residualCount(3096).lunField(0)
                .data(Unpooled.wrappedBuffer(new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13}));
        ProtocolDataUnit parsed = toJscsi(digests, pdu);
        assertEquals(OperationCode.SCSI_DATA_IN, parsed.getBasicHeaderSegment().getOpCode());
        assertEquals(0x1234, parsed.getBasicHeaderSegment().getInitiatorTaskTag());
        assertEquals(13, parsed.getBasicHeaderSegment().getDataSegmentLength());
        DataInParser p = (DataInParser) parsed.getBasicHeaderSegment().getParser();
        assertTrue(p.isStatusFlag());
        assertTrue(p.isResidualUnderflow());
        assertEquals(3096, p.getResidualCount());
        assertEquals(3, p.getDataSequenceNumber());
        assertEquals(24576, p.getBufferOffset());
        assertEquals(SCSIStatus.GOOD, p.getStatus());
        assertEquals(41, p.getStatusSequenceNumber());
        assertEquals(105, p.getMaximumCommandSequenceNumber());
        assertEquals(0, p.getLogicalUnitNumber(), "RFC 7143 11.7.4: LUN reserved without the A bit");
    }

    @Test
    void scsiResponseWithSense() throws Exception {
        boolean digests = false;
        byte[] sense = new byte[18];
        sense[0] = 0x70;
        sense[2] = 0x05;
        sense[12] = 0x24;
        ByteBuf data = Unpooled.buffer().writeShort(18).writeBytes(sense);
        Pdu pdu = Pdu.create(Opcode.SCSI_RESPONSE).finalFlag(true).response(0).status(2).residualOverflow(true)
                .residualCount(1488).itt(7).statSn(9).expCmdSn(10).maxCmdSn(73).expDataSn(2).data(data);
        SCSIResponseParser p = (SCSIResponseParser) toJscsi(digests, pdu).getBasicHeaderSegment().getParser();
        assertEquals(SCSIStatus.CHECK_CONDITION, p.getStatus());
        assertTrue(p.isResidualOverflow());
        assertFalse(p.isResidualUnderflow());
        assertEquals(1488, p.getResidualCount());
        assertEquals(2, p.getExpectedDataSequenceNumber());
        assertEquals(9, p.getStatusSequenceNumber());
    }

    @Test
    void r2tRejectNopInTmfAndLogoutResponses() throws Exception {
        boolean digests = false;
        Ready2TransferParser r2t = (Ready2TransferParser) toJscsi(digests, Pdu.create(Opcode.R2T).finalFlag(true)
                .itt(5).ttt(77).statSn(3).expCmdSn(4).maxCmdSn(67).dataSn(2).bufferOffset(8192)
                .desiredDataTransferLength(65536)).getBasicHeaderSegment().getParser();
        assertEquals(77, r2t.getTargetTransferTag());
        assertEquals(2, r2t.getReady2TransferSequenceNumber());
        assertEquals(8192, r2t.getBufferOffset());
        assertEquals(65536, r2t.getDesiredDataTransferLength());

        byte[] rejected = new byte[48];
        rejected[0] = 0x10;
        RejectParser reject = (RejectParser) toJscsi(digests, Pdu.create(Opcode.REJECT).finalFlag(true)
                .rejectReason(RejectReason.PROTOCOL_ERROR).itt(Pdu.RESERVED_TAG).statSn(1)
                .data(Unpooled.wrappedBuffer(rejected))).getBasicHeaderSegment().getParser();
        assertEquals(RejectParser.ReasonCode.PROTOCOL_ERROR, reject.getReasonCode());

        ProtocolDataUnit nop = toJscsi(digests, Pdu.create(Opcode.NOP_IN).finalFlag(true).itt(Pdu.RESERVED_TAG)
                .ttt(0x42).statSn(8).expCmdSn(9).maxCmdSn(72));
        assertEquals(0x42, ((NOPInParser) nop.getBasicHeaderSegment().getParser()).getTargetTransferTag());

        // jSCSI 2.5.2 reads the TMF Response byte as (byte) (bytes1to3 & 0xff00), which is always 0:
        // only "function complete" can be cross-checked; the others are covered by our own tests.
        TaskManagementFunctionResponseParser tmf = (TaskManagementFunctionResponseParser) toJscsi(digests,
                Pdu.create(Opcode.TASK_MGMT_RESPONSE).finalFlag(true).response(0).itt(9).statSn(2))
                .getBasicHeaderSegment().getParser();
        assertEquals(TaskManagementFunctionResponseParser.ResponseCode.FUNCTION_COMPLETE, tmf.getResponse());
        assertEquals(2, tmf.getStatusSequenceNumber());

        // Same jSCSI defect for the Logout Response byte: only code 0 survives its parser.
        LogoutResponseParser logout = (LogoutResponseParser) toJscsi(digests,
                Pdu.create(Opcode.LOGOUT_RESPONSE).finalFlag(true).response(0).itt(11).statSn(3)
                        .time2WaitSeconds(2).time2RetainSeconds(20))
                .getBasicHeaderSegment().getParser();
        assertEquals(LogoutResponse.CONNECTION_CLOSED_SUCCESSFULLY, logout.getResponse());
        assertEquals(2, logout.getTime2Wait());
        assertEquals(20, logout.getTime2Retain());
    }

    @Test
    void jscsiScsiCommandWithImmediateDataDecodes() throws Exception {
        boolean digests = false;
        ProtocolDataUnit pdu = new ProtocolDataUnitFactory().create(false, true, OperationCode.SCSI_COMMAND,
                digestName(digests), digestName(digests));
        pdu.getBasicHeaderSegment().setInitiatorTaskTag(0x0a0b0c0d);
        SCSICommandParser p = (SCSICommandParser) pdu.getBasicHeaderSegment().getParser();
        p.setWriteExpectedFlag(true);
        p.setTaskAttributes(SCSICommandParser.TaskAttributes.SIMPLE);
        p.setExpectedDataTransferLength(4096);
        p.setCommandSequenceNumber(17);
        p.setExpectedStatusSequenceNumber(33);
        p.setLogicalUnitNumber(Lun.encode(1));
        byte[] cdb = {0x2a, 0, 0, 0, 0, 8, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0};
        p.setCommandDescriptorBlock(ByteBuffer.wrap(cdb));
        byte[] immediate = new byte[1001];
        immediate[1000] = 0x77;
        pdu.setDataSegment(ByteBuffer.wrap(immediate));
        Pdu ours = fromJscsi(digests, pdu);
        assertEquals(Opcode.SCSI_COMMAND, ours.opcode());
        assertEquals(0x0a0b0c0d, ours.itt());
        assertTrue(ours.finalFlag());
        assertTrue(ours.writeFlag());
        assertEquals(4096, ours.expectedDataTransferLength());
        assertEquals(17, ours.cmdSn());
        assertEquals(33, ours.expStatSn());
        assertEquals(1, Lun.decode(ours.lunField()));
        assertArrayEquals(cdb, ours.cdbField());
        assertEquals(1, ours.taskAttributes(), "SIMPLE");
        assertEquals(1001, ours.data().readableBytes());
        assertEquals(0x77, ours.data().getByte(1000));
        ours.release();
    }

    @Test
    void jscsiDataOutDecodes() throws Exception {
        boolean digests = false;
        ProtocolDataUnit pdu = new ProtocolDataUnitFactory().create(false, true, OperationCode.SCSI_DATA_OUT,
                digestName(digests), digestName(digests));
        pdu.getBasicHeaderSegment().setInitiatorTaskTag(3);
        DataOutParser p = (DataOutParser) pdu.getBasicHeaderSegment().getParser();
        p.setTargetTransferTag(99);
        p.setDataSequenceNumber(4);
        p.setBufferOffset(32768);
        p.setExpectedStatusSequenceNumber(12);
        byte[] data = new byte[8192];
        data[0] = 1;
        data[8191] = 2;
        pdu.setDataSegment(ByteBuffer.wrap(data));
        Pdu ours = fromJscsi(digests, pdu);
        assertEquals(Opcode.SCSI_DATA_OUT, ours.opcode());
        assertEquals(99, ours.ttt());
        assertEquals(4, ours.dataSn());
        assertEquals(32768, ours.bufferOffset());
        assertEquals(12, ours.expStatSn());
        assertEquals(8192, ours.data().readableBytes());
        assertEquals(2, ours.data().getByte(8191));
        ours.release();
    }
}

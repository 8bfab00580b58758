package io.pmtarget.target.session;

import static io.pmtarget.target.session.SessionHarness.pattern;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.pmtarget.target.pdu.Opcode;
import io.pmtarget.target.pdu.Pdu;
import io.pmtarget.target.scsi.ScsiResponse;
import java.util.List;
import org.junit.jupiter.api.Test;

@org.junit.jupiter.api.extension.ExtendWith(io.pmtarget.target.pdu.LeakTrap.Check.class)
class DataTransferTest {

    private static SessionHarness harness(int initiatorMrdsl, int maxBurst, int firstBurst, boolean initialR2T,
            boolean immediateData, int maxOutstandingR2T) {
        return new SessionHarness(SessionHarness.params(initiatorMrdsl, maxBurst, firstBurst, initialR2T,
                immediateData, maxOutstandingR2T), SessionHarness.quietLimits());
    }

    private static void answerWith(SessionHarness h, byte[] data, int status, byte[] sense) {
        h.target.answer = r -> new ScsiResponse(status, sense,
                data == null ? null : io.netty.buffer.PooledByteBufAllocator.DEFAULT.directBuffer().writeBytes(data));
    }

    @Test
    void readIsSplitAtMaxRecvDataSegmentLengthWithStatusOnTheLastDataIn() {
        SessionHarness h = harness(8192, 262144, 65536, true, true, 1);
        byte[] data = pattern(20000, 1);
        answerWith(h, data, 0, null);
        h.send(h.read(0x10, 20000));
        List<Pdu> out = h.out();
        assertEquals(3, out.size(), out::toString);
        int[] lengths = {8192, 8192, 3616};
        ByteBuf all = Unpooled.buffer();
        for (int i = 0; i < 3; i++) {
            Pdu p = out.get(i);
            assertEquals(Opcode.SCSI_DATA_IN, p.opcode());
            assertEquals(0x10, p.itt());
            assertEquals(i, p.dataSn());
            assertEquals(i * 8192, p.bufferOffset());
            assertEquals(lengths[i], p.dataSegmentLengthBytes());
            assertEquals(i == 2, p.statusFlag());
            assertEquals(i == 2, p.finalFlag());
            all.writeBytes(p.data());
        }
        Pdu last = out.get(2);
        assertEquals(0, last.status());
        assertEquals(SessionHarness.FIRST_STAT_SN, last.statSn());
        assertFalse(last.residualOverflow() || last.residualUnderflow());
        assertEquals(0, last.residualCount());
        assertEquals(SessionHarness.FIRST_CMD_SN + 1, last.expCmdSn());
        assertEquals(SessionHarness.FIRST_CMD_SN + 1 + 63, last.maxCmdSn(), "window of 64 once the read completed");
        assertArrayEquals(data, ByteBufUtil.getBytes(all));
        all.release();
        SessionHarness.releaseAll(out);
        assertEquals(SessionHarness.FIRST_STAT_SN + 1, h.handler.statSn());
        assertFalse(h.channel.finishAndReleaseAll());
    }

    @Test
    void dataInSequencesEndAtMaxBurstLength() {
        SessionHarness h = harness(8192, 16384, 16384, true, true, 1);
        answerWith(h, pattern(40000, 2), 0, null);
        h.send(h.read(0x11, 40000));
        List<Pdu> out = h.out();
        // 8192, 8192 | 8192, 8192 | 7232: F after each 16384-byte sequence and at the end.
        assertEquals(5, out.size());
        boolean[] finals = {false, true, false, true, true};
        for (int i = 0; i < 5; i++) {
            assertEquals(finals[i], out.get(i).finalFlag(), "PDU " + i);
        }
        assertTrue(out.get(4).statusFlag());
        SessionHarness.releaseAll(out);
        assertFalse(h.channel.finishAndReleaseAll());
    }

    @Test
    void shortReadReportsUnderflowResidual() {
        SessionHarness h = harness(8192, 262144, 65536, true, true, 1);
        answerWith(h, pattern(1000, 3), 0, null);
        h.send(h.read(0x12, 4096));
        Pdu p = h.one(Opcode.SCSI_DATA_IN);
        assertEquals(1000, p.dataSegmentLengthBytes());
        assertTrue(p.statusFlag());
        assertTrue(p.residualUnderflow());
        assertFalse(p.residualOverflow());
        assertEquals(3096, p.residualCount());
        p.release();
        assertFalse(h.channel.finishAndReleaseAll());
    }

    @Test
    void longReadIsCutAtExpectedLengthAndReportsOverflow() {
        SessionHarness h = harness(8192, 262144, 65536, true, true, 1);
        answerWith(h, pattern(2000, 4), 0, null);
        h.send(h.read(0x13, 512));
        Pdu p = h.one(Opcode.SCSI_DATA_IN);
        assertEquals(512, p.dataSegmentLengthBytes());
        assertTrue(p.residualOverflow());
        assertEquals(1488, p.residualCount());
        p.release();
        assertFalse(h.channel.finishAndReleaseAll());
    }

    @Test
    void writeWhoseCdbAsksMoreThanExpectedReportsOverflow() {
        // libiscsi iSCSIResiduals.Write10Residuals: EDTL 4096, the CDB asks for 8192 bytes.
        SessionHarness h = harness(8192, 262144, 65536, false, true, 1);
        h.target.answer = r -> new ScsiResponse(0, null, null, 8192);
        h.send(h.write(0x15, 4096, pattern(4096, 6), true));
        Pdu response = h.one(Opcode.SCSI_RESPONSE);
        assertTrue(response.residualOverflow());
        assertFalse(response.residualUnderflow());
        assertEquals(4096, response.residualCount());
        response.release();
        assertFalse(h.channel.finishAndReleaseAll());
    }

    @Test
    void writeWhoseCdbAsksLessThanExpectedReportsUnderflow() {
        SessionHarness h = harness(8192, 262144, 65536, false, true, 1);
        h.target.answer = r -> new ScsiResponse(0, null, null, 512);
        h.send(h.write(0x16, 4096, pattern(4096, 7), true));
        Pdu response = h.one(Opcode.SCSI_RESPONSE);
        assertTrue(response.residualUnderflow());
        assertFalse(response.residualOverflow());
        assertEquals(3584, response.residualCount());
        response.release();
        assertFalse(h.channel.finishAndReleaseAll());
    }

    @Test
    void checkConditionSendsDataThenResponseWithSenseLengthPrefix() {
        SessionHarness h = harness(8192, 262144, 65536, true, true, 1);
        byte[] sense = ScsiStatus.fixedSense(0x03, 0x11, 0x00); // MEDIUM ERROR, UNRECOVERED READ ERROR
        answerWith(h, pattern(100, 5), 0x02, sense);
        h.send(h.read(0x14, 4096));
        List<Pdu> out = h.out();
        assertEquals(2, out.size());
        Pdu dataIn = out.get(0);
        assertEquals(Opcode.SCSI_DATA_IN, dataIn.opcode());
        assertFalse(dataIn.statusFlag(), "no phase collapse with CHECK CONDITION (RFC 7143 11.7.4)");
        assertTrue(dataIn.finalFlag());
        Pdu response = out.get(1);
        assertEquals(Opcode.SCSI_RESPONSE, response.opcode());
        assertEquals(0x02, response.status());
        assertEquals(0x00, response.response());
        assertTrue(response.residualUnderflow());
        assertEquals(3996, response.residualCount());
        assertEquals(1, response.expDataSn());
        assertEquals(18, response.data().getUnsignedShort(0));
        assertArrayEquals(sense, ByteBufUtil.getBytes(response.data(), 2, 18));
        SessionHarness.releaseAll(out);
        assertFalse(h.channel.finishAndReleaseAll());
    }

    @Test
    void immediateDataCompletesTheWriteWithoutR2T() {
        SessionHarness h = harness(8192, 262144, 65536, true, true, 1);
        byte[] data = pattern(4096, 6);
        h.send(h.write(0x20, 4096, data, true));
        Pdu response = h.one(Opcode.SCSI_RESPONSE);
        assertEquals(0, response.status());
        assertEquals(0, response.expDataSn());
        assertEquals(1, h.target.executed.size());
        assertArrayEquals(data, h.target.executed.get(0).dataOut());
        assertEquals(10, h.target.executed.get(0).cdb().length, "WRITE(10) CDB trimmed to 10 bytes");
        assertEquals(0, h.handler.bufferedDataOutBytes());
        response.release();
        assertFalse(h.channel.finishAndReleaseAll());
    }

    @Test
    void unsolicitedDataUpToFirstBurstThenR2TForTheRest() {
        SessionHarness h = harness(8192, 8192, 8192, false, true, 1);
        byte[] data = pattern(20000, 7);
        h.send(h.write(0x21, 20000, java.util.Arrays.copyOf(data, 1000), false));
        Pdu r2t = h.one(Opcode.R2T);
        assertEquals(8192, r2t.bufferOffset(), "solicited data starts after FirstBurstLength");
        assertEquals(8192, r2t.desiredDataTransferLength());
        assertEquals(0, r2t.dataSn(), "R2TSN");
        h.send(SessionHarness.dataOut(0x21, Pdu.RESERVED_TAG, 0, 1000, data, 4000, false));
        h.send(SessionHarness.dataOut(0x21, Pdu.RESERVED_TAG, 1, 5000, data, 3192, true));
        assertTrue(h.out().isEmpty());
        h.send(SessionHarness.dataOut(0x21, r2t.ttt(), 0, 8192, data, 8192, true));
        Pdu r2t2 = h.one(Opcode.R2T);
        assertEquals(16384, r2t2.bufferOffset());
        assertEquals(3616, r2t2.desiredDataTransferLength());
        assertEquals(1, r2t2.dataSn());
        assertEquals(0, h.target.executed.size());
        h.send(SessionHarness.dataOut(0x21, r2t2.ttt(), 0, 16384, data, 3616, true));
        Pdu response = h.one(Opcode.SCSI_RESPONSE);
        assertEquals(2, response.expDataSn(), "two R2Ts were sent");
        assertArrayEquals(data, h.target.executed.get(0).dataOut());
        r2t.release();
        r2t2.release();
        response.release();
        assertFalse(h.channel.finishAndReleaseAll());
    }

    @Test
    void r2tsHonourMaxBurstLengthAndMaxOutstandingR2T() {
        SessionHarness h = harness(8192, 4096, 4096, true, false, 2);
        byte[] data = pattern(16384, 8);
        h.send(h.write(0x22, 16384, null, true));
        List<Pdu> r2ts = h.out();
        assertEquals(2, r2ts.size(), "MaxOutstandingR2T=2");
        assertEquals(0, r2ts.get(0).bufferOffset());
        assertEquals(4096, r2ts.get(1).bufferOffset());
        assertEquals(4096, r2ts.get(0).desiredDataTransferLength());
        // Answer the first R2T in two Data-Out PDUs: only then does a third R2T go out.
        h.send(SessionHarness.dataOut(0x22, r2ts.get(0).ttt(), 0, 0, data, 2048, false));
        assertTrue(h.out().isEmpty());
        h.send(SessionHarness.dataOut(0x22, r2ts.get(0).ttt(), 1, 2048, data, 2048, true));
        Pdu third = h.one(Opcode.R2T);
        assertEquals(8192, third.bufferOffset());
        assertEquals(2, third.dataSn());
        h.send(SessionHarness.dataOut(0x22, r2ts.get(1).ttt(), 0, 4096, data, 4096, true));
        Pdu fourth = h.one(Opcode.R2T);
        assertEquals(12288, fourth.bufferOffset());
        h.send(SessionHarness.dataOut(0x22, fourth.ttt(), 0, 12288, data, 4096, true));
        h.send(SessionHarness.dataOut(0x22, third.ttt(), 0, 8192, data, 4096, true));
        Pdu response = h.one(Opcode.SCSI_RESPONSE);
        assertEquals(4, response.expDataSn());
        assertArrayEquals(data, h.target.executed.get(0).dataOut());
        SessionHarness.releaseAll(r2ts);
        third.release();
        fourth.release();
        response.release();
        assertFalse(h.channel.finishAndReleaseAll());
    }

    @Test
    void writeAboveTheLogicalUnitLimitIsRefusedWithoutBuffering() {
        SessionHarness h = harness(8192, 262144, 65536, true, true, 1);
        h.target.maxDataOutBytes = 4096;
        h.send(h.write(0x23, 8192, null, true));
        Pdu response = h.one(Opcode.SCSI_RESPONSE);
        assertEquals(0x02, response.status());
        assertEquals(0x05, response.data().getByte(2 + 2) & 0x0f, "ILLEGAL REQUEST");
        assertEquals(0, h.target.executed.size());
        response.release();
        assertFalse(h.channel.finishAndReleaseAll());
    }

    @Test
    void sessionBudgetAnswersTaskSetFull() {
        SessionHarness h = new SessionHarness(SessionHarness.params(8192, 262144, 65536, true, false, 1),
                new SessionLimits(64, 4, 10000, 16, 0, 5000, 64));
        h.send(h.write(0x24, 8192, null, true));
        h.one(Opcode.R2T).release();
        assertEquals(8192, h.handler.bufferedDataOutBytes());
        h.send(h.write(0x25, 8192, null, true));
        Pdu response = h.one(Opcode.SCSI_RESPONSE);
        assertEquals(ScsiStatus.TASK_SET_FULL, response.status());
        response.release();
        assertFalse(h.channel.finishAndReleaseAll());
    }

    @Test
    void dataOutOutOfOrderIsRejectedAndClosesTheConnection() {
        SessionHarness h = harness(8192, 4096, 4096, true, false, 1);
        byte[] data = pattern(4096, 9);
        h.send(h.write(0x26, 4096, null, true));
        Pdu r2t = h.one(Opcode.R2T);
        h.send(SessionHarness.dataOut(0x26, r2t.ttt(), 0, 1024, data, 1024, false)); // offset should be 0
        Pdu reject = h.one(Opcode.REJECT);
        assertEquals(0x04, reject.rejectReason());
        assertEquals(48, reject.dataSegmentLengthBytes());
        assertFalse(h.channel.isOpen());
        r2t.release();
        reject.release();
        assertEquals(0, h.handler.bufferedDataOutBytes());
        assertFalse(h.channel.finishAndReleaseAll());
    }

    @Test
    void dataInIsWrittenAtMostOutboundPdusPerTurnMaxPerEventLoopTurn() {
        SessionHarness h = new SessionHarness(SessionHarness.params(8192, 262144, 65536, true, true, 1),
                new SessionLimits(64, 4, 1 << 20, 16, 0, 5000, 4));
        h.target.answer = null;
        h.send(h.read(0x30, 65536));
        assertTrue(h.out().isEmpty());
        h.target.complete(0, new ScsiResponse(0, null, Unpooled.directBuffer().writeBytes(pattern(65536, 1))));
        List<Pdu> firstTurn = new java.util.ArrayList<>();
        for (Object o; (o = h.channel.readOutbound()) != null; ) {
            firstTurn.add((Pdu) o);
        }
        assertEquals(4, firstTurn.size(), "one turn writes at most 4 PDUs");
        List<Pdu> secondTurn = h.out(); // runs the continuation scheduled on the loop
        assertEquals(4, secondTurn.size());
        assertTrue(secondTurn.get(3).statusFlag());
        assertEquals(7, secondTurn.get(3).dataSn());
        SessionHarness.releaseAll(firstTurn);
        SessionHarness.releaseAll(secondTurn);
        assertFalse(h.channel.finishAndReleaseAll());
    }
}

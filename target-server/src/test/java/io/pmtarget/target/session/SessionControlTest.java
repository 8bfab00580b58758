package io.pmtarget.target.session;

import static io.pmtarget.target.session.SessionHarness.FIRST_CMD_SN;
import static io.pmtarget.target.session.SessionHarness.FIRST_STAT_SN;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.pmtarget.target.pdu.Lun;
import io.pmtarget.target.pdu.Opcode;
import io.pmtarget.target.pdu.Pdu;
import io.pmtarget.target.pdu.PduDecodeError;
import io.pmtarget.target.scsi.ScsiResponse;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

@org.junit.jupiter.api.extension.ExtendWith(io.pmtarget.target.pdu.LeakTrap.Check.class)
class SessionControlTest {

    private static SessionHarness harness() {
        return new SessionHarness(SessionHarness.params(8192, 262144, 65536, true, true, 1), SessionHarness.quietLimits());
    }

    private static Pdu tmf(SessionHarness h, int function, int itt, int referencedItt, int refCmdSn) {
        return Pdu.create(Opcode.TASK_MGMT_REQUEST).immediate(true).tmfFunction(function).itt(itt)
                .lunField(Lun.encode(1)).referencedTaskTag(referencedItt).cmdSn(h.nextCmdSn).refCmdSn(refCmdSn)
                .expStatSn(FIRST_STAT_SN);
    }

    @Test
    void windowAdmitsSixtyFourCommandsDropsOthersAndMaxCmdSnAdvances() {
        SessionHarness h = harness();
        h.target.answer = null; // hold every completion
        assertEquals(FIRST_CMD_SN + 63, h.handler.maxCmdSn());
        // A command beyond ExpCmdSN is dropped without a trace.
        Pdu ahead = h.read(0x100, 512).cmdSn(FIRST_CMD_SN + 5);
        h.nextCmdSn--;
        h.send(ahead);
        assertEquals(0, h.target.executed.size());
        for (int i = 0; i < 64; i++) {
            h.send(h.read(i, 512));
        }
        assertEquals(64, h.target.executed.size());
        assertEquals(FIRST_CMD_SN + 64, h.handler.expCmdSn());
        assertEquals(FIRST_CMD_SN + 63, h.handler.maxCmdSn(), "window closed: MaxCmdSN = ExpCmdSN - 1");
        h.send(h.read(0x101, 512)); // CmdSN 164 > MaxCmdSN 163: dropped
        assertEquals(64, h.target.executed.size());
        h.nextCmdSn--; // the dropped command's CmdSN is still the next expected one
        h.target.complete(0, new ScsiResponse(0, null, null));
        Pdu response = h.one(Opcode.SCSI_RESPONSE);
        assertEquals(FIRST_CMD_SN + 64, response.maxCmdSn(), "completion opens the window by one");
        assertEquals(FIRST_CMD_SN + 64, response.expCmdSn());
        response.release();
        h.send(h.read(0x102, 512));
        assertEquals(65, h.target.executed.size());
        for (int i = 1; i < h.target.held.size(); i++) {
            h.target.complete(i, new ScsiResponse(0, null, null));
        }
        List<Pdu> rest = h.out();
        assertEquals(64, rest.size());
        for (int i = 0; i < rest.size(); i++) {
            assertEquals(FIRST_STAT_SN + 1 + i, rest.get(i).statSn(), "StatSN increases by one per status");
        }
        assertEquals(FIRST_CMD_SN + 65 + 63, rest.get(63).maxCmdSn());
        SessionHarness.releaseAll(rest);
        assertFalse(h.channel.finishAndReleaseAll());
    }

    @Test
    void nopOutPingIsEchoedWithItsData() {
        SessionHarness h = harness();
        byte[] ping = "are you there?".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        h.send(Pdu.create(Opcode.NOP_OUT).immediate(true).finalFlag(true).itt(0x55).ttt(Pdu.RESERVED_TAG)
                .cmdSn(FIRST_CMD_SN).expStatSn(FIRST_STAT_SN).data(Unpooled.wrappedBuffer(ping)));
        Pdu nopIn = h.one(Opcode.NOP_IN);
        assertEquals(0x55, nopIn.itt());
        assertEquals(Pdu.RESERVED_TAG, nopIn.ttt());
        assertEquals(FIRST_STAT_SN, nopIn.statSn());
        assertArrayEquals(ping, ByteBufUtil.getBytes(nopIn.data()));
        assertEquals(FIRST_CMD_SN, h.handler.expCmdSn(), "an immediate NOP-Out does not advance ExpCmdSN");
        nopIn.release();
        assertFalse(h.channel.finishAndReleaseAll());
    }

    @Test
    void targetPingsAnIdleConnectionAndDropsItWhenUnanswered() {
        SessionHarness h = new SessionHarness(SessionHarness.params(8192, 262144, 65536, true, true, 1),
                new SessionLimits(64, 4, 1 << 20, 16, 5000, 2000, 64));
        h.channel.freezeTime(); // only advanceTimeBy moves the loop's clock from here on
        h.channel.advanceTimeBy(4999, TimeUnit.MILLISECONDS);
        h.channel.runScheduledPendingTasks();
        assertTrue(h.out().isEmpty(), "not idle long enough");
        h.channel.advanceTimeBy(1, TimeUnit.MILLISECONDS);
        h.channel.runScheduledPendingTasks();
        Pdu ping = h.one(Opcode.NOP_IN);
        assertEquals(Pdu.RESERVED_TAG, ping.itt());
        assertTrue(ping.ttt() != Pdu.RESERVED_TAG);
        assertEquals(FIRST_STAT_SN, ping.statSn());
        assertEquals(FIRST_STAT_SN, h.handler.statSn(), "a ping does not advance StatSN");
        // Answer it: the connection stays.
        h.send(Pdu.create(Opcode.NOP_OUT).immediate(true).finalFlag(true).itt(Pdu.RESERVED_TAG).ttt(ping.ttt())
                .cmdSn(FIRST_CMD_SN).expStatSn(FIRST_STAT_SN));
        assertTrue(h.out().isEmpty(), "no reply to a ping answer");
        h.channel.advanceTimeBy(2500, TimeUnit.MILLISECONDS);
        h.channel.runScheduledPendingTasks();
        assertTrue(h.channel.isOpen());
        // Next idle period: a new ping, left unanswered, closes the connection after the timeout.
        h.channel.advanceTimeBy(5000, TimeUnit.MILLISECONDS);
        h.channel.runScheduledPendingTasks();
        Pdu second = h.one(Opcode.NOP_IN);
        assertTrue(second.ttt() != ping.ttt());
        h.channel.advanceTimeBy(1999, TimeUnit.MILLISECONDS);
        h.channel.runScheduledPendingTasks();
        assertTrue(h.channel.isOpen());
        h.channel.advanceTimeBy(1, TimeUnit.MILLISECONDS);
        h.channel.runScheduledPendingTasks();
        assertFalse(h.channel.isOpen(), "unanswered ping closes the connection");
        ping.release();
        second.release();
        assertFalse(h.channel.finishAndReleaseAll());
    }

    @Test
    void abortTaskOfACollectingWriteFreesItAndIgnoresItsLateData() {
        SessionHarness h = new SessionHarness(SessionHarness.params(8192, 262144, 65536, true, false, 1),
                SessionHarness.quietLimits());
        int writeCmdSn = h.nextCmdSn;
        h.send(h.write(0x30, 8192, null, true));
        Pdu r2t = h.one(Opcode.R2T);
        assertEquals(8192, h.handler.bufferedDataOutBytes());
        h.send(tmf(h, TaskManagement.ABORT_TASK, 0x31, 0x30, writeCmdSn));
        Pdu tmfResponse = h.one(Opcode.TASK_MGMT_RESPONSE);
        assertEquals(TaskManagement.FUNCTION_COMPLETE, tmfResponse.response());
        assertEquals(0x31, tmfResponse.itt());
        assertEquals(0, h.handler.bufferedDataOutBytes());
        h.send(SessionHarness.dataOut(0x30, r2t.ttt(), 0, 0, new byte[8192], 8192, true));
        assertTrue(h.out().isEmpty(), "no SCSI Response for an aborted task");
        assertEquals(0, h.target.executed.size());
        assertEquals(FIRST_CMD_SN + 1 + 63, h.handler.maxCmdSn(), "window credit returned");
        r2t.release();
        tmfResponse.release();
        assertFalse(h.channel.finishAndReleaseAll());
    }

    @Test
    void abortOfARunningTaskWaitsForItAndDropsItsResponse() {
        SessionHarness h = harness();
        h.target.answer = null;
        int cmdSn = h.nextCmdSn;
        h.send(h.read(0x40, 4096));
        h.send(tmf(h, TaskManagement.ABORT_TASK, 0x41, 0x40, cmdSn));
        assertTrue(h.out().isEmpty(), "TMF response waits for the task in the logical unit");
        h.target.complete(0, new ScsiResponse(0, null, Unpooled.directBuffer().writeZero(4096)));
        Pdu tmfResponse = h.one(Opcode.TASK_MGMT_RESPONSE);
        assertEquals(TaskManagement.FUNCTION_COMPLETE, tmfResponse.response());
        tmfResponse.release();
        // An unknown tag outside the window: task does not exist.
        h.send(tmf(h, TaskManagement.ABORT_TASK, 0x42, 0x999, cmdSn - 10));
        Pdu notFound = h.one(Opcode.TASK_MGMT_RESPONSE);
        assertEquals(TaskManagement.TASK_DOES_NOT_EXIST, notFound.response());
        notFound.release();
        assertFalse(h.channel.finishAndReleaseAll());
    }

    @Test
    void lunResetAbortsTheLunsTasksAndResetsTheLogicalUnit() {
        SessionHarness h = harness();
        h.target.answer = null;
        h.send(h.read(0x50, 512));
        h.send(h.read(0x51, 512));
        h.send(tmf(h, TaskManagement.LOGICAL_UNIT_RESET, 0x52, Pdu.RESERVED_TAG, 0));
        assertEquals(List.of("1:lun"), h.target.resets);
        assertTrue(h.out().isEmpty());
        h.target.complete(1, new ScsiResponse(0, null, null));
        assertTrue(h.out().isEmpty());
        h.target.complete(0, new ScsiResponse(0, null, null));
        Pdu response = h.one(Opcode.TASK_MGMT_RESPONSE);
        assertEquals(TaskManagement.FUNCTION_COMPLETE, response.response());
        response.release();
        h.send(tmf(h, TaskManagement.CLEAR_ACA, 0x53, Pdu.RESERVED_TAG, 0));
        Pdu unsupported = h.one(Opcode.TASK_MGMT_RESPONSE);
        assertEquals(TaskManagement.FUNCTION_NOT_SUPPORTED, unsupported.response());
        unsupported.release();
        assertFalse(h.channel.finishAndReleaseAll());
    }

    @Test
    void logoutAnswersThenCloses() {
        SessionHarness h = harness();
        h.send(Pdu.create(Opcode.LOGOUT_REQUEST).immediate(true).logoutReason(0).itt(0x60).cid(0)
                .cmdSn(FIRST_CMD_SN).expStatSn(FIRST_STAT_SN));
        Pdu response = h.one(Opcode.LOGOUT_RESPONSE);
        assertEquals(0, response.response());
        assertEquals(0x60, response.itt());
        assertEquals(FIRST_STAT_SN, response.statSn());
        assertFalse(h.channel.isOpen());
        response.release();
        assertFalse(h.channel.finishAndReleaseAll());
    }

    @Test
    void logoutForRecoveryIsNotSupportedAtErrorRecoveryLevelZero() {
        SessionHarness h = harness();
        h.send(Pdu.create(Opcode.LOGOUT_REQUEST).immediate(true).logoutReason(2).itt(0x61).cid(0)
                .cmdSn(FIRST_CMD_SN).expStatSn(FIRST_STAT_SN));
        Pdu response = h.one(Opcode.LOGOUT_RESPONSE);
        assertEquals(2, response.response());
        assertTrue(h.channel.isOpen());
        response.release();
        assertFalse(h.channel.finishAndReleaseAll());
    }

    @Test
    void snackUnknownOpcodeAndLoginAreRejectedWithTheirHeader() {
        SessionHarness h = harness();
        Pdu snack = Pdu.create(Opcode.SNACK_REQUEST).finalFlag(true).itt(0x70).expStatSn(FIRST_STAT_SN);
        byte[] snackHeader = snack.bhsCopy();
        h.send(snack);
        Pdu reject = h.one(Opcode.REJECT);
        assertEquals(0x04, reject.rejectReason(), "SNACK at ErrorRecoveryLevel 0 is a protocol error");
        assertEquals(Pdu.RESERVED_TAG, reject.itt());
        assertArrayEquals(snackHeader, ByteBufUtil.getBytes(reject.data()));
        reject.release();
        byte[] unknown = new byte[48];
        unknown[0] = 0x1c;
        h.send(Pdu.wrap(unknown, new byte[0], Unpooled.EMPTY_BUFFER));
        Pdu reject2 = h.one(Opcode.REJECT);
        assertEquals(0x05, reject2.rejectReason());
        assertEquals(reject.statSn() + 1, reject2.statSn());
        reject2.release();
        assertFalse(h.channel.finishAndReleaseAll());
    }

    @Test
    void dataDigestErrorOnDataOutRejectsAndEndsTheTask() {
        SessionHarness h = new SessionHarness(SessionHarness.params(8192, 262144, 65536, true, false, 1),
                SessionHarness.quietLimits());
        h.send(h.write(0x80, 4096, null, true));
        Pdu r2t = h.one(Opcode.R2T);
        Pdu corrupted = SessionHarness.dataOut(0x80, r2t.ttt(), 0, 0, new byte[4096], 4096, true);
        byte[] badHeader = corrupted.bhsCopy();
        corrupted.release(); // the decoder drops a PDU whose data digest failed
        h.channel.writeInbound(new PduDecodeError(PduDecodeError.Kind.DATA_DIGEST, badHeader, "test"));
        List<Pdu> out = h.out();
        assertEquals(2, out.size(), out::toString);
        assertEquals(Opcode.REJECT, out.get(0).opcode());
        assertEquals(0x02, out.get(0).rejectReason());
        assertEquals(Opcode.SCSI_RESPONSE, out.get(1).opcode());
        assertEquals(0x02, out.get(1).status());
        assertEquals(0x0b, out.get(1).data().getByte(4) & 0x0f, "ABORTED COMMAND");
        assertTrue(h.channel.isOpen());
        assertEquals(0, h.handler.bufferedDataOutBytes());
        SessionHarness.releaseAll(out);
        r2t.release();
        assertFalse(h.channel.finishAndReleaseAll());
    }

    @Test
    void headerDigestErrorClosesWithoutReject() {
        SessionHarness h = harness();
        h.channel.writeInbound(new PduDecodeError(PduDecodeError.Kind.HEADER_DIGEST, null, "test"));
        assertTrue(h.out().isEmpty());
        assertFalse(h.channel.isOpen());
        assertFalse(h.channel.finishAndReleaseAll());
    }

    @Test
    void textRequestIsAnsweredByTheResponder() {
        SessionHarness h = harness();
        h.send(Pdu.create(Opcode.TEXT_REQUEST).immediate(true).finalFlag(true).itt(0x90).ttt(Pdu.RESERVED_TAG)
                .cmdSn(FIRST_CMD_SN).expStatSn(FIRST_STAT_SN)
                .data(Unpooled.copiedBuffer("SendTargets=All\0", java.nio.charset.StandardCharsets.US_ASCII)));
        Pdu response = h.one(Opcode.TEXT_RESPONSE);
        assertTrue(response.finalFlag());
        assertEquals(0x90, response.itt());
        assertEquals("TargetName=iqn.2026-11.test:tgt\0",
                response.data().toString(java.nio.charset.StandardCharsets.US_ASCII));
        response.release();
        assertFalse(h.channel.finishAndReleaseAll());
    }

    @Test
    void discoverySessionRejectsScsiCommandsButAnswersSendTargets() {
        SessionHarness h = new SessionHarness(SessionHarness.params(8192, 262144, 65536, true, true, 1),
                SessionHarness.quietLimits(), true);
        h.send(h.read(0xa0, 512));
        Pdu reject = h.one(Opcode.REJECT);
        assertEquals(0x04, reject.rejectReason());
        assertEquals(0, h.target.executed.size());
        reject.release();
        h.send(Pdu.create(Opcode.TEXT_REQUEST).immediate(true).finalFlag(true).itt(0xa1).ttt(Pdu.RESERVED_TAG)
                .cmdSn(h.nextCmdSn).expStatSn(FIRST_STAT_SN)
                .data(Unpooled.copiedBuffer("SendTargets=All\0", java.nio.charset.StandardCharsets.US_ASCII)));
        h.one(Opcode.TEXT_RESPONSE).release();
        assertFalse(h.channel.finishAndReleaseAll());
    }
}

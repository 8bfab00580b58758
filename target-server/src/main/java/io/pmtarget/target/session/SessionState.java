package io.pmtarget.target.session;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.util.collection.IntObjectHashMap;
import io.pmtarget.target.pdu.Opcode;
import io.pmtarget.target.pdu.Pdu;
import io.pmtarget.target.pdu.SerialNumbers;
import io.pmtarget.target.scsi.ScsiTarget;

/**
 * The sequence numbers, tasks and budgets of one full-feature connection (one connection per
 * session: MaxConnections=1). Event-loop confined: every method runs on the channel's event loop.
 *
 * <p>Command window (RFC 7143 section 4.2.2.1): MaxCmdSN = ExpCmdSN + window - active - 1, where
 * active counts non-immediate tasks received and not yet completed. Receiving a command raises
 * ExpCmdSN and active together and completing one lowers active, so MaxCmdSN never decreases and
 * at most {@code window} commands are ever in flight; idle, it is ExpCmdSN + window - 1.
 */
final class SessionState {
    final ScsiTarget target;
    final SessionHandover handover;
    final SessionParams params;
    final SessionLimits limits;
    final IntObjectHashMap<Task> tasks = new IntObjectHashMap<>();
    ChannelHandlerContext ctx;
    boolean closed;
    /** Set once a Logout was answered: further PDUs are ignored. */
    boolean loggedOut;

    int expCmdSn;
    /** StatSN of the next status-bearing PDU. */
    int statSn;
    /** Highest ExpStatSN the initiator acknowledged (section 4.2.2.2). */
    int expStatSn;
    int activeTasks;
    int immediateTasks;
    long bufferedBytes;
    private int nextTtt;
    private boolean flushPending;

    SessionState(ScsiTarget target, SessionHandover handover, SessionLimits limits) {
        this.target = target;
        this.handover = handover;
        this.params = handover.params();
        this.limits = limits;
        this.expCmdSn = handover.expCmdSn();
        this.statSn = handover.nextStatSn();
        this.expStatSn = handover.nextStatSn();
    }

    int maxCmdSn() {
        assert activeTasks >= 0 && activeTasks <= limits.commandWindowSize() : activeTasks;
        return expCmdSn + limits.commandWindowSize() - activeTasks - 1;
    }

    /** Records an ExpStatSN; values outside (acknowledged, next StatSN] are ignored as stale. */
    void acknowledge(int initiatorExpStatSn) {
        if (SerialNumbers.lessThan(expStatSn, initiatorExpStatSn) && SerialNumbers.lessOrEqual(initiatorExpStatSn, statSn)) {
            expStatSn = initiatorExpStatSn;
        }
    }

    /** A new response PDU that carries status: StatSN is assigned and advanced (section 4.2.2.2). */
    Pdu statusPdu(Opcode opcode) {
        return Pdu.create(opcode).finalFlag(true).statSn(statSn++).expCmdSn(expCmdSn).maxCmdSn(maxCmdSn());
    }

    /** A new response PDU without status (R2T, Data-In without S, NOP-In ping): StatSN not advanced. */
    Pdu plainPdu(Opcode opcode) {
        return Pdu.create(opcode).statSn(statSn).expCmdSn(expCmdSn).maxCmdSn(maxCmdSn());
    }

    /** A Target Transfer Tag, never the reserved value 0xffffffff. */
    int newTtt() {
        int ttt = nextTtt++;
        if (ttt == Pdu.RESERVED_TAG) {
            ttt = nextTtt++;
        }
        return ttt;
    }

    void write(Pdu pdu) {
        ctx.write(pdu, ctx.voidPromise());
        flushPending = true;
    }

    /**
     * True between channelRead and channelReadComplete: responses completed inline meanwhile are flushed
     * once, by channelReadComplete, instead of one write system call each.
     */
    boolean readBatch;

    /** Flushes now, or at the end of the current read batch (one system call for all its responses). */
    void flushSoon() {
        if (!readBatch) {
            flush();
        }
    }

    void flush() {
        if (flushPending) {
            flushPending = false;
            ctx.flush();
        }
    }

    /** Reject (section 11.17): the offending header is the data segment; StatSN advances. */
    void reject(int reason, byte[] rejectedBhs) {
        Pdu reject = statusPdu(Opcode.REJECT).rejectReason(reason).itt(Pdu.RESERVED_TAG);
        reject.data(Unpooled.wrappedBuffer(rejectedBhs));
        write(reject);
    }

    /** Reserves data-out budget; false when the session holds too much already. */
    boolean reserve(Task task, long bytes) {
        if (bufferedBytes + bytes > limits.bufferedDataOutBytesMax()) {
            return false;
        }
        bufferedBytes += bytes;
        task.reservedBytes += bytes;
        return true;
    }

    void track(Task task) {
        Task previous = tasks.put(task.itt, task);
        assert previous == null : "ITT in use: " + previous;
        if (task.immediate) {
            immediateTasks++;
        } else {
            activeTasks++;
        }
    }

    /** Forgets a task: map, window credit, budget, buffer. Idempotent. */
    void finish(Task task) {
        if (tasks.get(task.itt) != task) {
            return;
        }
        tasks.remove(task.itt);
        if (task.immediate) {
            immediateTasks--;
        } else {
            activeTasks--;
        }
        bufferedBytes -= task.reservedBytes;
        task.reservedBytes = 0;
        task.releaseDataOut();
        assert bufferedBytes >= 0 && activeTasks >= 0 && immediateTasks >= 0;
    }
}

package io.pmtarget.target.session;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.pmtarget.target.pdu.Opcode;
import io.pmtarget.target.pdu.Pdu;
import io.pmtarget.target.scsi.ScsiResponse;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.function.Predicate;

/**
 * Sends the outcome of completed commands: Data-In PDUs and the SCSI Response (RFC 7143 sections
 * 11.4 and 11.7), with back-pressure: PDUs are written only while the channel is writable and at
 * most {@link SessionLimits#outboundPdusPerTurnMax()} per event-loop turn, so a multi-megabyte
 * read cannot monopolise the loop or pile up in the outbound buffer.
 *
 * <p>Data-In payloads are retained slices of the logical unit's buffer (no copy). Each Data-In
 * sequence is at most MaxBurstLength (13.13) and ends with the F bit; each PDU at most the
 * initiator's MaxRecvDataSegmentLength (13.12).
 */
final class Responder {
    private static final class Outgoing {
        final Task task;
        final int status;
        final byte[] sense;
        final ByteBuf dataIn;
        final int sendBytes;
        final int residualBytes;
        final boolean overflow;
        final boolean underflow;
        final boolean collapse;
        int offsetBytes;
        int dataSn;

        Outgoing(Task task, ScsiResponse response) {
            this.task = task;
            this.status = response.status();
            this.sense = response.sense();
            this.dataIn = response.dataIn();
            int available = dataIn == null ? 0 : dataIn.readableBytes();
            // What the initiator asked for: EDTL for a read; nothing for other commands.
            int expected = task.read ? task.edtlBytes : 0;
            this.sendBytes = Math.min(available, expected);
            if (task.write && !task.read) {
                // Section 11.4.5.1: for a write, the residual compares the data the command
                // itself asks for (as the logical unit reports it) with the Expected Data Transfer
                // Length; when the logical unit does not say, all data counts as transferred.
                long commandBytes = response.dataOutCommandBytes();
                overflow = commandBytes > task.edtlBytes;
                underflow = commandBytes >= 0 && commandBytes < task.edtlBytes;
                residualBytes = commandBytes < 0 ? 0 : (int) Math.min(Integer.MAX_VALUE,
                        Math.abs(commandBytes - task.edtlBytes));
            } else {
                overflow = available > expected;
                underflow = available < expected;
                residualBytes = Math.abs(available - expected);
            }
            this.collapse = sendBytes > 0 && ScsiStatus.mayCollapseIntoDataIn(status, sense);
        }

        void release() {
            if (dataIn != null && dataIn.refCnt() > 0) {
                dataIn.release();
            }
        }
    }

    private final SessionState state;
    private final ArrayDeque<Outgoing> queue = new ArrayDeque<>();
    private boolean drainScheduled;
    /** A drain pass is running on the event loop (see {@link #drain()}). */
    private boolean draining;
    /** A nested drain() was asked for while one ran: the running pass goes round again. */
    private boolean drainAgain;

    Responder(SessionState state) {
        this.state = state;
    }

    /** Queues the outcome of a completed task (ownership of response.dataIn passes here). */
    void enqueue(Task task, ScsiResponse response) {
        queue.add(new Outgoing(task, response));
        drain();
    }

    boolean isEmpty() {
        return queue.isEmpty();
    }

    /** Writes queued PDUs while the channel is writable, bounded per turn. */
    void drain() {
        // Writing or flushing can make the channel writable again, and Netty then calls
        // channelWritabilityChanged -> drain() inside this very call. A nested pass would emit
        // the head's status while the outer pass still holds it (a status sent twice, the next
        // outcome dropped), so nested calls only ask the running pass to go round once more.
        if (draining) {
            drainAgain = true;
            return;
        }
        draining = true;
        try {
            int rounds = 0;
            do {
                drainAgain = false;
                drainOnce();
                rounds++;
                assert rounds < 1_000_000 : "drain did not settle";
            } while (drainAgain && !state.closed);
        } finally {
            draining = false;
        }
    }

    private void drainOnce() {
        int budget = state.limits.outboundPdusPerTurnMax();
        while (!queue.isEmpty() && budget > 0 && !state.closed && state.ctx.channel().isWritable()) {
            Outgoing head = queue.peek();
            if (emitNext(head)) {
                queue.poll();
                head.release();
            }
            budget--;
        }
        state.flushSoon();
        if (!queue.isEmpty() && budget == 0 && !drainScheduled && !state.closed) {
            // More to send but this turn's share is used: continue on a later turn so reads and
            // other connections on this loop get their turn too.
            drainScheduled = true;
            state.ctx.executor().execute(() -> {
                drainScheduled = false;
                drain();
            });
        }
    }

    /** Emits one PDU for this outcome; true when it was the last one. */
    private boolean emitNext(Outgoing out) {
        if (out.offsetBytes < out.sendBytes) {
            return emitDataIn(out);
        }
        state.write(scsiResponse(out));
        return true;
    }

    private boolean emitDataIn(Outgoing out) {
        int burstBytes = state.params.maxBurstLengthBytes();
        int burstLeftBytes = burstBytes - out.offsetBytes % burstBytes;
        int lengthBytes = Math.min(Math.min(state.params.initiatorMaxRecvDataSegmentLengthBytes(), burstLeftBytes),
                out.sendBytes - out.offsetBytes);
        assert lengthBytes > 0 : lengthBytes;
        int endBytes = out.offsetBytes + lengthBytes;
        boolean last = endBytes == out.sendBytes;
        boolean sequenceEnd = last || endBytes % burstBytes == 0;
        boolean withStatus = last && out.collapse;
        Pdu pdu = withStatus ? state.statusPdu(Opcode.SCSI_DATA_IN) : state.plainPdu(Opcode.SCSI_DATA_IN);
        // Section 11.7.4: without the A bit (never set at ERL 0) TTT and LUN are reserved: zero.
        pdu.finalFlag(sequenceEnd).itt(out.task.itt).ttt(0).lunField(0)
                .dataSn(out.dataSn++).bufferOffset(out.offsetBytes);
        if (withStatus) {
            // Section 11.7.4 phase collapse: S bit, status and residual ride on the last Data-In.
            pdu.statusFlag(true).status(out.status).residualOverflow(out.overflow)
                    .residualUnderflow(out.underflow).residualCount(out.residualBytes);
        } else {
            pdu.statSn(0); // StatSN is reserved without the S bit
        }
        pdu.data(out.dataIn.retainedSlice(out.dataIn.readerIndex() + out.offsetBytes, lengthBytes));
        out.offsetBytes = endBytes;
        state.write(pdu);
        return withStatus;
    }

    private Pdu scsiResponse(Outgoing out) {
        Pdu pdu = state.statusPdu(Opcode.SCSI_RESPONSE).itt(out.task.itt).response(0x00).status(out.status)
                .residualOverflow(out.overflow).residualUnderflow(out.underflow).residualCount(out.residualBytes)
                // Section 11.4.7: ExpDataSN counts the R2T and Data-In PDUs sent for the command.
                .expDataSn(out.dataSn + out.task.nextR2tSn);
        if (out.sense != null) {
            // Section 11.4.7.2: the data segment is SenseLength (2 bytes) then the sense data.
            ByteBuf data = Unpooled.buffer(2 + out.sense.length);
            data.writeShort(out.sense.length).writeBytes(out.sense);
            pdu.data(data);
        }
        return pdu;
    }

    /** Drops queued outcomes of matching tasks (aborted by task management). */
    int abortWhere(Predicate<Task> matches) {
        int dropped = 0;
        for (Iterator<Outgoing> it = queue.iterator(); it.hasNext(); ) {
            Outgoing out = it.next();
            if (matches.test(out.task)) {
                it.remove();
                out.release();
                dropped++;
            }
        }
        return dropped;
    }

    void releaseAll() {
        for (Outgoing out; (out = queue.poll()) != null; ) {
            out.release();
        }
    }
}

package io.pmtarget.target.session;

import io.netty.buffer.ByteBuf;
import io.netty.channel.EventLoop;
import io.pmtarget.target.pdu.Lun;
import io.pmtarget.target.pdu.Opcode;
import io.pmtarget.target.pdu.Pdu;
import io.pmtarget.target.pdu.RejectReason;
import io.pmtarget.target.scsi.ScsiRequest;
import io.pmtarget.target.scsi.ScsiResponse;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SCSI Command and Data-Out handling (RFC 7143 sections 4.2.4, 11.3, 11.7, 11.8): immediate and
 * unsolicited data, R2Ts, collecting all data-out into one pooled buffer, execution through the
 * {@link io.pmtarget.target.scsi.ScsiTarget}, and the completion hop back onto the event loop.
 */
final class CommandFlow {
    private static final Logger LOG = LoggerFactory.getLogger(CommandFlow.class);

    private final SessionState state;
    private final Responder responder;
    /** Closes the connection after a protocol error (ERL 0: recovery is a new connection). */
    private final Runnable protocolFailure;

    CommandFlow(SessionState state, Responder responder, Runnable protocolFailure) {
        this.state = state;
        this.responder = responder;
        this.protocolFailure = protocolFailure;
    }

    /** A SCSI Command the CmdSN window already accepted. */
    void onScsiCommand(Pdu pdu) {
        int immediateBytes = pdu.data().readableBytes();
        int edtlBytes = pdu.expectedDataTransferLength();
        if (state.tasks.containsKey(pdu.itt()) || edtlBytes < 0 || (immediateBytes > 0 && !pdu.writeFlag())) {
            state.reject(RejectReason.INVALID_PDU_FIELD, pdu.bhsCopy());
            return;
        }
        if (pdu.immediate() && state.immediateTasks >= state.limits.immediateCommandsMax()) {
            state.reject(RejectReason.IMMEDIATE_COMMAND_REJECT, pdu.bhsCopy());
            return;
        }
        boolean unsolicitedFollows = !pdu.finalFlag();
        if (immediateBytes > 0 && !state.params.immediateData()
                || unsolicitedFollows && (state.params.initialR2T() || !pdu.writeFlag())
                || immediateBytes > Math.min(state.params.firstBurstLengthBytes(), edtlBytes)) {
            // Sections 13.10, 13.11: data the negotiation did not allow.
            state.reject(RejectReason.PROTOCOL_ERROR, pdu.bhsCopy());
            return;
        }
        Task task = new Task(pdu.itt(), pdu.cmdSn(), pdu.immediate(), pdu.readFlag(), pdu.writeFlag(),
                pdu.lunField(), Lun.decode(pdu.lunField()), edtlBytes, cdb(pdu.cdbField()));
        state.track(task);
        byte[] earlySense = refusal(task);
        if (earlySense != null) {
            complete(task, new ScsiResponse(ScsiStatus.CHECK_CONDITION, earlySense, null));
            return;
        }
        if (task.write && edtlBytes > 0 && !state.reserve(task, edtlBytes)) {
            LOG.debug("session holds {} data-out bytes; answering TASK SET FULL to {}", state.bufferedBytes, task);
            complete(task, new ScsiResponse(ScsiStatus.TASK_SET_FULL, null, null));
            return;
        }
        if (task.write && edtlBytes > 0) {
            task.dataOut = state.ctx.alloc().directBuffer(edtlBytes, edtlBytes);
            task.dataOut.writeBytes(pdu.data());
            task.receivedBytes = immediateBytes;
            task.unsolicitedEndBytes = unsolicitedFollows
                    ? Math.max(immediateBytes, Math.min(state.params.firstBurstLengthBytes(), edtlBytes))
                    : immediateBytes;
            task.unsolicitedNextOffsetBytes = immediateBytes;
            task.solicitNextOffsetBytes = task.unsolicitedEndBytes;
        }
        advance(task);
    }

    /** Sense data for a command the transport refuses before collecting data, else null. */
    private byte[] refusal(Task task) {
        if (task.lun == Lun.UNSUPPORTED) {
            return ScsiStatus.fixedSense(ScsiStatus.SENSE_KEY_ILLEGAL_REQUEST, ScsiStatus.ASC_LUN_NOT_SUPPORTED, 0);
        }
        if (task.read && task.write) {
            // Bidirectional commands are not supported (no SCSI command we serve needs them).
            return ScsiStatus.fixedSense(ScsiStatus.SENSE_KEY_ILLEGAL_REQUEST, ScsiStatus.ASC_INVALID_FIELD_IN_CDB, 0);
        }
        if (task.write && task.edtlBytes > state.target.maxDataOutBytes()) {
            return ScsiStatus.fixedSense(ScsiStatus.SENSE_KEY_ILLEGAL_REQUEST, ScsiStatus.ASC_INVALID_FIELD_IN_CDB, 0);
        }
        return null;
    }

    /** The CDB as long as its group code says (SPC-5 section 4.2.5.1); 16 for the rest. */
    static byte[] cdb(byte[] field) {
        int group = (field[0] & 0xff) >>> 5;
        int length = switch (group) {
            case 0 -> 6;
            case 1, 2 -> 10;
            case 5 -> 12;
            default -> 16;
        };
        byte[] cdb = new byte[length];
        System.arraycopy(field, 0, cdb, 0, length);
        return cdb;
    }

    /** Executes the task if all its data is in, else asks for more with R2Ts. */
    private void advance(Task task) {
        if (task.allDataReceived()) {
            execute(task);
            return;
        }
        int outstandingMax = Math.min(state.params.maxOutstandingR2T(), state.limits.r2tOutstandingMax());
        while (task.r2ts.size() < outstandingMax && task.solicitNextOffsetBytes < task.edtlBytes) {
            int lengthBytes = Math.min(state.params.maxBurstLengthBytes(), task.edtlBytes - task.solicitNextOffsetBytes);
            Task.R2t r2t = new Task.R2t(state.newTtt(), task.nextR2tSn++, task.solicitNextOffsetBytes, lengthBytes);
            task.r2ts.add(r2t);
            task.solicitNextOffsetBytes += lengthBytes;
            state.write(state.plainPdu(Opcode.R2T).finalFlag(true).lunField(task.lunField).itt(task.itt)
                    .ttt(r2t.ttt).dataSn(r2t.r2tSn).bufferOffset(r2t.offsetBytes).desiredDataTransferLength(lengthBytes));
        }
    }

    /** SCSI Data-Out (section 11.7): copy into the task's buffer at its offset, in order. */
    void onDataOut(Pdu pdu) {
        Task task = state.tasks.get(pdu.itt());
        if (task == null || task.state != Task.State.COLLECTING) {
            // Data for a task already answered or aborted (section 4.2.3.3): discard silently.
            LOG.debug("discarding Data-Out for no collecting task: {}", pdu);
            return;
        }
        int offsetBytes = pdu.bufferOffset();
        int lengthBytes = pdu.data().readableBytes();
        boolean sequenceDone;
        boolean dataSnWrong;
        if (pdu.ttt() == Pdu.RESERVED_TAG) {
            if (offsetBytes != task.unsolicitedNextOffsetBytes
                    || offsetBytes + lengthBytes > task.unsolicitedEndBytes || lengthBytes == 0) {
                dataSequenceError(task, pdu, "unsolicited");
                return;
            }
            dataSnWrong = pdu.dataSn() != task.unsolicitedNextDataSn;
            task.unsolicitedNextOffsetBytes += lengthBytes;
            task.unsolicitedNextDataSn++;
            sequenceDone = task.unsolicitedNextOffsetBytes == task.unsolicitedEndBytes;
        } else {
            Task.R2t r2t = task.findR2t(pdu.ttt());
            if (r2t == null || offsetBytes != r2t.offsetBytes + r2t.receivedBytes
                    || r2t.receivedBytes + lengthBytes > r2t.lengthBytes || lengthBytes == 0) {
                dataSequenceError(task, pdu, "solicited");
                return;
            }
            dataSnWrong = pdu.dataSn() != r2t.nextDataSn;
            r2t.receivedBytes += lengthBytes;
            r2t.nextDataSn++;
            sequenceDone = r2t.receivedBytes == r2t.lengthBytes;
            if (sequenceDone) {
                task.r2ts.remove(r2t);
            }
        }
        if (pdu.finalFlag() != sequenceDone && pdu.finalFlag()) {
            dataSequenceError(task, pdu, "F bit before the end of the sequence");
            return;
        }
        if (dataSnWrong) {
            // Section 7.9: an out-of-order DataSN means an earlier Data-Out was lost (an implied
            // digest error). At ERL 0 there is no recovery R2T, so section 7.8 option (b): keep
            // collecting the sequence by offset, then end the task with CHECK CONDITION.
            LOG.warn("Data-Out with DataSN {} out of order for {} (offset {}): the task will end with "
                    + "PROTOCOL SERVICE CRC ERROR", pdu.dataSn(), task, offsetBytes);
            task.dataLost = true;
        }
        task.dataOut.setBytes(offsetBytes, pdu.data(), pdu.data().readerIndex(), lengthBytes);
        task.receivedBytes += lengthBytes;
        if (task.receivedBytes == task.edtlBytes) {
            task.dataOut.writerIndex(task.edtlBytes);
        }
        assert task.receivedBytes <= task.edtlBytes;
        advance(task);
    }

    /**
     * Data-Out out of order or outside its sequence. With DataPDUInOrder=Yes and ERL 0 the task
     * cannot be recovered (section 7.1.4.1): Reject, then drop the connection.
     */
    private void dataSequenceError(Task task, Pdu pdu, String what) {
        LOG.warn("Data-Out violates the {} sequence of {}: offset {} length {} DataSN {}", what, task,
                pdu.bufferOffset(), pdu.data().readableBytes(), pdu.dataSn());
        state.reject(RejectReason.PROTOCOL_ERROR, pdu.bhsCopy());
        protocolFailure.run();
    }

    /** Ends a collecting task whose data was lost (data digest error on its Data-Out, section 7.8). */
    void failCollecting(int itt, byte[] sense) {
        Task task = state.tasks.get(itt);
        if (task != null && task.state == Task.State.COLLECTING) {
            task.state = Task.State.EXECUTING; // what complete() expects
            complete(task, new ScsiResponse(ScsiStatus.CHECK_CONDITION, sense, null));
        }
    }

    private void execute(Task task) {
        assert task.state == Task.State.COLLECTING && task.r2ts.isEmpty();
        task.state = Task.State.EXECUTING;
        if (task.dataLost) {
            // Section 7.8 option (b): all data is in, none of it is trusted; nothing reaches the LU.
            task.releaseDataOut();
            complete(task, new ScsiResponse(ScsiStatus.CHECK_CONDITION,
                    ScsiStatus.fixedSense(ScsiStatus.SENSE_KEY_ABORTED_COMMAND, 0x47, 0x05), null));
            return;
        }
        ByteBuf dataOut = task.dataOut;
        task.dataOut = null; // the logical unit releases it from now on
        ScsiRequest request = new ScsiRequest(task.lun, task.cdb, task.edtlBytes, dataOut, state.handover.nexus());
        EventLoop loop = state.ctx.channel().eventLoop();
        AtomicBoolean called = new AtomicBoolean();
        Consumer<ScsiResponse> done = response -> {
            if (!called.compareAndSet(false, true)) {
                throw new IllegalStateException("ScsiTarget completed " + task + " twice");
            }
            if (loop.inEventLoop()) {
                complete(task, response);
                return;
            }
            try {
                loop.execute(() -> complete(task, response));
            } catch (RejectedExecutionException e) {
                release(response); // the loop is gone, and the connection with it
            }
        };
        try {
            state.target.execute(request, done);
        } catch (RuntimeException e) {
            LOG.error("ScsiTarget.execute threw for {}", task, e);
            if (!called.get()) {
                done.accept(new ScsiResponse(ScsiStatus.CHECK_CONDITION,
                        ScsiStatus.fixedSense(ScsiStatus.SENSE_KEY_ABORTED_COMMAND, 0x44, 0), null)); // INTERNAL TARGET FAILURE
            }
        }
    }

    /** The outcome of a task, on the event loop. */
    private void complete(Task task, ScsiResponse response) {
        assert state.ctx.channel().eventLoop().inEventLoop();
        if (state.closed) {
            release(response);
            return;
        }
        if (task.state == Task.State.ABORTED) {
            // Section 4.2.3.3 / 11.5.1: an aborted task gets no SCSI Response.
            release(response);
            state.finish(task);
            TaskManagement.Pending waiter = task.tmfWaiter;
            if (waiter != null) {
                waiter.taskEnded();
            }
            state.flush();
            return;
        }
        task.state = Task.State.RESPONDING;
        state.finish(task); // window credit and budget come back before the response carries MaxCmdSN
        responder.enqueue(task, response);
    }

    static void release(ScsiResponse response) {
        if (response != null && response.dataIn() != null && response.dataIn().refCnt() > 0) {
            response.dataIn().release();
        }
    }
}

package io.pmtarget.target.session;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import io.pmtarget.target.pdu.Opcode;
import io.pmtarget.target.pdu.Pdu;
import io.pmtarget.target.pdu.PduDecodeError;
import io.pmtarget.target.pdu.RejectReason;
import io.pmtarget.target.scsi.ScsiTarget;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The full-feature phase of one iSCSI connection (RFC 7143 sections 4.2, 11): takes decoded
 * {@link Pdu}s and {@link PduDecodeError}s, applies the CmdSN window, and dispatches to SCSI command
 * handling, task management, NOP, Text and Logout. One connection per session, ErrorRecoveryLevel
 * 0. Never blocks: the logical unit completes on its own threads and we hop back to the loop.
 *
 * <p>Install with {@link IscsiPipeline#enterFullFeaturePhase}.
 */
public final class FullFeatureHandler extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = LoggerFactory.getLogger(FullFeatureHandler.class);

    /** Logout reason codes (section 11.14.1) and response codes (11.15.1). */
    static final int LOGOUT_CLOSE_SESSION = 0;
    static final int LOGOUT_CLOSE_CONNECTION = 1;
    static final int LOGOUT_REMOVE_FOR_RECOVERY = 2;
    static final int LOGOUT_OK = 0;
    static final int LOGOUT_CID_NOT_FOUND = 1;
    static final int LOGOUT_RECOVERY_NOT_SUPPORTED = 2;

    private final SessionState state;
    private final Responder responder;
    private final CommandFlow commands;
    private final TaskManagement taskManagement;
    private final NopPinger pinger;
    private final TextResponder textResponder;

    /**
     * @param target        the logical units
     * @param handover      what the login negotiated and numbered
     * @param limits        our own per-session limits
     * @param textResponder answers Text Requests (SendTargets), or null to reject them
     */
    public FullFeatureHandler(ScsiTarget target, SessionHandover handover, SessionLimits limits,
            TextResponder textResponder) {
        if (target == null || handover == null || limits == null) {
            throw new IllegalArgumentException("target, handover and limits are required");
        }
        this.state = new SessionState(target, handover, limits);
        this.responder = new Responder(state);
        this.commands = new CommandFlow(state, responder, this::closeAfterFlush);
        this.taskManagement = new TaskManagement(state, responder);
        this.pinger = new NopPinger(state);
        this.textResponder = textResponder;
    }

    public SessionParams params() {
        return state.params;
    }

    /** The next StatSN, ExpCmdSN and MaxCmdSN (for tests and status). */
    public int statSn() {
        return state.statSn;
    }

    public int expCmdSn() {
        return state.expCmdSn;
    }

    public int maxCmdSn() {
        return state.maxCmdSn();
    }

    /** Data-out bytes this session holds in buffers now. */
    public long bufferedDataOutBytes() {
        return state.bufferedBytes;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        state.ctx = ctx;
        pinger.start();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        pinger.received();
        if (msg instanceof PduDecodeError error) {
            onDecodeError(error);
            return;
        }
        if (!(msg instanceof Pdu pdu)) {
            ctx.fireChannelRead(msg);
            return;
        }
        state.readBatch = true;
        try {
            if (!state.loggedOut && !state.closed) {
                dispatch(pdu);
            }
        } finally {
            ReferenceCountUtil.release(pdu);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        state.readBatch = false;
        state.flush();
        ctx.fireChannelReadComplete();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        responder.drain();
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        shutdown();
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        shutdown();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LOG.error("closing iSCSI connection {} after an unexpected error", ctx.channel(), cause);
        ctx.close();
    }

    /** Releases everything the session holds; completions arriving later release their data. */
    private void shutdown() {
        if (state.closed) {
            return;
        }
        state.closed = true;
        pinger.stop();
        responder.releaseAll();
        for (Task task : new java.util.ArrayList<>(state.tasks.values())) {
            if (task.state == Task.State.COLLECTING) {
                state.finish(task);
            }
        }
    }

    private void dispatch(Pdu pdu) {
        Opcode opcode = pdu.opcode();
        if (opcode == null) {
            state.reject(RejectReason.COMMAND_NOT_SUPPORTED, pdu.bhsCopy());
            return;
        }
        if (opcode.isInitiatorOpcode()) {
            state.acknowledge(pdu.expStatSn()); // offset 28 is ExpStatSN in every initiator PDU
        }
        if (state.handover.discovery() && opcode != Opcode.TEXT_REQUEST && opcode != Opcode.LOGOUT_REQUEST
                && opcode != Opcode.NOP_OUT) {
            // Section 4.3: a discovery session carries only SendTargets text and logout.
            state.reject(RejectReason.PROTOCOL_ERROR, pdu.bhsCopy());
            return;
        }
        switch (opcode) {
            case SCSI_COMMAND -> {
                if (acceptCmdSn(pdu)) {
                    commands.onScsiCommand(pdu);
                }
            }
            case SCSI_DATA_OUT -> commands.onDataOut(pdu);
            case NOP_OUT -> onNopOut(pdu);
            case TASK_MGMT_REQUEST -> {
                if (acceptCmdSn(pdu)) {
                    taskManagement.onRequest(pdu);
                }
            }
            case TEXT_REQUEST -> {
                if (acceptCmdSn(pdu)) {
                    onText(pdu);
                }
            }
            case LOGOUT_REQUEST -> {
                if (acceptCmdSn(pdu)) {
                    onLogout(pdu);
                }
            }
            // Section 11.16: SNACK needs ErrorRecoveryLevel > 0; a Login Request on a connection in
            // full-feature phase is a protocol error (section 6.1); target opcodes never come in.
            default -> state.reject(RejectReason.PROTOCOL_ERROR, pdu.bhsCopy());
        }
    }

    /**
     * The CmdSN window (section 4.2.2.1): an immediate command is delivered at once and does not
     * advance ExpCmdSN; a non-immediate one is delivered only if CmdSN == ExpCmdSN. Anything else
     * is outside the window or leaves a gap; on one TCP connection a gap cannot heal, so it is
     * silently ignored as the RFC prescribes for out-of-window commands.
     */
    private boolean acceptCmdSn(Pdu pdu) {
        if (pdu.immediate()) {
            return true;
        }
        if (pdu.cmdSn() == state.expCmdSn && state.activeTasks < state.limits.commandWindowSize()) {
            state.expCmdSn++;
            return true;
        }
        LOG.debug("dropping {} with CmdSN {} outside [{}, {}]", pdu, pdu.cmdSn(), state.expCmdSn, state.maxCmdSn());
        return false;
    }

    private void onNopOut(Pdu pdu) {
        if (pdu.itt() == Pdu.RESERVED_TAG) {
            // An answer to our ping (TTT echoed) or a no-reply ping; section 11.18.
            if (pdu.ttt() != Pdu.RESERVED_TAG) {
                pinger.answered(pdu.ttt());
            }
            return;
        }
        if (!acceptCmdSn(pdu)) {
            return;
        }
        // Section 11.19: echo the ping data; the decoder bounded it by our MaxRecvDataSegmentLength
        // and the initiator's bound applies to what we send.
        int echoBytes = Math.min(pdu.data().readableBytes(), state.params.initiatorMaxRecvDataSegmentLengthBytes());
        Pdu nopIn = state.statusPdu(Opcode.NOP_IN).itt(pdu.itt()).ttt(Pdu.RESERVED_TAG).lunField(pdu.lunField());
        if (echoBytes > 0) {
            nopIn.data(state.ctx.alloc().buffer(echoBytes).writeBytes(pdu.data(), pdu.data().readerIndex(), echoBytes));
        }
        state.write(nopIn);
    }

    private void onText(Pdu pdu) {
        if (textResponder == null) {
            state.reject(RejectReason.COMMAND_NOT_SUPPORTED, pdu.bhsCopy());
            return;
        }
        if (!pdu.finalFlag() || pdu.continueFlag() || pdu.ttt() != Pdu.RESERVED_TAG) {
            // Multi-PDU text exchanges (section 11.10.2) are not implemented.
            state.reject(RejectReason.COMMAND_NOT_SUPPORTED, pdu.bhsCopy());
            return;
        }
        byte[] keys = new byte[pdu.data().readableBytes()];
        pdu.data().getBytes(pdu.data().readerIndex(), keys);
        byte[] answer = textResponder.respond(keys);
        if (answer.length > state.params.initiatorMaxRecvDataSegmentLengthBytes()) {
            LOG.warn("Text Response of {} bytes exceeds the initiator's MaxRecvDataSegmentLength; continuation "
                    + "is not implemented", answer.length);
            state.reject(RejectReason.OUT_OF_RESOURCES, pdu.bhsCopy());
            return;
        }
        Pdu response = state.statusPdu(Opcode.TEXT_RESPONSE).itt(pdu.itt()).ttt(Pdu.RESERVED_TAG)
                .lunField(pdu.lunField());
        response.data(Unpooled.wrappedBuffer(answer));
        state.write(response);
    }

    private void onLogout(Pdu pdu) {
        int reason = pdu.logoutReason();
        int response;
        if (reason == LOGOUT_CLOSE_SESSION) {
            response = LOGOUT_OK;
        } else if (reason == LOGOUT_CLOSE_CONNECTION) {
            response = pdu.cid() == state.handover.cid() ? LOGOUT_OK : LOGOUT_CID_NOT_FOUND;
        } else if (reason == LOGOUT_REMOVE_FOR_RECOVERY) {
            response = LOGOUT_RECOVERY_NOT_SUPPORTED; // ErrorRecoveryLevel 0
        } else {
            state.reject(RejectReason.INVALID_PDU_FIELD, pdu.bhsCopy());
            return;
        }
        // Time2Wait/Time2Retain 0: nothing is kept for reinstatement at ERL 0 (section 11.15.2).
        Pdu answer = state.statusPdu(Opcode.LOGOUT_RESPONSE).itt(pdu.itt()).response(response)
                .time2WaitSeconds(0).time2RetainSeconds(0);
        if (response != LOGOUT_OK) {
            state.write(answer);
            return;
        }
        // Section 11.14: the connection (and with one connection, the session) ends after the
        // response; tasks still in the logical unit finish and their responses are dropped.
        state.loggedOut = true;
        state.write(answer);
        closeAfterFlush();
    }

    private void onDecodeError(PduDecodeError error) {
        LOG.warn("iSCSI PDU error on {}: {} ({})", state.ctx.channel(), error.kind(), error.detail());
        if (error.kind().rejectReason >= 0 && !state.closed) {
            state.reject(error.kind().rejectReason, error.bhs());
        }
        if (error.kind() == PduDecodeError.Kind.DATA_DIGEST
                && (error.bhs()[0] & 0x3f) == Opcode.SCSI_DATA_OUT.code) {
            // Section 7.8 option (b) at ERL 0: end the task whose data was lost with CHECK
            // CONDITION, ABORTED COMMAND / PROTOCOL SERVICE CRC ERROR (47h/05h).
            int itt = java.nio.ByteBuffer.wrap(error.bhs()).getInt(16);
            commands.failCollecting(itt, ScsiStatus.fixedSense(ScsiStatus.SENSE_KEY_ABORTED_COMMAND, 0x47, 0x05));
        }
        if (error.kind().fatal) {
            closeAfterFlush();
        } else {
            state.flush();
        }
    }

    private void closeAfterFlush() {
        state.loggedOut = true; // read nothing more
        state.ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
    }
}

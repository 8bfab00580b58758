package io.pmtarget.target.portal;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import io.pmtarget.target.login.Digest;
import io.pmtarget.target.login.LoginRequest;
import io.pmtarget.target.login.LoginResponse;
import io.pmtarget.target.login.LoginResult;
import io.pmtarget.target.login.LoginStateMachine;
import io.pmtarget.target.login.LoginStatus;
import io.pmtarget.target.login.NegotiatedSession;
import io.pmtarget.target.login.OperationalParameters;
import io.pmtarget.target.login.SessionType;
import io.pmtarget.target.login.TextNegotiation;
import io.pmtarget.target.login.TextProtocolException;
import io.pmtarget.target.login.TextRequest;
import io.pmtarget.target.login.TextResponse;
import io.pmtarget.target.pdu.Opcode;
import io.pmtarget.target.pdu.Pdu;
import io.pmtarget.target.pdu.PduDecodeError;
import io.pmtarget.target.scsi.ItNexus;
import io.pmtarget.target.scsi.ScsiTarget;
import io.pmtarget.target.session.FullFeatureHandler;
import io.pmtarget.target.session.IscsiPipeline;
import io.pmtarget.target.session.SessionHandover;
import io.pmtarget.target.session.SessionParams;
import io.pmtarget.target.session.TextResponder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.TimeUnit;

/**
 * The Netty side of the login phase: turns Login Request PDUs into {@link LoginRequest}s for the
 * pure {@link LoginStateMachine}, writes its answers as Login Response PDUs with the sequence
 * numbers (RFC 7143 section 11.13.4), and at the end hands the connection to the full-feature
 * phase via {@link IscsiPipeline#enterFullFeaturePhase}. Any other PDU during login is answered
 * with status 0x020b (invalid request during login) and the connection closes.
 */
final class LoginPhaseHandler extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = LoggerFactory.getLogger(LoginPhaseHandler.class);

    private final PortalContext portal;
    private final LoginStateMachine machine;
    private ScheduledFuture<?> timeout;
    /** StatSN of the next Login Response; starts at the initiator's ExpStatSN (section 11.13.4). */
    private int statSn;
    private boolean first = true;
    private boolean done;

    LoginPhaseHandler(PortalContext portal) {
        this.portal = portal;
        this.machine = new LoginStateMachine(portal.directory(), portal.registry(), portal.random());
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        // A peer that connects and never finishes login must not hold a connection forever.
        timeout = ctx.executor().schedule(() -> {
            if (!done) {
                LOG.warn("login from {} not finished after {} ms: closing", ctx.channel().remoteAddress(),
                        portal.loginTimeoutMs());
                done = true;
                ctx.close();
            }
        }, portal.loginTimeoutMs(), TimeUnit.MILLISECONDS);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        if (timeout != null) {
            timeout.cancel(false);
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (done) {
                return; // the connection is closing; drop what is still framed
            }
            if (msg instanceof PduDecodeError error) {
                LOG.warn("malformed PDU during login from {}: {} ({}); closing", ctx.channel().remoteAddress(),
                        error.kind(), error.detail());
                done = true;
                ctx.close();
            } else if (msg instanceof Pdu pdu) {
                onPdu(ctx, pdu);
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    private void onPdu(ChannelHandlerContext ctx, Pdu pdu) {
        if (first) {
            statSn = pdu.expStatSn();
            first = false;
        }
        if (pdu.opcode() != Opcode.LOGIN_REQUEST) {
            // RFC 7143 section 6.1: only Login Requests are allowed until the login completes.
            LOG.warn("{} sent {} during login: closing", ctx.channel().remoteAddress(), pdu.opcode());
            LoginResponse refusal = new LoginResponse(false, false, 0, 0, 0, 0, 0, 0, pdu.itt(),
                    LoginStatus.INVALID_REQUEST_DURING_LOGIN, new byte[0]);
            done = true;
            ctx.writeAndFlush(toPdu(refusal, pdu.cmdSn())).addListener(ChannelFutureListener.CLOSE);
            return;
        }
        LoginRequest request = toRequest(pdu);
        LoginResult result = machine.onLoginRequest(request);
        Pdu response = toPdu(result.response(), request.cmdSn());
        switch (result.outcome()) {
            case CONTINUE -> ctx.writeAndFlush(response);
            case CLOSE -> {
                done = true;
                LOG.info("login refused: {} from {}", result.response().status(), ctx.channel().remoteAddress());
                ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
            }
            case FULL_FEATURE -> {
                done = true;
                ctx.writeAndFlush(response);
                enterFullFeature(ctx, result.session(), request.cmdSn());
            }
        }
    }

    private static LoginRequest toRequest(Pdu pdu) {
        ByteBuf data = pdu.data();
        byte[] text = new byte[data.readableBytes()];
        data.getBytes(data.readerIndex(), text);
        return new LoginRequest(pdu.transitFlag(), pdu.continueFlag(), pdu.currentStage(), pdu.nextStage(),
                pdu.versionMax(), pdu.versionMinOrActive(), pdu.isid(), pdu.tsih(), pdu.itt(), pdu.cid(),
                pdu.cmdSn(), pdu.expStatSn(), text);
    }

    /** Login requests are immediate: ExpCmdSN stays at the request's CmdSN (section 11.12.7). */
    private Pdu toPdu(LoginResponse r, int cmdSn) {
        Pdu pdu = Pdu.create(Opcode.LOGIN_RESPONSE)
                .transitFlag(r.transit()).continueFlag(r.cont()).currentStage(r.csg()).nextStage(r.nsg())
                .versionMax(r.versionMax()).versionMinOrActive(r.versionActive()).isid(r.isid()).tsih(r.tsih())
                .itt(r.initiatorTaskTag()).statSn(statSn++).expCmdSn(cmdSn)
                .maxCmdSn(cmdSn + portal.limits().commandWindowSize() - 1)
                .statusClass(r.status().statusClass()).statusDetail(r.status().statusDetail());
        if (r.data().length > 0) {
            pdu.data(io.netty.buffer.Unpooled.wrappedBuffer(r.data()));
        }
        return pdu;
    }

    private void enterFullFeature(ChannelHandlerContext ctx, NegotiatedSession session, int cmdSn) {
        OperationalParameters p = session.parameters();
        SessionParams params = new SessionParams(p.targetMaxRecvDataSegmentLengthBytes(),
                p.initiatorMaxRecvDataSegmentLengthBytes(), p.maxBurstLengthBytes(), p.firstBurstLengthBytes(),
                p.initialR2T(), p.immediateData(), p.maxOutstandingR2T(),
                p.headerDigest() == Digest.CRC32C, p.dataDigest() == Digest.CRC32C);
        boolean discovery = session.sessionType() == SessionType.DISCOVERY;
        int tpgt = discovery ? 0 : session.target().tpgt();
        ItNexus nexus = new ItNexus(session.initiatorName(), session.isid(), session.targetName(), tpgt);
        ScsiTarget target = discovery ? NoLunsTarget.INSTANCE : portal.scsiTargets().apply(session.targetName());
        if (target == null) {
            // The directory and the SCSI targets come from one config; a gap is a programmer error.
            throw new IllegalStateException("no SCSI target for " + session.targetName());
        }
        SessionHandover handover = new SessionHandover(params, nexus, session.tsih(), session.cid(), cmdSn, statSn, discovery);
        TextNegotiation text = new TextNegotiation(portal.directory(), session);
        FullFeatureHandler ffp = new FullFeatureHandler(target, handover, portal.limits(), textResponder(text));
        int tsih = session.tsih();
        int cid = session.cid();
        portal.channels().add(tsih, cid, ctx.channel());
        ctx.channel().closeFuture().addListener(f -> {
            portal.channels().remove(tsih, cid, ctx.channel());
            portal.registry().release(tsih, cid);
            target.nexusLost(nexus); // SPC-5: I_T nexus loss ends RESERVE(6) reservations
            LOG.info("logout/close: {} {} from {} (TSIH {})", session.sessionType(), session.initiatorName(),
                    ctx.channel().remoteAddress(), tsih);
        });
        LOG.info("login: {} session of {} to {} from {} (TSIH {}, digests {}/{}, {}{})", session.sessionType(),
                session.initiatorName(), discovery ? "-" : session.targetName(), ctx.channel().remoteAddress(), tsih,
                p.headerDigest(), p.dataDigest(), session.chapAuthenticated() ? "CHAP" : "no auth",
                session.reinstated() ? ", reinstated" : "");
        IscsiPipeline.enterFullFeaturePhase(ctx.pipeline(), ffp);
    }

    /**
     * Single-PDU Text exchanges in full feature phase (SendTargets in discovery). A protocol error
     * yields no text; the session then rejects the request.
     */
    private static TextResponder textResponder(TextNegotiation text) {
        return keys -> {
            try {
                TextResponse answer = text.onTextRequest(
                        new TextRequest(true, false, 0, TextRequest.RESERVED_TAG, keys));
                return answer.data();
            } catch (TextProtocolException e) {
                LOG.warn("text request refused: {}", e.getMessage());
                return new byte[0];
            }
        };
    }
}

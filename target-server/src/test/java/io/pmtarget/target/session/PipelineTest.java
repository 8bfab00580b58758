package io.pmtarget.target.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ResourceLeakDetector;
import io.pmtarget.target.pdu.Lun;
import io.pmtarget.target.pdu.Opcode;
import io.pmtarget.target.pdu.Pdu;
import io.pmtarget.target.pdu.PduDecoder;
import io.pmtarget.target.pdu.PduEncoder;
import org.junit.jupiter.api.Test;

/** decoder -> login -> (handover) -> full-feature handler, over real bytes with digests switched on. */
@org.junit.jupiter.api.extension.ExtendWith(io.pmtarget.target.pdu.LeakTrap.Check.class)
class PipelineTest {

    /** Stands in for the login handler: on the first PDU, answers and hands over. */
    private static final class FakeLogin extends ChannelInboundHandlerAdapter {
        final FullFeatureHandler next;

        FakeLogin(FullFeatureHandler next) {
            this.next = next;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            Pdu request = (Pdu) msg;
            assertEquals(Opcode.LOGIN_REQUEST, request.opcode());
            request.release();
            ctx.writeAndFlush(Pdu.create(Opcode.LOGIN_RESPONSE).transitFlag(true).currentStage(1).nextStage(3)
                    .tsih(1).statSn(0).expCmdSn(1).maxCmdSn(1));
            IscsiPipeline.enterFullFeaturePhase(ctx.pipeline(), next);
        }
    }

    private static byte[] encode(boolean digests, Pdu pdu) {
        PduEncoder encoder = new PduEncoder();
        encoder.setDigests(digests, digests);
        EmbeddedChannel channel = new EmbeddedChannel(encoder);
        channel.writeOutbound(pdu);
        ByteBuf out = channel.readOutbound();
        byte[] bytes = io.netty.buffer.ByteBufUtil.getBytes(out);
        out.release();
        channel.finishAndReleaseAll();
        return bytes;
    }

    @Test
    void loginHandsOverAndDigestsStartWithTheNextPdu() {
        ResourceLeakDetector.Level level = ResourceLeakDetector.getLevel();
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
        try {
            SessionParams params = new SessionParams(16384, 8192, 262144, 65536, true, true, 1, true, true);
            FakeScsiTarget target = new FakeScsiTarget();
            target.answer = r -> new io.pmtarget.target.scsi.ScsiResponse(0, null,
                    Unpooled.directBuffer().writeBytes(SessionHarness.pattern(5000, 3)));
            FullFeatureHandler session = new FullFeatureHandler(target,
                    new SessionHandover(params, SessionHarness.NEXUS, 1, 0, 1, 1, false), SessionHarness.quietLimits(), null);
            EmbeddedChannel channel = new EmbeddedChannel();
            IscsiPipeline.initConnection(channel.pipeline(), new FakeLogin(session));
            byte[] login = encode(false, Pdu.create(Opcode.LOGIN_REQUEST).immediate(true).transitFlag(true)
                    .currentStage(1).nextStage(3).cmdSn(1));
            byte[] read = encode(true, Pdu.create(Opcode.SCSI_COMMAND).finalFlag(true).readFlag(true).itt(9)
                    .lunField(Lun.encode(0)).expectedDataTransferLength(5000).cmdSn(1).expStatSn(1)
                    .cdbField(new byte[] {0x28, 0, 0, 0, 0, 0, 0, 0, 8, 0}));
            // Both PDUs arrive in one read: the switch must fall exactly between them.
            channel.writeInbound(Unpooled.wrappedBuffer(login, read));
            assertSame(session, channel.pipeline().get(IscsiPipeline.SESSION));
            assertNull(channel.pipeline().get(IscsiPipeline.LOGIN));
            assertEquals(16384, ((PduDecoder) channel.pipeline().get(IscsiPipeline.DECODER)).maxRecvDataSegmentLengthBytes());

            EmbeddedChannel peer = new EmbeddedChannel(new PduDecoder());
            ByteBuf loginBytes = channel.readOutbound();
            assertEquals(48, loginBytes.readableBytes(), "final Login Response without digests");
            peer.writeInbound(loginBytes);
            Pdu loginResponse = peer.readInbound();
            assertEquals(Opcode.LOGIN_RESPONSE, loginResponse.opcode());
            ((PduDecoder) peer.pipeline().first()).setDigests(true, true);
            for (ByteBuf b; (b = channel.readOutbound()) != null; ) {
                peer.writeInbound(b);
            }
            Pdu dataIn = peer.readInbound();
            assertEquals(Opcode.SCSI_DATA_IN, dataIn.opcode());
            assertEquals(5000, dataIn.dataSegmentLengthBytes());
            assertTrue(dataIn.statusFlag());
            assertEquals(1, dataIn.statSn());
            assertEquals(1, target.executed.size());
            dataIn.release();
            assertNull(peer.readInbound());
            assertFalse(peer.finishAndReleaseAll());
            assertFalse(channel.finishAndReleaseAll());
        } finally {
            ResourceLeakDetector.setLevel(level);
        }
    }
}

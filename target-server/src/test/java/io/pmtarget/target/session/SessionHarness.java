package io.pmtarget.target.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.pmtarget.target.pdu.Lun;
import io.pmtarget.target.pdu.Opcode;
import io.pmtarget.target.pdu.Pdu;
import io.pmtarget.target.scsi.ItNexus;
import java.util.ArrayList;
import java.util.List;

/** A FullFeatureHandler on an EmbeddedChannel, fed and read as Pdu objects. */
final class SessionHarness {
    static final ItNexus NEXUS = new ItNexus("iqn.2026-11.test:init", 0x23d000000001L, "iqn.2026-11.test:tgt", 1);
    static final int FIRST_CMD_SN = 100;
    static final int FIRST_STAT_SN = 500;

    final FakeScsiTarget target = new FakeScsiTarget();
    final FullFeatureHandler handler;
    final EmbeddedChannel channel;
    int nextCmdSn = FIRST_CMD_SN;

    SessionHarness(SessionParams params, SessionLimits limits) {
        this(params, limits, false);
    }

    SessionHarness(SessionParams params, SessionLimits limits, boolean discovery) {
        handler = new FullFeatureHandler(target, new SessionHandover(params, NEXUS, 7, 0, FIRST_CMD_SN, FIRST_STAT_SN, discovery),
                limits, keys -> ("TargetName=iqn.2026-11.test:tgt\0").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        channel = new EmbeddedChannel();
        channel.freezeTime(); // the loop's clock moves only by advanceTimeBy: timer tests are exact
        channel.pipeline().addLast(handler);
    }

    static SessionLimits quietLimits() {
        return new SessionLimits(64, 4, 1 << 20, 16, 0, 5000, 64);
    }

    static SessionParams params(int initiatorMrdsl, int maxBurst, int firstBurst, boolean initialR2T,
            boolean immediateData, int maxOutstandingR2T) {
        return new SessionParams(8192, initiatorMrdsl, maxBurst, firstBurst, initialR2T, immediateData,
                maxOutstandingR2T, false, false);
    }

    static byte[] pattern(int length, int seed) {
        byte[] b = new byte[length];
        for (int i = 0; i < length; i++) {
            b[i] = (byte) (i * 7 + seed + (i >>> 8));
        }
        return b;
    }

    Pdu read(int itt, int edtl) {
        return Pdu.create(Opcode.SCSI_COMMAND).finalFlag(true).readFlag(true).itt(itt).lunField(Lun.encode(1))
                .expectedDataTransferLength(edtl).cmdSn(nextCmdSn++).expStatSn(FIRST_STAT_SN)
                .cdbField(new byte[] {0x28, 0, 0, 0, 0, 0, 0, 0, 8, 0});
    }

    Pdu write(int itt, int edtl, byte[] immediate, boolean finalFlag) {
        Pdu pdu = Pdu.create(Opcode.SCSI_COMMAND).finalFlag(finalFlag).writeFlag(true).itt(itt)
                .lunField(Lun.encode(1)).expectedDataTransferLength(edtl).cmdSn(nextCmdSn++)
                .expStatSn(FIRST_STAT_SN).cdbField(new byte[] {0x2a, 0, 0, 0, 0, 0, 0, 0, 8, 0});
        if (immediate != null) {
            pdu.data(pooled(immediate, 0, immediate.length));
        }
        return pdu;
    }

    static Pdu dataOut(int itt, int ttt, int dataSn, int offset, byte[] all, int length, boolean finalFlag) {
        return Pdu.create(Opcode.SCSI_DATA_OUT).finalFlag(finalFlag).itt(itt).ttt(ttt).dataSn(dataSn)
                .bufferOffset(offset).lunField(Lun.encode(1)).expStatSn(FIRST_STAT_SN)
                .data(pooled(all, offset, length));
    }

    /** Inbound data in pooled direct buffers, as the decoder delivers it (leak-tracked). */
    static io.netty.buffer.ByteBuf pooled(byte[] bytes, int offset, int length) {
        return io.netty.buffer.PooledByteBufAllocator.DEFAULT.directBuffer(length).writeBytes(bytes, offset, length);
    }

    void send(Pdu pdu) {
        channel.writeInbound(pdu);
        channel.runPendingTasks();
    }

    List<Pdu> out() {
        channel.runPendingTasks();
        List<Pdu> list = new ArrayList<>();
        for (Object o; (o = channel.readOutbound()) != null; ) {
            if (o instanceof Pdu pdu) {
                list.add(pdu);
            } else {
                // the empty buffer FullFeatureHandler writes to close after the last PDU is out
                assertEquals(0, ((io.netty.buffer.ByteBuf) o).readableBytes());
                ((io.netty.buffer.ByteBuf) o).release();
            }
        }
        return list;
    }

    Pdu one(Opcode expected) {
        List<Pdu> list = out();
        assertEquals(1, list.size(), () -> "expected one " + expected + ", got " + list);
        Pdu pdu = list.get(0);
        assertNotNull(pdu);
        assertEquals(expected, pdu.opcode(), pdu::toString);
        return pdu;
    }

    static void releaseAll(List<Pdu> pdus) {
        pdus.forEach(Pdu::release);
    }
}

package io.pmtarget.target.pdu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ResourceLeakDetector;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

@org.junit.jupiter.api.extension.ExtendWith(io.pmtarget.target.pdu.LeakTrap.Check.class)
class PduCodecTest {
    private static ResourceLeakDetector.Level previousLevel;

    @BeforeAll
    static void paranoid() {
        previousLevel = ResourceLeakDetector.getLevel();
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
    }

    @AfterAll
    static void restore() {
        ResourceLeakDetector.setLevel(previousLevel);
    }

    static Pdu scsiCommand(int itt, int dataBytes) {
        Pdu pdu = Pdu.create(Opcode.SCSI_COMMAND).finalFlag(true).writeFlag(true).itt(itt)
                .lunField(Lun.encode(3)).expectedDataTransferLength(65536).cmdSn(7).expStatSn(9)
                .cdbField(new byte[] {0x2a, 0, 0, 0, 0, 1, 0, 0, (byte) 128, 0});
        byte[] data = new byte[dataBytes];
        for (int i = 0; i < dataBytes; i++) {
            data[i] = (byte) (i * 31 + itt);
        }
        return pdu.data(Unpooled.wrappedBuffer(data));
    }

    /** Encodes PDUs through a PduEncoder and returns the wire bytes. */
    static byte[] wire(boolean headerDigest, boolean dataDigest, Pdu... pdus) {
        PduEncoder encoder = new PduEncoder();
        encoder.setDigests(headerDigest, dataDigest);
        EmbeddedChannel channel = new EmbeddedChannel(encoder);
        for (Pdu pdu : pdus) {
            assertTrue(channel.writeOutbound(pdu));
        }
        ByteBuf all = Unpooled.buffer();
        for (ByteBuf out; (out = channel.readOutbound()) != null; ) {
            all.writeBytes(out);
            out.release();
        }
        assertFalse(channel.finishAndReleaseAll());
        byte[] bytes = ByteBufUtil.getBytes(all);
        all.release();
        return bytes;
    }

    static EmbeddedChannel decoderChannel(boolean headerDigest, boolean dataDigest) {
        PduDecoder decoder = new PduDecoder();
        decoder.setDigests(headerDigest, dataDigest);
        return new EmbeddedChannel(decoder);
    }

    static List<Object> drain(EmbeddedChannel channel) {
        List<Object> out = new ArrayList<>();
        for (Object o; (o = channel.readInbound()) != null; ) {
            out.add(o);
        }
        return out;
    }

    static void assertSameCommand(Pdu expected, Pdu actual) {
        assertArrayEquals(expected.bhsCopy(), actual.bhsCopy());
        assertArrayEquals(expected.ahs(), actual.ahs());
        assertEquals(expected.data(), actual.data());
        assertEquals(Opcode.SCSI_COMMAND, actual.opcode());
        assertEquals(3, Lun.decode(actual.lunField()));
        assertEquals(65536, actual.expectedDataTransferLength());
        assertTrue(actual.writeFlag());
        assertFalse(actual.readFlag());
    }

    @Test
    void crc32cMatchesRfc7143AppendixB4() {
        // B.4: 32 bytes of zeroes -> aa 36 91 8a; 32 bytes of 0xff -> 43 ab a8 62 (wire order).
        ByteBuf zeros = Unpooled.wrappedBuffer(new byte[32]);
        assertEquals(0x8a9136aa, Crc32cDigest.of(zeros, 0, 32));
        byte[] ones = new byte[32];
        java.util.Arrays.fill(ones, (byte) 0xff);
        assertEquals(0x62a8ab43, Crc32cDigest.of(Unpooled.wrappedBuffer(ones), 0, 32));
        byte[] ascending = new byte[32];
        for (int i = 0; i < 32; i++) {
            ascending[i] = (byte) i;
        }
        assertEquals(0x46dd794e, Crc32cDigest.of(Unpooled.wrappedBuffer(ascending), 0, 32));
    }

    @Test
    void everySplitPointOfThreePdusBackToBackWithDigestsDecodesTheSame() {
        for (boolean digests : new boolean[] {false, true}) {
            Pdu[] expected = {scsiCommand(1, 5), scsiCommand(2, 0), scsiCommand(3, 1100)};
            expected[1].ahs(new byte[] {0, 5, 2, 0, 0, 0, 0x10, 0}); // bidi read length AHS
            Pdu[] copies = {scsiCommand(1, 5), scsiCommand(2, 0), scsiCommand(3, 1100)};
            copies[1].ahs(expected[1].ahs());
            byte[] bytes = wire(digests, digests, copies);
            int expectedLength = 3 * 48 + 8 + 8 + 1100 + (digests ? 3 * 4 + 2 * 4 : 0);
            assertEquals(expectedLength, bytes.length);
            for (int split = 0; split <= bytes.length; split++) {
                EmbeddedChannel channel = decoderChannel(digests, digests);
                ByteBuf a = Unpooled.copiedBuffer(bytes, 0, split);
                ByteBuf b = Unpooled.copiedBuffer(bytes, split, bytes.length - split);
                channel.writeInbound(a);
                channel.writeInbound(b);
                List<Object> out = drain(channel);
                assertEquals(3, out.size(), "split at " + split);
                for (int i = 0; i < 3; i++) {
                    Pdu pdu = (Pdu) out.get(i);
                    assertSameCommand(expected[i], pdu);
                    pdu.release(); // a slice shares the cumulation's count: checked via a and b below
                }
                assertFalse(channel.finishAndReleaseAll());
                // (a zero-length copiedBuffer is the shared EMPTY_BUFFER, which never frees)
                assertEquals(split == 0 ? 1 : 0, a.refCnt());
                assertEquals(split == bytes.length ? 1 : 0, b.refCnt());
            }
            for (Pdu pdu : expected) {
                pdu.release();
            }
        }
    }

    @Test
    void byteAtATimeDecodesPaddedSegment() {
        Pdu expected = scsiCommand(9, 13);
        byte[] bytes = wire(false, false, scsiCommand(9, 13));
        assertEquals(48 + 16, bytes.length);
        EmbeddedChannel channel = decoderChannel(false, false);
        for (byte b : bytes) {
            channel.writeInbound(Unpooled.wrappedBuffer(new byte[] {b}));
        }
        Pdu pdu = channel.readInbound();
        assertSameCommand(expected, pdu);
        pdu.release();
        expected.release();
        assertFalse(channel.finishAndReleaseAll());
    }

    @Test
    void oversizedDataSegmentIsReportedFromTheHeaderAlone() {
        Pdu big = scsiCommand(4, PduDecoder.LOGIN_DATA_SEGMENT_LENGTH_BYTES + 1);
        byte[] bytes = wire(false, false, big);
        EmbeddedChannel channel = decoderChannel(false, false);
        channel.writeInbound(Unpooled.copiedBuffer(bytes, 0, 48)); // header only: no data awaited
        PduDecodeError error = channel.readInbound();
        assertEquals(PduDecodeError.Kind.DATA_SEGMENT_TOO_LONG, error.kind());
        assertTrue(error.kind().fatal);
        assertEquals(RejectReason.PROTOCOL_ERROR, error.kind().rejectReason);
        assertEquals(4, java.nio.ByteBuffer.wrap(error.bhs()).getInt(16), "the Reject carries the header");
        channel.writeInbound(Unpooled.copiedBuffer(bytes, 48, bytes.length - 48));
        assertNull(channel.readInbound(), "input after a fatal error is discarded");
        assertFalse(channel.finishAndReleaseAll());
    }

    @Test
    void negotiatedSegmentLengthRaisesTheBound() {
        byte[] bytes = wire(false, false, scsiCommand(4, 10000));
        EmbeddedChannel channel = decoderChannel(false, false);
        ((PduDecoder) channel.pipeline().first()).setMaxRecvDataSegmentLengthBytes(10000);
        channel.writeInbound(Unpooled.wrappedBuffer(bytes));
        Pdu pdu = channel.readInbound();
        assertEquals(10000, pdu.dataSegmentLengthBytes());
        pdu.release();
        assertFalse(channel.finishAndReleaseAll());
    }

    @Test
    void ahsAboveCapIsFatal() {
        Pdu pdu = scsiCommand(5, 0).ahs(new byte[PduDecoder.AHS_LENGTH_BYTES_MAX + 4]);
        byte[] bytes = wire(false, false, pdu);
        EmbeddedChannel channel = decoderChannel(false, false);
        channel.writeInbound(Unpooled.wrappedBuffer(bytes));
        PduDecodeError error = channel.readInbound();
        assertEquals(PduDecodeError.Kind.AHS_TOO_LONG, error.kind());
        assertFalse(channel.finishAndReleaseAll());
    }

    @Test
    void badHeaderDigestClosesTheStream() {
        byte[] bytes = wire(true, true, scsiCommand(1, 100), scsiCommand(2, 100));
        bytes[20] ^= 0x01; // flip a bit of the first PDU's Expected Data Transfer Length
        EmbeddedChannel channel = decoderChannel(true, true);
        channel.writeInbound(Unpooled.wrappedBuffer(bytes));
        PduDecodeError error = channel.readInbound();
        assertEquals(PduDecodeError.Kind.HEADER_DIGEST, error.kind());
        assertNull(error.bhs());
        assertTrue(error.kind().fatal);
        assertNull(channel.readInbound(), "the second, intact PDU must not be trusted either");
        assertFalse(channel.finishAndReleaseAll());
    }

    @Test
    void badDataDigestIsReportedAndDecodingContinues() {
        byte[] bytes = wire(true, true, scsiCommand(1, 100), scsiCommand(2, 100));
        bytes[48 + 4 + 50] ^= 0x40; // a data byte of the first PDU
        EmbeddedChannel channel = decoderChannel(true, true);
        channel.writeInbound(Unpooled.wrappedBuffer(bytes));
        PduDecodeError error = channel.readInbound();
        assertEquals(PduDecodeError.Kind.DATA_DIGEST, error.kind());
        assertFalse(error.kind().fatal);
        assertEquals(RejectReason.DATA_DIGEST_ERROR, error.kind().rejectReason);
        assertEquals(1, java.nio.ByteBuffer.wrap(error.bhs()).getInt(16));
        Pdu second = channel.readInbound();
        assertEquals(2, second.itt());
        assertEquals(100, second.data().readableBytes());
        second.release();
        assertFalse(channel.finishAndReleaseAll());
    }

    @Test
    void digestsSwitchOnAtAPduBoundary() {
        byte[] plain = wire(false, false, scsiCommand(1, 8));
        byte[] digested = wire(true, true, scsiCommand(2, 8));
        ByteBuf both = Unpooled.buffer().writeBytes(plain).writeBytes(digested);
        PduDecoder decoder = new PduDecoder();
        EmbeddedChannel channel = new EmbeddedChannel(decoder, new io.netty.channel.ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(io.netty.channel.ChannelHandlerContext ctx, Object msg) {
                decoder.setDigests(true, true); // as the login does after its final PDU
                ctx.fireChannelRead(msg);
            }
        });
        channel.writeInbound(both); // both PDUs in one read: the switch must land between them
        Pdu first = channel.readInbound();
        Pdu second = channel.readInbound();
        assertEquals(1, first.itt());
        assertEquals(2, second.itt());
        first.release();
        second.release();
        assertFalse(channel.finishAndReleaseAll());
    }

    @Test
    void truncatedHeaderAtEofEmitsNothingAndLeaksNothing() {
        byte[] bytes = wire(false, false, scsiCommand(1, 8));
        EmbeddedChannel channel = decoderChannel(false, false);
        ByteBuf partial = Unpooled.copiedBuffer(bytes, 0, 30);
        channel.writeInbound(partial);
        assertFalse(channel.finishAndReleaseAll());
        assertEquals(0, partial.refCnt());
    }

    /** A pooled direct payload of 4093 bytes: large enough to skip the copy, and 3 bytes of padding. */
    private static ByteBuf unalignedPayload() {
        return io.netty.buffer.PooledByteBufAllocator.DEFAULT.directBuffer(4096).writeZero(4093);
    }

    private static EmbeddedChannel encoderChannel(boolean headerDigest, boolean dataDigest) {
        PduEncoder encoder = new PduEncoder();
        encoder.setDigests(headerDigest, dataDigest);
        return new EmbeddedChannel(encoder);
    }

    @Test
    void largeDataSegmentIsWrittenWithoutCopy() {
        ByteBuf payload = unalignedPayload();
        EmbeddedChannel channel = encoderChannel(false, true);
        channel.writeOutbound(Pdu.create(Opcode.SCSI_DATA_IN).finalFlag(true).itt(77).data(payload));
        ByteBuf out = channel.readOutbound();
        CompositeByteBuf composite = assertInstanceOf(CompositeByteBuf.class, out);
        assertEquals(48 + 4093 + 3 + 4, composite.readableBytes());
        int digest = composite.getIntLE(48 + 4096);
        assertEquals(Crc32cDigest.of(composite, 48, 4096), digest);
        payload.setByte(0, 0x5a); // the payload is shared, not copied
        assertEquals(0x5a, composite.getByte(48));
        out.release();
        assertEquals(0, payload.refCnt());
        assertFalse(channel.finishAndReleaseAll());
    }

    @Test
    void largeDataSegmentWithVoidPromiseGoesOutAsHeaderPayloadAndTrailer() {
        ByteBuf payload = unalignedPayload();
        EmbeddedChannel channel = encoderChannel(true, true);
        channel.write(Pdu.create(Opcode.SCSI_DATA_IN).finalFlag(true).itt(78).data(payload), channel.voidPromise());
        channel.flush();
        ByteBuf header = channel.readOutbound();
        ByteBuf data = channel.readOutbound();
        ByteBuf trailer = channel.readOutbound();
        assertNull(channel.readOutbound());
        assertEquals(48 + 4, header.readableBytes());
        assertEquals(Crc32cDigest.of(header, 0, 48), header.getIntLE(48));
        assertEquals(78, header.getInt(16)); // ITT
        assertEquals(4093, data.readableBytes());
        assertEquals(3 + 4, trailer.readableBytes());
        ByteBuf padded = Unpooled.buffer().writeBytes(data, data.readerIndex(), 4093).writeZero(3);
        assertEquals(Crc32cDigest.of(padded, 0, 4096), trailer.getIntLE(3));
        assertEquals(0, trailer.getMedium(0));
        padded.release();
        payload.setByte(0, 0x5a); // the payload is shared, not copied
        assertEquals(0x5a, data.getByte(data.readerIndex()));
        header.release();
        trailer.release();
        data.release();
        assertEquals(0, payload.refCnt());
        assertFalse(channel.finishAndReleaseAll());
    }

    @Test
    void loginFieldsRoundTrip() {
        Pdu login = Pdu.create(Opcode.LOGIN_RESPONSE).transitFlag(true).currentStage(1).nextStage(3)
                .versionMax(0).versionMinOrActive(0).isid(0x23d000000001L).tsih(0x1234).itt(5)
                .statSn(100).expCmdSn(200).maxCmdSn(263).statusClass(2).statusDetail(1)
                .data(Unpooled.copiedBuffer("HeaderDigest=None\0", StandardCharsets.US_ASCII));
        byte[] bytes = wire(false, false, login);
        EmbeddedChannel channel = decoderChannel(false, false);
        channel.writeInbound(Unpooled.wrappedBuffer(bytes));
        Pdu back = channel.readInbound();
        assertEquals(Opcode.LOGIN_RESPONSE, back.opcode());
        assertTrue(back.transitFlag());
        assertEquals(1, back.currentStage());
        assertEquals(3, back.nextStage());
        assertEquals(0x23d000000001L, back.isid());
        assertEquals(0x1234, back.tsih());
        assertEquals(100, back.statSn());
        assertEquals(263, back.maxCmdSn());
        assertEquals(2, back.statusClass());
        assertEquals(1, back.statusDetail());
        assertEquals("HeaderDigest=None\0", back.data().toString(StandardCharsets.US_ASCII));
        back.release();
        assertFalse(channel.finishAndReleaseAll());
    }
}

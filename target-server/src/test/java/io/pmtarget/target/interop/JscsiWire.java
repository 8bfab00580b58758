package io.pmtarget.target.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.pmtarget.target.pdu.Pdu;
import io.pmtarget.target.pdu.PduDecoder;
import io.pmtarget.target.pdu.PduEncoder;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.jscsi.parser.OperationCode;
import org.jscsi.parser.ProtocolDataUnit;
import org.jscsi.parser.ProtocolDataUnitFactory;

/**
 * Moves PDUs between our codec (PduEncoder/PduDecoder through Netty's EmbeddedChannel, public API
 * only) and jSCSI's (org.jscsi:commons 2.5.2 {@link ProtocolDataUnit}). Digests are off: jSCSI's
 * CRC32C path is broken (see pdu/JscsiCrossCheckTest).
 */
final class JscsiWire {

    private static final String NONE = "None";

    private JscsiWire() {
    }

    /** Our encoder's bytes for one PDU (releases the PDU). */
    static byte[] encode(Pdu pdu) {
        EmbeddedChannel ch = new EmbeddedChannel(new PduEncoder());
        ch.writeOutbound(pdu);
        ByteBuf all = Unpooled.buffer();
        for (Object o; (o = ch.readOutbound()) != null; ) {
            ByteBuf b = (ByteBuf) o;
            all.writeBytes(b);
            b.release();
        }
        assertFalse(ch.finishAndReleaseAll());
        byte[] bytes = new byte[all.readableBytes()];
        all.readBytes(bytes);
        return bytes;
    }

    /** Our encoder -> jSCSI's deserializer, which must consume exactly the encoded bytes. */
    static ProtocolDataUnit toJscsi(Pdu pdu) throws Exception {
        byte[] bytes = encode(pdu);
        ProtocolDataUnit parsed = new ProtocolDataUnitFactory().create(NONE, NONE);
        assertEquals(bytes.length, parsed.deserialize(ByteBuffer.wrap(bytes)), "jSCSI consumed the whole PDU");
        return parsed;
    }

    /** A jSCSI PDU of the given kind, as its initiator builds one (no digests). */
    static ProtocolDataUnit jscsiPdu(boolean immediate, boolean finalFlag, OperationCode op) {
        return new ProtocolDataUnitFactory().create(immediate, finalFlag, op, NONE, NONE);
    }

    /** jSCSI's serializer -> our decoder; exactly one PDU must come out. */
    static Pdu fromJscsi(ProtocolDataUnit pdu) throws Exception {
        PduDecoder decoder = new PduDecoder();
        decoder.setDigests(false, false);
        EmbeddedChannel ch = new EmbeddedChannel(decoder);
        ch.writeInbound(Unpooled.wrappedBuffer(pdu.serialize()));
        Pdu out = ch.readInbound();
        assertNotNull(out, "our decoder produced no PDU from jSCSI's bytes");
        assertFalse(ch.finishAndReleaseAll(), "more than one PDU decoded");
        assertFalse(decoder.failed(), "our decoder failed on jSCSI's bytes");
        return out;
    }

    /** The data segment jSCSI parsed, without padding. */
    static byte[] jscsiData(ProtocolDataUnit pdu) {
        int length = pdu.getBasicHeaderSegment().getDataSegmentLength();
        ByteBuffer d = pdu.getDataSegment().duplicate();
        d.rewind();
        byte[] bytes = new byte[length];
        d.get(bytes);
        return bytes;
    }

    static byte[] ourData(Pdu pdu) {
        ByteBuf d = pdu.data();
        byte[] bytes = new byte[d.readableBytes()];
        d.getBytes(d.readerIndex(), bytes);
        return bytes;
    }

    /** RFC 7143 6.1: key=value pairs, each terminated by a NUL. */
    static byte[] text(String... pairs) {
        StringBuilder s = new StringBuilder();
        for (String p : pairs) {
            s.append(p).append('\0');
        }
        return s.toString().getBytes(StandardCharsets.UTF_8);
    }
}

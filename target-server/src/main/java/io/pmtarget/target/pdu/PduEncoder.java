package io.pmtarget.target.pdu;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import java.util.zip.CRC32C;

/**
 * Writes {@link Pdu}s as bytes (RFC 7143 section 11.1): BHS, AHS, header digest, data segment,
 * zero padding to 4 bytes, data digest. Buffers come from the channel's (pooled, direct)
 * allocator. A data segment of at least {@link #COPY_THRESHOLD_BYTES} is not copied: it goes out
 * right after the header as its own buffer (see {@link #encode}), so Data-In payloads reach the
 * socket as gathering writes of the logical unit's own buffers.
 *
 * <p>{@link #setDigests} applies to PDUs written after the call; call it on the event loop right
 * after writing the final Login Response (RFC 7143 section 13.1).
 */
public final class PduEncoder extends ChannelOutboundHandlerAdapter {
    /** Below this, copying the data next to the header is cheaper than a composite buffer. */
    public static final int COPY_THRESHOLD_BYTES = 1024;
    private static final byte[] ZERO_PAD = new byte[4];

    private boolean headerDigest;
    private boolean dataDigest;

    public void setDigests(boolean header, boolean data) {
        headerDigest = header;
        dataDigest = data;
    }

    public boolean headerDigest() {
        return headerDigest;
    }

    public boolean dataDigest() {
        return dataDigest;
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (!(msg instanceof Pdu pdu)) {
            ctx.write(msg, promise);
            return;
        }
        try {
            encode(ctx, pdu, promise);
        } catch (RuntimeException e) {
            promise.setFailure(e);
        } finally {
            pdu.release();
        }
    }

    /**
     * Writes the PDU as one buffer, or, for a large data segment, as header, the data itself and
     * the trailer. With a void promise (the full feature phase) those go out as separate messages:
     * Netty's epoll transport then gathers them into one writev from their addresses. Any other
     * promise gets one composite buffer, so that it completes once, when the whole PDU is written.
     */
    private void encode(ChannelHandlerContext ctx, Pdu pdu, ChannelPromise promise) {
        ByteBuf data = pdu.data();
        int dataBytes = data.readableBytes();
        if (dataBytes != pdu.dataSegmentLengthBytes()) {
            throw new IllegalStateException("DataSegmentLength " + pdu.dataSegmentLengthBytes()
                    + " != data bytes " + dataBytes + " in " + pdu);
        }
        int headerBytes = Pdu.BHS_LENGTH_BYTES + pdu.ahs().length;
        int padBytes = (4 - (dataBytes & 3)) & 3;
        int headerDigestBytes = headerDigest ? Crc32cDigest.DIGEST_LENGTH_BYTES : 0;
        int dataDigestBytes = dataDigest && dataBytes > 0 ? Crc32cDigest.DIGEST_LENGTH_BYTES : 0;
        boolean copy = dataBytes < COPY_THRESHOLD_BYTES;
        int firstBytes = headerBytes + headerDigestBytes + (copy ? dataBytes + padBytes + dataDigestBytes : 0);
        ByteBuf first = ctx.alloc().directBuffer(firstBytes, firstBytes);
        first.writeBytes(pdu.bhsArray());
        first.writeBytes(pdu.ahs());
        if (headerDigest) {
            first.writeIntLE(Crc32cDigest.of(first, 0, headerBytes));
        }
        int dataDigestValue = dataDigestBytes > 0 ? dataDigest(data, padBytes) : 0;
        if (copy) {
            first.writeBytes(data, data.readerIndex(), dataBytes);
            first.writeBytes(ZERO_PAD, 0, padBytes);
            if (dataDigestBytes > 0) {
                first.writeIntLE(dataDigestValue);
            }
            assert first.readableBytes() == firstBytes;
            ctx.write(first, promise);
            return;
        }
        int trailerBytes = padBytes + dataDigestBytes;
        ByteBuf trailer = null;
        if (trailerBytes > 0) {
            trailer = ctx.alloc().directBuffer(trailerBytes, trailerBytes);
            trailer.writeBytes(ZERO_PAD, 0, padBytes);
            if (dataDigestBytes > 0) {
                trailer.writeIntLE(dataDigestValue);
            }
        }
        if (promise.isVoid()) {
            ctx.write(first, promise);
            ctx.write(data.retainedSlice(), promise);
            if (trailer != null) {
                ctx.write(trailer, promise);
            }
            return;
        }
        CompositeByteBuf composite = ctx.alloc().compositeDirectBuffer(3);
        composite.addComponent(true, first);
        composite.addComponent(true, data.retainedSlice());
        if (trailer != null) {
            composite.addComponent(true, trailer);
        }
        assert composite.readableBytes() == headerBytes + headerDigestBytes + dataBytes + trailerBytes;
        ctx.write(composite, promise);
    }

    /** RFC 7143 section 11.1: the data digest covers the data segment and its padding. */
    private static int dataDigest(ByteBuf data, int padBytes) {
        CRC32C crc = new CRC32C();
        Crc32cDigest.update(crc, data, data.readerIndex(), data.readableBytes());
        crc.update(ZERO_PAD, 0, padBytes);
        return (int) crc.getValue();
    }
}

package io.pmtarget.target.pdu;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Frames iSCSI PDUs out of a byte stream (RFC 7143 section 11.1): BHS (48 bytes), AHS
 * (TotalAHSLength words), header digest, data segment, padding to a 4-byte boundary, data digest.
 * Emits {@link Pdu} or {@link PduDecodeError}; it holds no session state and never answers the peer.
 *
 * <p>Bounds are checked on the header, before anything of the PDU's size is allocated or awaited:
 * the AHS against {@link #AHS_LENGTH_BYTES_MAX} and the data segment against the
 * MaxRecvDataSegmentLength we declared ({@link #LOGIN_DATA_SEGMENT_LENGTH_BYTES} until the login
 * hands over the negotiated value). After a fatal error all further input is discarded.
 *
 * <p>Exactly one PDU is decoded per {@code decode} call, so ByteToMessageDecoder hands each PDU to
 * the next handler before the following one is framed: a handler that calls {@link #setDigests} or
 * {@link #setMaxRecvDataSegmentLengthBytes} while processing PDU n changes how PDU n+1 is read.
 * RFC 7143 section 13.1: digests start with the first PDU after the final Login Response.
 */
public final class PduDecoder extends ByteToMessageDecoder {
    private static final Logger LOG = LoggerFactory.getLogger(PduDecoder.class);

    /**
     * MaxRecvDataSegmentLength in force during login: the key's default, 8192 (RFC 7143 section
     * 13.12), because nothing is negotiated before the Login Request that negotiates it.
     */
    public static final int LOGIN_DATA_SEGMENT_LENGTH_BYTES = 8192;
    /**
     * Hard cap on TotalAHSLength. We use AHS only for the Bidirectional Read Expected Data
     * Transfer Length (8 bytes) and would reject an Extended CDB beyond 16 bytes anyway; 256
     * bytes leaves room for an extended CDB of 240 bytes plus that, far below the field's 1020.
     */
    public static final int AHS_LENGTH_BYTES_MAX = 256;
    /** RFC 7143 section 13.12 allows 512..2^24-1 for MaxRecvDataSegmentLength. */
    public static final int DATA_SEGMENT_LENGTH_BYTES_MIN = 512;

    private int maxRecvDataSegmentLengthBytes = LOGIN_DATA_SEGMENT_LENGTH_BYTES;
    private boolean headerDigest;
    private boolean dataDigest;
    private boolean failed;

    /** Sets the data segment bound for PDUs framed from now on (the value we declared). */
    public void setMaxRecvDataSegmentLengthBytes(int bytes) {
        if (bytes < DATA_SEGMENT_LENGTH_BYTES_MIN || bytes > Pdu.DATA_SEGMENT_LENGTH_FIELD_MAX) {
            throw new IllegalArgumentException("MaxRecvDataSegmentLength must be in [512, 16777215]: " + bytes);
        }
        maxRecvDataSegmentLengthBytes = bytes;
    }

    public int maxRecvDataSegmentLengthBytes() {
        return maxRecvDataSegmentLengthBytes;
    }

    /** Switches CRC32C digests for PDUs framed from now on (call at the PDU boundary, see above). */
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

    /** True once a fatal error was reported: input is being discarded. */
    public boolean failed() {
        return failed;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (failed) {
            in.skipBytes(in.readableBytes());
            return;
        }
        if (in.readableBytes() < Pdu.BHS_LENGTH_BYTES) {
            return;
        }
        int start = in.readerIndex();
        int ahsBytes = in.getUnsignedByte(start + 4) * 4;
        int dataBytes = in.getUnsignedMedium(start + 5);
        int headerDigestBytes = headerDigest ? Crc32cDigest.DIGEST_LENGTH_BYTES : 0;
        // The header is at most 48 + 1020 + 4 bytes: awaiting it before trusting its lengths
        // is bounded, and the header digest must be verified before any length is believed.
        int headerBytes = Pdu.BHS_LENGTH_BYTES + ahsBytes + headerDigestBytes;
        if (in.readableBytes() < headerBytes) {
            return;
        }
        if (headerDigest && !headerDigestMatches(in, start, ahsBytes)) {
            fail(in, out, new PduDecodeError(PduDecodeError.Kind.HEADER_DIGEST, null,
                    "header digest mismatch"));
            return;
        }
        if (ahsBytes > AHS_LENGTH_BYTES_MAX) {
            fail(in, out, new PduDecodeError(PduDecodeError.Kind.AHS_TOO_LONG, copyBhs(in, start),
                    "TotalAHSLength " + ahsBytes + " bytes > cap " + AHS_LENGTH_BYTES_MAX));
            return;
        }
        if (dataBytes > maxRecvDataSegmentLengthBytes) {
            fail(in, out, new PduDecodeError(PduDecodeError.Kind.DATA_SEGMENT_TOO_LONG, copyBhs(in, start),
                    "DataSegmentLength " + dataBytes + " > MaxRecvDataSegmentLength "
                            + maxRecvDataSegmentLengthBytes));
            return;
        }
        int paddedBytes = (dataBytes + 3) & ~3;
        // RFC 7143 section 11.1: no data digest on an empty data segment.
        int dataDigestBytes = dataDigest && dataBytes > 0 ? Crc32cDigest.DIGEST_LENGTH_BYTES : 0;
        int totalBytes = headerBytes + paddedBytes + dataDigestBytes;
        if (in.readableBytes() < totalBytes) {
            return;
        }
        int dataStart = start + headerBytes;
        if (dataDigestBytes > 0) {
            int expected = in.getIntLE(dataStart + paddedBytes);
            int actual = Crc32cDigest.of(in, dataStart, paddedBytes);
            if (expected != actual) {
                byte[] bhs = copyBhs(in, start);
                in.skipBytes(totalBytes);
                out.add(new PduDecodeError(PduDecodeError.Kind.DATA_DIGEST, bhs, String.format(
                        "data digest mismatch: received 0x%08x, computed 0x%08x", expected, actual)));
                return;
            }
        }
        out.add(frame(in, start, ahsBytes, dataBytes, dataStart));
        in.readerIndex(start + totalBytes);
    }

    private static Pdu frame(ByteBuf in, int start, int ahsBytes, int dataBytes, int dataStart) {
        byte[] bhs = copyBhs(in, start);
        byte[] ahs = new byte[ahsBytes];
        in.getBytes(start + Pdu.BHS_LENGTH_BYTES, ahs);
        // A retained slice, not a copy: the session copies Data-Out into the command's buffer
        // and releases the slice before the next read, so the cumulation is not pinned.
        ByteBuf data = dataBytes == 0 ? Unpooled.EMPTY_BUFFER : in.retainedSlice(dataStart, dataBytes);
        return Pdu.wrap(bhs, ahs, data);
    }

    private static boolean headerDigestMatches(ByteBuf in, int start, int ahsBytes) {
        int covered = Pdu.BHS_LENGTH_BYTES + ahsBytes;
        return in.getIntLE(start + covered) == Crc32cDigest.of(in, start, covered);
    }

    private static byte[] copyBhs(ByteBuf in, int start) {
        byte[] bhs = new byte[Pdu.BHS_LENGTH_BYTES];
        in.getBytes(start, bhs);
        return bhs;
    }

    private void fail(ByteBuf in, List<Object> out, PduDecodeError error) {
        LOG.warn("iSCSI framing error, discarding further input: {}", error.detail());
        failed = true;
        in.skipBytes(in.readableBytes());
        out.add(error);
    }

    @Override
    protected void decodeLast(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Exception {
        super.decodeLast(ctx, in, out);
        if (!failed && in.isReadable()) {
            LOG.debug("connection closed inside a PDU: {} bytes of a partial PDU dropped", in.readableBytes());
            in.skipBytes(in.readableBytes());
        }
    }
}

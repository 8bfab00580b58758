package io.pmtarget.target.pdu;

import io.netty.buffer.ByteBuf;
import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * CRC32C header and data digests (RFC 7143 section 13.1 and Appendix A). The digest is the
 * standard CRC32C (Castagnoli, reflected, complemented) and goes on the wire least significant
 * byte first: RFC 7143 Appendix B.4 shows 32 zero bytes digesting to the bytes aa 36 91 8a,
 * i.e. the value 0x8a9136aa written little-endian.
 */
public final class Crc32cDigest {
    public static final int DIGEST_LENGTH_BYTES = 4;

    private Crc32cDigest() {
    }

    /** The CRC32C of {@code length} bytes of {@code buf} from {@code index}; no index moves. */
    public static int of(ByteBuf buf, int index, int length) {
        CRC32C crc = new CRC32C();
        update(crc, buf, index, length);
        return (int) crc.getValue();
    }

    /** Feeds {@code length} bytes of {@code buf} from {@code index} into {@code crc}. */
    public static void update(CRC32C crc, ByteBuf buf, int index, int length) {
        if (length == 0) {
            return;
        }
        if (buf.hasArray()) {
            crc.update(buf.array(), buf.arrayOffset() + index, length);
            return;
        }
        if (buf.nioBufferCount() == 1) {
            crc.update(buf.nioBuffer(index, length));
            return;
        }
        for (ByteBuffer part : buf.nioBuffers(index, length)) {
            crc.update(part);
        }
    }

    /** The CRC32C of a header array prefix. */
    public static int of(byte[] bytes, int length) {
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, length);
        return (int) crc.getValue();
    }
}

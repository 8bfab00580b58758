package io.pmtarget.target.scsi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** A target with one 512-byte LUN 0 over a {@link MemoryVolume}, plus synchronous command helpers. */
final class Harness implements AutoCloseable {

    static final String TARGET = "iqn.2026-11.io.pmtarget:test";
    static final ItNexus NEXUS_A = new ItNexus("iqn.2026-11.io.pmtarget:init-a", 0x23D000001L, TARGET, 1);
    static final ItNexus NEXUS_B = new ItNexus("iqn.2026-11.io.pmtarget:init-b", 0x23D000002L, TARGET, 1);
    static final int MAX_DATA_OUT = 256 * 1024;

    /** Unpooled and instrumented: close() checks that every direct buffer the target took came back. */
    final UnpooledByteBufAllocator alloc = new UnpooledByteBufAllocator(true);
    final MemoryVolume volume;
    final BlockScsiTarget target;
    final int blockBytes;

    Harness() {
        this(512, 512, 1 << 20, true);
    }

    Harness(int volumeBlockBytes, int lunBlockBytes, long sizeBytes, boolean discardReadsZeros) {
        volume = new MemoryVolume(volumeBlockBytes, sizeBytes);
        blockBytes = lunBlockBytes;
        LunConfig c = new LunConfig(0, volume, lunBlockBytes, "test disk", "0001", "SN0001",
                discardReadsZeros, 4, 64);
        target = new BlockScsiTarget(TARGET, MAX_DATA_OUT, List.of(c), alloc);
    }

    long capacityBlocks() {
        return volume.sizeBytes() / blockBytes;
    }

    /** Result with data-in copied out (and the buffer released). */
    record Result(int status, byte[] sense, byte[] data) {
        void assertGood() {
            assertEquals(0, status, () -> "status " + status + " sense " + hex(sense));
            assertNull(sense);
        }

        /** Fixed sense with key/ASC/ASCQ; field pointer checked when fieldPointer >= 0. */
        void assertSense(int key, int asc, int ascq) {
            assertEquals(2, status, "CHECK CONDITION expected");
            assertNotNull(sense);
            assertEquals(0x70, sense[0] & 0x7F, "fixed format, current");
            assertEquals(key, sense[2] & 0x0F, () -> "sense key in " + hex(sense));
            assertEquals(asc, sense[12] & 0xFF, () -> "ASC in " + hex(sense));
            assertEquals(ascq, sense[13] & 0xFF, () -> "ASCQ in " + hex(sense));
            assertEquals(10, sense[7], "additional sense length");
        }

        void assertInvalidCdbField(int byteIndex, int bitIndex) {
            assertSense(0x5, 0x24, 0x00);
            assertFieldPointer(true, byteIndex, bitIndex);
        }

        void assertFieldPointer(boolean inCdb, int byteIndex, int bitIndex) {
            int b15 = sense[15] & 0xFF;
            assertEquals(0x80, b15 & 0x80, "SKSV");
            assertEquals(inCdb ? 0x40 : 0, b15 & 0x40, "C/D");
            if (bitIndex >= 0) {
                assertEquals(0x08 | bitIndex, b15 & 0x0F, "BPV and bit pointer");
            } else {
                assertEquals(0, b15 & 0x08, "BPV");
            }
            assertEquals(byteIndex, (sense[16] & 0xFF) << 8 | (sense[17] & 0xFF), "field pointer");
        }

        long information() {
            assertEquals(0x80, sense[0] & 0x80, "VALID");
            return Cdb.u32(sense, 3);
        }
    }

    Result exec(ItNexus nexus, long lun, byte[] cdb, byte[] dataOut, int expectedLength) {
        ByteBuf out = dataOut == null ? null : Unpooled.buffer(dataOut.length).writeBytes(dataOut);
        CompletableFuture<ScsiResponse> f = new CompletableFuture<>();
        target.execute(new ScsiRequest(lun, cdb, expectedLength, out, nexus), r -> {
            if (!f.complete(r)) {
                throw new AssertionError("done called twice");
            }
        });
        ScsiResponse r;
        try {
            r = f.get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError("no response", e);
        }
        if (out != null) {
            assertEquals(0, out.refCnt(), "data-out released by the target");
        }
        byte[] data = null;
        if (r.dataIn() != null) {
            data = new byte[r.dataIn().readableBytes()];
            r.dataIn().readBytes(data);
            r.dataIn().release();
        }
        return new Result(r.status(), r.sense(), data);
    }

    Result exec(byte[] cdb) {
        return exec(NEXUS_A, 0, cdb, null, 0);
    }

    Result exec(byte[] cdb, byte[] dataOut) {
        return exec(NEXUS_A, 0, cdb, dataOut, dataOut == null ? 0 : dataOut.length);
    }

    static byte[] cdb(int... bytes) {
        byte[] b = new byte[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            b[i] = (byte) bytes[i];
        }
        return b;
    }

    static byte[] read10(long lba, int blocks, int flags) {
        byte[] c = new byte[10];
        c[0] = 0x28;
        c[1] = (byte) flags;
        Cdb.putInt(c, 2, (int) lba);
        Cdb.putShort(c, 7, blocks);
        return c;
    }

    static byte[] write10(long lba, int blocks, int flags) {
        byte[] c = read10(lba, blocks, flags);
        c[0] = 0x2A;
        return c;
    }

    static byte[] rw16(int opcode, long lba, long blocks, int flags) {
        byte[] c = new byte[16];
        c[0] = (byte) opcode;
        c[1] = (byte) flags;
        Cdb.putLong(c, 2, lba);
        Cdb.putInt(c, 10, (int) blocks);
        return c;
    }

    static byte[] pattern(int lengthBytes, int seed) {
        byte[] b = new byte[lengthBytes];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) (i * 31 + seed);
        }
        return b;
    }

    void assertVolume(long offsetBytes, byte[] expected) {
        assertArrayEquals(expected, volume.bytes(offsetBytes, expected.length));
    }

    static String hex(byte[] b) {
        if (b == null) {
            return "null";
        }
        StringBuilder s = new StringBuilder();
        for (byte x : b) {
            s.append(String.format("%02x ", x));
        }
        return s.toString().trim();
    }

    @Override
    public void close() {
        target.close();
        assertEquals(0, alloc.metric().usedDirectMemory(), "direct buffers leaked by the target");
    }
}

package io.pmtarget.target.scsi;

import static io.pmtarget.target.scsi.Harness.cdb;
import static io.pmtarget.target.scsi.Harness.pattern;
import static io.pmtarget.target.scsi.Harness.read10;
import static io.pmtarget.target.scsi.Harness.rw16;
import static io.pmtarget.target.scsi.Harness.write10;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pmtarget.engine.volume.VolumeException;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class BlockCommandsTest {

    private final Harness h = new Harness();
    private final long capacity = h.capacityBlocks();

    @AfterEach
    void close() {
        h.close();
    }

    @Test
    void readCapacity10And16() {
        Harness.Result r10 = h.exec(cdb(0x25, 0, 0, 0, 0, 0, 0, 0, 0, 0));
        r10.assertGood();
        assertEquals(capacity - 1, Cdb.u32(r10.data(), 0));
        assertEquals(512, Cdb.u32(r10.data(), 4));
        Harness.Result r16 = h.exec(cdb(0x9E, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 32, 0, 0));
        r16.assertGood();
        assertEquals(32, r16.data().length);
        assertEquals(capacity - 1, Cdb.u64(r16.data(), 0));
        assertEquals(512, Cdb.u32(r16.data(), 8));
        assertEquals(0, r16.data()[13], "one logical block per physical block");
        assertEquals(0xC0, r16.data()[14] & 0xC0, "LBPME and LBPRZ");
        Harness.Result short16 = h.exec(cdb(0x9E, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 12, 0, 0));
        assertEquals(12, short16.data().length, "allocation length honoured");
        // PMI = 0 with a non-zero LBA.
        h.exec(cdb(0x25, 0, 0, 0, 0, 1, 0, 0, 0, 0)).assertInvalidCdbField(2, -1);
    }

    @Test
    void readCapacity10SaturatesForHugeLuns() {
        long blocks = (1L << 32) + 8;
        MemoryVolume tiny = new MemoryVolume(512, 4096);
        io.pmtarget.engine.volume.Volume huge = new io.pmtarget.engine.volume.Volume() {
            public String name() { return "huge"; }
            public int blockSizeBytes() { return 512; }
            public long sizeBytes() { return blocks * 512; }
            public boolean readOnly() { return false; }
            public void read(long o, java.nio.ByteBuffer d) throws java.io.IOException { tiny.read(0, d); }
            public void write(long o, java.nio.ByteBuffer s, boolean f) throws java.io.IOException { tiny.write(0, s, f); }
            public void flush() { }
            public void discard(long o, long l) { }
            public io.pmtarget.engine.volume.VolumeStatus status() { return tiny.status(); }
            public void message(String m) { }
            public void close(boolean drain) { }
        };
        BlockScsiTarget t = new BlockScsiTarget("iqn.x", Harness.MAX_DATA_OUT,
                List.of(LunConfig.of(0, huge, "HUGE1", false)));
        try {
            java.util.concurrent.atomic.AtomicReference<ScsiResponse> got = new java.util.concurrent.atomic.AtomicReference<>();
            t.execute(new ScsiRequest(0, cdb(0x25, 0, 0, 0, 0, 0, 0, 0, 0, 0), 8, null, Harness.NEXUS_A), got::set);
            byte[] d = new byte[8];
            got.get().dataIn().readBytes(d);
            got.get().dataIn().release();
            assertEquals(0xFFFFFFFFL, Cdb.u32(d, 0), "READ CAPACITY(10) says: use READ CAPACITY(16)");
            got.set(null);
            t.execute(new ScsiRequest(0, rw16(0x88, blocks - 1, 1, 0), 512, null, Harness.NEXUS_A), got::set);
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (got.get() == null && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            assertEquals(0, got.get().status(), "the last LBA above 2^32 is readable");
            got.get().dataIn().release();
            byte[] ms = new byte[12];
            t.execute(new ScsiRequest(0, cdb(0x1A, 0, 0x08, 0, 0xFF, 0), 255, null, Harness.NEXUS_A), got::set);
            got.get().dataIn().readBytes(ms);
            got.get().dataIn().release();
            assertEquals(0xFFFFFFFFL, Cdb.u32(ms, 4), "short block descriptor saturates");
        } finally {
            t.close();
        }
    }

    @Test
    void writeThenReadAllCdbSizes() {
        byte[] data = pattern(4 * 512, 1);
        h.exec(write10(8, 4, 0), data).assertGood();
        h.assertVolume(8 * 512, data);
        assertArrayEquals(data, h.exec(read10(8, 4, 0)).data());
        assertArrayEquals(data, h.exec(rw16(0x88, 8, 4, 0)).data());
        byte[] read12 = cdb(0xA8, 0, 0, 0, 0, 8, 0, 0, 0, 4, 0, 0);
        assertArrayEquals(data, h.exec(read12).data());
        assertArrayEquals(data, h.exec(cdb(0x08, 0, 0, 8, 4, 0)).data());

        byte[] d16 = pattern(512, 2);
        h.exec(rw16(0x8A, 100, 1, 0), d16).assertGood();
        h.assertVolume(100 * 512, d16);
        byte[] d12 = pattern(512, 3);
        h.exec(cdb(0xAA, 0, 0, 0, 0, 101, 0, 0, 0, 1, 0, 0), d12).assertGood();
        h.assertVolume(101 * 512, d12);
        byte[] d6 = pattern(512, 4);
        h.exec(cdb(0x0A, 0, 0, 102, 1, 0), d6).assertGood();
        h.assertVolume(102 * 512, d6);
    }

    @Test
    void sixByteTransferLengthZeroMeans256Blocks() {
        Harness.Result r = h.exec(cdb(0x08, 0, 0, 0, 0, 0));
        r.assertGood();
        assertEquals(256 * 512, r.data().length);
    }

    @Test
    void transferLengthZeroIsGoodWithoutData() {
        Harness.Result r = h.exec(read10(0, 0, 0));
        r.assertGood();
        assertNull(r.data());
        h.exec(write10(capacity, 0, 0), null).assertGood();
        h.exec(read10(capacity + 1, 0, 0)).assertSense(0x5, 0x21, 0x00);
        assertTrue(h.volume.writes().isEmpty());
    }

    @Test
    void lbaOutOfRange() {
        h.exec(read10(capacity, 1, 0)).assertSense(0x5, 0x21, 0x00);
        h.exec(read10(capacity - 1, 2, 0)).assertSense(0x5, 0x21, 0x00);
        h.exec(rw16(0x88, -1L, 1, 0)).assertSense(0x5, 0x21, 0x00);
        h.exec(rw16(0x88, 1L << 62, 1, 0)).assertSense(0x5, 0x21, 0x00);
        h.exec(write10(capacity - 1, 2, 0), new byte[1024]).assertSense(0x5, 0x21, 0x00);
        assertArrayEquals(pattern(512, 5), readBack(capacity - 1, pattern(512, 5)));
    }

    private byte[] readBack(long lba, byte[] write) {
        h.exec(write10(lba, write.length / 512, 0), write).assertGood();
        return h.exec(read10(lba, write.length / 512, 0)).data();
    }

    @Test
    void transferAboveMaximumIsInvalidField() {
        int maxBlocks = Harness.MAX_DATA_OUT / 512;
        h.exec(read10(0, maxBlocks, 0)).assertGood();
        h.exec(read10(0, maxBlocks + 1, 0)).assertInvalidCdbField(7, -1);
        h.exec(rw16(0x88, 0, maxBlocks + 1, 0)).assertInvalidCdbField(10, -1);
    }

    @Test
    void fuaBitAndWce() {
        h.exec(write10(0, 1, 0), new byte[512]).assertGood();
        h.exec(write10(1, 1, 0x08), new byte[512]).assertGood();      // FUA
        h.exec(write10(2, 1, 0x10), new byte[512]).assertGood();      // DPO: a hint
        List<MemoryVolume.WriteCall> w = h.volume.writes();
        assertEquals(List.of(new MemoryVolume.WriteCall(0, 512, false), new MemoryVolume.WriteCall(512, 512, true),
                new MemoryVolume.WriteCall(1024, 512, false)), w);
        h.target.logicalUnit(0).writeCacheEnabled = false;
        h.exec(write10(3, 1, 0), new byte[512]).assertGood();
        h.exec(cdb(0x0A, 0, 0, 4, 1, 0), new byte[512]).assertGood();
        List<MemoryVolume.WriteCall> after = h.volume.writes();
        assertTrue(after.get(3).fua(), "WCE=0: WRITE(10) without FUA is committed");
        assertTrue(after.get(4).fua(), "WCE=0: WRITE(6) is committed");
    }

    @Test
    void protectionFieldsRejected() {
        h.exec(read10(0, 1, 0x20)).assertInvalidCdbField(1, 5);   // RDPROTECT
        h.exec(write10(0, 1, 0x80), new byte[512]).assertInvalidCdbField(1, 7); // WRPROTECT
        h.exec(write10(0, 1, 0x01), new byte[512]).assertInvalidCdbField(1, 0); // obsolete bit
        assertTrue(h.volume.writes().isEmpty());
    }

    @Test
    void residualsWriteOnlyWholeBlocksReceived() {
        byte[] a = new byte[1024];
        Arrays.fill(a, (byte) 'a');
        h.exec(write10(0, 2, 0), a).assertGood();
        // CDB says 2 blocks, only 1 block of data-out arrived (EDTL = 1 block): write the first only.
        byte[] b = new byte[512];
        Arrays.fill(b, (byte) 'b');
        h.exec(write10(0, 2, 0), b).assertGood();
        h.assertVolume(0, b);
        h.assertVolume(512, Arrays.copyOf(a, 512));
        // More data-out than the CDB asks: write only the CDB's length.
        byte[] c = new byte[1024];
        Arrays.fill(c, (byte) 'c');
        h.exec(write10(0, 1, 0), c).assertGood();
        h.assertVolume(512, Arrays.copyOf(a, 512));
        // No data at all (EDTL 0) or only a partial block: nothing written, GOOD; the response
        // reports the CDB's size so the transport can set residual overflow.
        int before = h.volume.writes().size();
        h.exec(write10(0, 1, 0), null).assertGood();
        h.exec(write10(0, 1, 0), new byte[200]).assertGood();
        assertEquals(before, h.volume.writes().size());
    }

    @Test
    void readOnlyVolumeIsWriteProtected() {
        h.volume.readOnly = true;
        h.exec(write10(0, 1, 0), new byte[512]).assertSense(0x7, 0x27, 0x00);
        h.exec(read10(0, 1, 0)).assertGood();
        byte[] ms = h.exec(cdb(0x1A, 0, 0x08, 0, 0xFF, 0)).data();
        assertEquals(0x80, ms[2] & 0x80, "WP in the device-specific parameter");
    }

    @Test
    void volumeErrorsMapToSense() {
        h.volume.readFault = VolumeException.Kind.BACKING_READ_ERROR;
        h.exec(read10(0, 1, 0)).assertSense(0x3, 0x11, 0x00);
        h.volume.readFault = VolumeException.Kind.CACHE_ERROR;
        h.exec(read10(0, 1, 0)).assertSense(0x4, 0x44, 0x00);
        h.volume.readFault = VolumeException.Kind.CLOSED;
        h.exec(read10(0, 1, 0)).assertSense(0x2, 0x04, 0x00);
        h.volume.readFault = null;
        h.volume.writeFault = VolumeException.Kind.BACKING_WRITE_ERROR;
        h.exec(write10(0, 1, 0), new byte[512]).assertSense(0x3, 0x0C, 0x00);
        h.volume.writeFault = VolumeException.Kind.READ_ONLY;
        h.exec(write10(0, 1, 0), new byte[512]).assertSense(0x7, 0x27, 0x00);
        h.volume.writeFault = null;
        h.volume.flushFault = VolumeException.Kind.BACKING_WRITE_ERROR;
        h.exec(cdb(0x35, 0, 0, 0, 0, 0, 0, 0, 0, 0)).assertSense(0x3, 0x0C, 0x00);
        assertEquals(LogicalUnit.senseOf(new java.io.IOException("plain"), false), SenseCode.UNRECOVERED_READ_ERROR);
        assertEquals(LogicalUnit.senseOf(new java.io.IOException("plain"), true), SenseCode.WRITE_ERROR);
    }

    @Test
    void synchronizeCache() {
        h.exec(cdb(0x35, 0, 0, 0, 0, 0, 0, 0, 0, 0)).assertGood();
        assertEquals(1, h.volume.flushes());
        h.exec(rw16(0x91, 0, 0, 0)).assertGood();
        assertEquals(2, h.volume.flushes());
        h.exec(rw16(0x91, capacity + 1, 0, 0)).assertSense(0x5, 0x21, 0x00);
        h.exec(cdb(0x35, 0, 0, 0, 0, 0, 0, 0, 1, 0)).assertGood(); // 1 block at LBA 0
        h.exec(cdb(0x35, 0x04, 0, 0, 0, 0, 0, 0, 0, 0)).assertInvalidCdbField(1, 2); // SYNC_NV obsolete
        h.exec(cdb(0x35, 0x02, 0, 0, 0, 0, 0, 0, 0, 0)).assertGood(); // IMMED: flush follows
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (h.volume.flushes() < 4 && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertEquals(4, h.volume.flushes());
    }

    @Test
    void verifyMediumAndBytes() {
        byte[] data = pattern(2048, 9);
        h.exec(write10(10, 4, 0), data).assertGood();
        h.exec(cdb(0x2F, 0, 0, 0, 0, 10, 0, 0, 4, 0)).assertGood();             // BYTCHK 0
        h.exec(cdb(0x2F, 0x02, 0, 0, 0, 10, 0, 0, 4, 0), data).assertGood();    // BYTCHK 1
        byte[] wrong = data.clone();
        wrong[1500] ^= 1;
        Harness.Result mis = h.exec(cdb(0x2F, 0x02, 0, 0, 0, 10, 0, 0, 4, 0), wrong);
        mis.assertSense(0xE, 0x1D, 0x00);
        assertEquals(1500, mis.information());
        h.exec(cdb(0x2F, 0x04, 0, 0, 0, 10, 0, 0, 4, 0), data).assertInvalidCdbField(1, 2); // BYTCHK 10b
        h.exec(rw16(0x8F, capacity, 1, 0)).assertSense(0x5, 0x21, 0x00);
        h.volume.readFault = VolumeException.Kind.BACKING_READ_ERROR;
        h.exec(cdb(0x2F, 0, 0, 0, 0, 10, 0, 0, 4, 0)).assertSense(0x3, 0x11, 0x00);
    }

    @Test
    void verifyOneBlockAgainstEveryLba() {
        byte[] block = pattern(512, 4);
        byte[] four = new byte[2048];
        for (int i = 0; i < 4; i++) {
            System.arraycopy(block, 0, four, i * 512, 512);
        }
        h.exec(write10(20, 4, 0), four).assertGood();
        h.exec(cdb(0x2F, 0x06, 0, 0, 0, 20, 0, 0, 4, 0), block).assertGood(); // BYTCHK 11b
        Harness.Result mis = h.exec(cdb(0x2F, 0x06, 0, 0, 0, 19, 0, 0, 4, 0), block);
        mis.assertSense(0xE, 0x1D, 0x00);
        assertEquals(0, mis.information());
    }

    @Test
    void writeAndVerify() {
        byte[] data = pattern(1024, 6);
        h.exec(cdb(0x2E, 0x02, 0, 0, 0, 30, 0, 0, 2, 0), data).assertGood();
        h.assertVolume(30 * 512, data);
        assertTrue(h.volume.writes().get(0).fua(), "write and verify writes to the medium");
        h.exec(cdb(0x8E, 0, 0, 0, 0, 0, 0, 0, 0, 32, 0, 0, 0, 1, 0, 0), pattern(512, 1)).assertGood();
        h.exec(cdb(0x2E, 0x04, 0, 0, 0, 30, 0, 0, 2, 0), data).assertInvalidCdbField(1, 2);
        h.volume.readOnly = true;
        h.exec(cdb(0x2E, 0, 0, 0, 0, 30, 0, 0, 2, 0), data).assertSense(0x7, 0x27, 0x00);
        assertFalse(h.volume.writes().size() > 2);
    }

    @Test
    void twelveByteVerifyCommandsAndPreFetch() {
        byte[] data = pattern(1024, 8);
        h.exec(cdb(0xAE, 0x02, 0, 0, 0, 40, 0, 0, 0, 2, 0, 0), data).assertGood();   // WRITE AND VERIFY(12)
        h.assertVolume(40 * 512, data);
        h.exec(cdb(0xAF, 0x02, 0, 0, 0, 40, 0, 0, 0, 2, 0, 0), data).assertGood();   // VERIFY(12) BYTCHK 1
        h.exec(cdb(0xAF, 0, 0, 0, 0, 40, 0, 0, 0, 2, 0, 0)).assertGood();
        h.exec(cdb(0x34, 0x02, 0, 0, 0, 40, 0, 0, 2, 0)).assertGood();               // PRE-FETCH(10) IMMED
        h.exec(rw16(0x90, capacity, 1, 0)).assertSense(0x5, 0x21, 0x00);             // PRE-FETCH(16) past the end
        h.exec(rw16(0x90, capacity - 1, 1, 0)).assertGood();
        h.exec(cdb(0x34, 0x01, 0, 0, 0, 40, 0, 0, 2, 0)).assertInvalidCdbField(1, 0);
    }
}

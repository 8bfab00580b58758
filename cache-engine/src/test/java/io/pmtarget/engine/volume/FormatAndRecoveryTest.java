package io.pmtarget.engine.volume;

import static io.pmtarget.engine.volume.TestVolumes.block;
import static io.pmtarget.engine.volume.TestVolumes.opts;
import static io.pmtarget.engine.volume.TestVolumes.readTag;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pmtarget.engine.pmem.SimulatedPmemDevice;
import java.util.Random;
import org.junit.jupiter.api.Test;

class FormatAndRecoveryTest {

    private static final int BS = 512;
    private final Object lock = new Object();

    @Test
    void formatsBlankDeviceWithDmWritecacheLayout() throws Exception {
        SimulatedPmemDevice pmem = new SimulatedPmemDevice(64 * 1024);
        CacheLayout layout = CacheLayout.format(pmem, 4096);
        // n_blocks = 65536 / (4096 + 16) = 15; metadata 64 + 16*15 = 304 -> data at 4096; 4096 + 15*4096 = 65536 fits.
        assertEquals(15, layout.nBlocks());
        assertEquals(4096, layout.dataStartBytes());
        assertEquals(CacheLayout.MAGIC, pmem.readInt(0));
        assertEquals(1, pmem.readInt(4));
        assertEquals(4096, pmem.readInt(8));
        assertEquals(15, pmem.readLong(16));
        assertEquals(0, pmem.readLong(24));
        assertEquals(-1L, pmem.readLong(64 + 8));
        assertEquals(0, pmem.dirtyWords(), "format must leave everything durable");
    }

    @Test
    void decrementsBlockCountUntilItFits() {
        // 8192 / 528 = 15 blocks of 512, metadata 64+240=304 -> 512, 512 + 15*512 = 8192: fits.
        assertEquals(15, CacheLayout.forDevice(8192, 512).nBlocks());
        // 8191 bytes: 15 -> does not fit (8192), 14 -> 512 + 7168 fits.
        assertEquals(14, CacheLayout.forDevice(8191, 512).nBlocks());
    }

    @Test
    void refusesForeignHeaderAndLeavesItUntouched() {
        SimulatedPmemDevice pmem = new SimulatedPmemDevice(64 * 1024);
        pmem.writeLong(0, 0x1234_5678_9abc_def0L);
        pmem.writeLong(64, 42);
        VolumeException e = assertThrows(VolumeException.class,
                () -> TestVolumes.open(pmem, new MemBackingDevice(lock, 1 << 20), BS, opts()));
        assertTrue(e.getMessage().contains("magic"), e.getMessage());
        assertEquals(0x1234_5678_9abc_def0L, pmem.readLong(0));
        assertEquals(42, pmem.readLong(64));
    }

    @Test
    void refusesWrongVersionAndDifferentBlockSize() {
        SimulatedPmemDevice pmem = new SimulatedPmemDevice(64 * 1024);
        CacheLayout.format(pmem, 4096);
        VolumeException e = assertThrows(VolumeException.class,
                () -> TestVolumes.open(pmem, new MemBackingDevice(lock, 1 << 20), 512, opts()));
        assertTrue(e.getMessage().contains("block size 4096"), e.getMessage());
        SimulatedPmemDevice pmem2 = new SimulatedPmemDevice(64 * 1024);
        CacheLayout.format(pmem2, 4096);
        pmem2.writeInt(4, 2);
        e = assertThrows(VolumeException.class,
                () -> TestVolumes.open(pmem2, new MemBackingDevice(lock, 1 << 20), 4096, opts()));
        assertTrue(e.getMessage().contains("version 2"), e.getMessage());
    }

    @Test
    void refusesDeviceTooSmallForOneBlock() {
        SimulatedPmemDevice pmem = new SimulatedPmemDevice(1024);
        VolumeException e = assertThrows(VolumeException.class,
                () -> TestVolumes.open(pmem, new MemBackingDevice(lock, 1 << 20), 4096, opts()));
        assertTrue(e.getMessage().contains("too small"), e.getMessage());
        assertEquals(0, pmem.readLong(0), "a refused device stays blank");
    }

    @Test
    void uncommittedWritesAreErasedAndCommittedKept() throws Exception {
        SimulatedPmemDevice pmem = new SimulatedPmemDevice(TestVolumes.cacheBytes(BS, 16));
        MemBackingDevice backing = new MemBackingDevice(lock, 64 * BS);
        Volume v = TestVolumes.open(pmem, backing, BS, opts("autocommit_blocks", "1000", "autocommit_time", "3600000"));
        v.write(0, block(BS, 11), true);
        v.write(BS, block(BS, 22), false);
        SimulatedPmemDevice after = pmem.cleanCopy();
        v.close();
        Volume r = TestVolumes.open(after, new MemBackingDevice(lock, 64 * BS), BS, opts());
        assertEquals(11, readTag(r, 0));
        assertEquals(0, readTag(r, BS), "an uncommitted write must be gone after a crash");
        assertEquals(15, r.status().blocksFree());
        r.close();
        assertEquals(-1L, after.readLong(CacheLayout.entryOffset(1) + 8), "recovery erases the uncommitted entry");
    }

    @Test
    void highestSeqWinsAndEqualSeqIsCorruption() throws Exception {
        SimulatedPmemDevice pmem = new SimulatedPmemDevice(TestVolumes.cacheBytes(BS, 8));
        CacheLayout layout = CacheLayout.format(pmem, BS);
        pmem.writeLong(24, 10);
        writeEntry(pmem, layout, 0, 8, 3, 33);
        writeEntry(pmem, layout, 1, 8, 7, 77);
        writeEntry(pmem, layout, 2, 8, 5, 55);
        writeEntry(pmem, layout, 3, 16, 12, 99);
        Volume v = TestVolumes.open(pmem.cleanCopy(), new MemBackingDevice(lock, 64 * BS), BS, opts());
        assertFalse(v.readOnly());
        assertEquals(77, readTag(v, 8 * 512));
        assertEquals(0, readTag(v, 16 * 512), "seq 12 >= superblock seq 10: never committed");
        assertEquals(7, v.status().blocksFree());
        v.close();

        writeEntry(pmem, layout, 4, 8, 7, 78);
        Volume bad = TestVolumes.open(pmem.cleanCopy(), new MemBackingDevice(lock, 64 * BS), BS, opts());
        assertTrue(bad.readOnly());
        assertNotNull(bad.status().error());
        assertTrue(bad.status().error().contains("seq 7"), bad.status().error());
        VolumeException e = assertThrows(VolumeException.class, () -> bad.write(0, block(BS, 1), false));
        assertEquals(VolumeException.Kind.READ_ONLY, e.kind());
        bad.read(0, java.nio.ByteBuffer.allocate(BS));
        bad.close();
    }

    static void writeEntry(SimulatedPmemDevice pmem, CacheLayout layout, int e, long sector, long seq, long tag) {
        pmem.writeLong(CacheLayout.entryOffset(e), sector);
        pmem.writeLong(CacheLayout.entryOffset(e) + 8, seq);
        pmem.writePersistent(layout.dataOffset(e), block(layout.blockSizeBytes(), tag));
        pmem.flush(0, pmem.sizeBytes());
        pmem.drain();
    }

    @Test
    void recoversOneMillionEntriesQuickly() throws Exception {
        int n = 1 << 20;
        CacheIndex index = new CacheIndex(n);
        SimulatedPmemDevice pmem = new SimulatedPmemDevice(64 + 16L * n + 512L * n + 512);
        CacheLayout layout = CacheLayout.format(pmem, 512);
        Random rnd = new Random(1);
        pmem.writeLong(24, 1_000_000);
        for (int e = 0; e < layout.nBlocks(); e++) {
            pmem.writeLong(CacheLayout.entryOffset(e), (long) e * 1);
            pmem.writeLong(CacheLayout.entryOffset(e) + 8, rnd.nextInt(999_000));
        }
        long t0 = System.nanoTime();
        Recovery.Result r = Recovery.run(pmem, layout, new CacheIndex((int) layout.nBlocks()), 1L << 40);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(null, r.corruption());
        assertEquals(layout.nBlocks(), r.recovered());
        System.out.println("recovery of " + layout.nBlocks() + " entries (simulated device) took " + ms + " ms");
        assertTrue(index.ramBytes() <= 32L * n, "index RAM " + index.ramBytes() + " > 32 B per block");
    }
}

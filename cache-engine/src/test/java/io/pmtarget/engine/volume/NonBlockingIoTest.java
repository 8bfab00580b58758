package io.pmtarget.engine.volume;

import static io.pmtarget.engine.volume.TestVolumes.block;
import static io.pmtarget.engine.volume.TestVolumes.opts;
import static io.pmtarget.engine.volume.TestVolumes.readTag;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.pmtarget.engine.pmem.PmemDevices;
import io.pmtarget.engine.pmem.SimulatedPmemDevice;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** tryWrite / tryRead: the calls an event loop makes, which must decline rather than wait. */
class NonBlockingIoTest {

    private static final int BS = 4096;
    private static final Map<String, String> QUIET = opts("high_watermark", "100", "low_watermark", "100",
            "autocommit_blocks", "1000000", "autocommit_time", "3600000");
    private final Object lock = new Object();

    @TempDir
    Path dir;

    private Volume open(int cacheBlocks, MemBackingDevice backing, Map<String, String> options) throws Exception {
        return TestVolumes.open(new SimulatedPmemDevice(TestVolumes.cacheBytes(BS, cacheBlocks)), backing, BS, options);
    }

    private static ByteBuffer blocks(long... tags) {
        ByteBuffer b = ByteBuffer.allocate(tags.length * BS);
        for (long tag : tags) {
            b.put(block(BS, tag));
        }
        return b.flip();
    }

    @Test
    void tryWriteCachesWithoutCommittingAndCountsAsAWrite() throws Exception {
        Volume v = open(8, new MemBackingDevice(lock, 64 * BS), QUIET);
        ByteBuffer src = blocks(11, 12);
        assertTrue(v.tryWrite(2 * BS, src, false));
        assertFalse(src.hasRemaining(), "consumed like write()");
        assertEquals(11, readTag(v, 2 * BS));
        assertEquals(12, readTag(v, 3 * BS));
        assertEquals(6, v.status().blocksFree());
        Map<String, Long> c = v.status().counters();
        assertEquals(1, c.get("inline_writes"));
        assertEquals(1, c.get("writes"));
        assertEquals(0, c.get("commits"), "a non-FUA write does not commit");
        v.close();
    }

    @Test
    void tryWriteWithFuaAndTryFlushCommitOnTheCallersThread() throws Exception {
        SimulatedPmemDevice pmem = new SimulatedPmemDevice(TestVolumes.cacheBytes(BS, 8));
        Volume v = TestVolumes.open(pmem, new MemBackingDevice(lock, 64 * BS), BS, QUIET);
        assertTrue(v.tryWrite(0, blocks(21), true));
        assertEquals(1, v.status().counters().get("commits"));
        assertTrue(v.tryWrite(BS, blocks(22), false));
        assertEquals(1, v.status().counters().get("commits"));
        assertTrue(v.tryFlush());
        assertEquals(2, v.status().counters().get("commits"));
        assertEquals(2, v.status().counters().get("inline_writes"));
        // Both are committed: they survive a crash (which keeps a random subset of what was not durable).
        SimulatedPmemDevice crashed = pmem.crash(new java.util.Random(1));
        Volume r = TestVolumes.open(crashed, new MemBackingDevice(lock, 64 * BS), BS, QUIET);
        assertEquals(21, readTag(r, 0));
        assertEquals(22, readTag(r, BS));
        r.close();
    }

    @Test
    void tryWriteDeclinesOnAFullCacheLeavingSourceUntouched() throws Exception {
        Volume v = open(4, new MemBackingDevice(lock, 64 * BS), QUIET);
        v.write(0, blocks(1, 2, 3), false);
        // An uncommitted block is overwritten in place, so it needs no free entry.
        assertTrue(v.tryWrite(0, blocks(9), false));
        assertEquals(9, readTag(v, 0));
        assertEquals(1, v.status().blocksFree());
        ByteBuffer src = blocks(7, 8); // block 10 fits, block 11 finds no free entry
        int position = src.position();
        assertFalse(v.tryWrite(10 * BS, src, false));
        assertEquals(position, src.position(), "the caller retries with write() from the same position");
        assertEquals(src.capacity(), src.limit());
        assertEquals(0, readTag(v, 11 * BS), "nothing of the second block was written");
        assertEquals(1, v.status().counters().get("inline_fallbacks"));
        assertEquals(1, v.status().counters().get("inline_writes"));
        v.close();
    }

    @Test
    void tryWriteDeclinesInCleanerModeAndFailsOnReadOnly() throws Exception {
        Volume v = open(8, new MemBackingDevice(lock, 64 * BS), QUIET);
        v.message("cleaner");
        ByteBuffer src = blocks(5);
        assertFalse(v.tryWrite(0, src, false), "cleaner mode writes through to the backing device: that blocks");
        assertEquals(0, src.position());
        v.close();
        assertEquals(VolumeException.Kind.CLOSED,
                assertThrows(VolumeException.class, () -> v.tryWrite(0, blocks(6), false)).kind());
    }

    @Test
    void tryReadServesCachedBlocksAndDeclinesABackingReadThatCouldBlock() throws Exception {
        MemBackingDevice backing = new MemBackingDevice(lock, 64 * BS);
        backing.write(5L * BS, blocks(55));
        Volume v = open(8, backing, QUIET);
        v.write(4 * BS, blocks(44), false);

        ByteBuffer hit = ByteBuffer.allocate(BS);
        assertTrue(v.tryRead(4 * BS, hit));
        assertEquals(44, hit.getLong(0));
        assertFalse(hit.hasRemaining());

        ByteBuffer mixed = ByteBuffer.allocate(2 * BS); // block 4 cached, block 5 only on the backing device
        int readsBefore = backing.readCalls.get();
        assertFalse(v.tryRead(4 * BS, mixed));
        assertEquals(0, mixed.position(), "the caller retries with read() from the same position");
        assertEquals(readsBefore, backing.readCalls.get(), "no backing I/O was started");

        backing.readsInRam = true;
        assertTrue(v.tryRead(4 * BS, mixed));
        assertEquals(44, mixed.getLong(0));
        assertEquals(55, mixed.getLong(BS));
        Map<String, Long> c = v.status().counters();
        assertEquals(2, c.get("inline_reads"));
        assertEquals(1, c.get("inline_fallbacks"));
        assertEquals(2, c.get("read_hit_blocks"), "the declined read is not counted");
        v.close();
    }

    @Test
    void realFilesMsyncPersistenceNeverWritesInlineAndDiskBackingNeverReadsInline() throws Exception {
        VolumeSpec spec = new VolumeSpec("disk", dir.resolve("c.img"), 4L << 20, dir.resolve("b.img"), 8L << 20, BS,
                "java", QUIET);
        try (Volume v = Volumes.open(spec)) {
            assumeTrue(!PmemDevices.onRamFileSystem(dir), "the temp dir must be on a disk file system");
            assertFalse(v.tryWrite(0, blocks(1), false), "msync persistence is a system call");
            assertFalse(v.tryFlush(), "so is an msync commit");
            v.write(0, blocks(1), false);
            assertTrue(v.tryRead(0, ByteBuffer.allocate(BS)), "a cached block is a memory copy");
            assertFalse(v.tryRead(BS, ByteBuffer.allocate(BS)), "a disk read may block");
        }
    }

    @Test
    void realFilesOnTmpfsReadAndWriteInline() throws Exception {
        Path shm = Path.of("/dev/shm");
        assumeTrue(Files.isDirectory(shm) && PmemDevices.onRamFileSystem(shm), "needs /dev/shm on tmpfs");
        Path sub = Files.createTempDirectory(shm, "nbio");
        try {
            VolumeSpec spec = new VolumeSpec("ram", sub.resolve("c.img"), 4L << 20, sub.resolve("b.img"), 8L << 20,
                    BS, "auto", QUIET);
            try (Volume v = Volumes.open(spec)) {
                assertTrue(v.tryWrite(0, blocks(3), false), "native persistence on tmpfs is CPU-only");
                assertTrue(v.tryRead(BS, ByteBuffer.allocate(BS)), "a tmpfs backing file is RAM");
                assertEquals(3, readTag(v, 0));
            }
        } finally {
            try (var files = Files.list(sub)) {
                for (Path f : (Iterable<Path>) files::iterator) {
                    Files.delete(f);
                }
            }
            Files.delete(sub);
        }
    }
}

package io.pmtarget.engine.volume;

import static io.pmtarget.engine.volume.TestVolumes.block;
import static io.pmtarget.engine.volume.TestVolumes.opts;
import static io.pmtarget.engine.volume.TestVolumes.readTag;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pmtarget.engine.pmem.SimulatedPmemDevice;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class VolumeIoTest {

    private static final int BS = 512;
    private final Object lock = new Object();
    /** No writeback unless a test asks for it; no time-based commits. */
    private static final Map<String, String> QUIET = opts("high_watermark", "100", "low_watermark", "100",
            "autocommit_blocks", "1000000", "autocommit_time", "3600000");

    private Volume open(int cacheBlocks, MemBackingDevice backing, Map<String, String> options) throws Exception {
        return TestVolumes.open(new SimulatedPmemDevice(TestVolumes.cacheBytes(BS, cacheBlocks)), backing, BS, options);
    }

    @Test
    void uncommittedOverwriteIsInPlaceCommittedOverwriteTakesNewEntry() throws Exception {
        Volume v = open(16, new MemBackingDevice(lock, 64 * BS), QUIET);
        v.write(0, block(BS, 1), false);
        v.write(0, block(BS, 2), false);
        assertEquals(15, v.status().blocksFree(), "uncommitted overwrite reuses the entry");
        assertEquals(1, v.status().counters().get("write_hit_blocks"));
        v.flush();
        v.write(0, block(BS, 3), false);
        assertEquals(14, v.status().blocksFree(), "committed data is never overwritten in place");
        assertEquals(3, readTag(v, 0));
        v.flush();
        assertEquals(15, v.status().blocksFree(), "the superseded version is freed after the commit");
        assertEquals(3, readTag(v, 0));
        v.close();
    }

    @Test
    void misalignedOrOutOfRangeIsIllegalArgument() throws Exception {
        Volume v = open(16, new MemBackingDevice(lock, 64 * BS), QUIET);
        assertThrows(IllegalArgumentException.class, () -> v.write(100, block(BS, 1), false));
        assertThrows(IllegalArgumentException.class, () -> v.write(0, ByteBuffer.allocate(100), false));
        assertThrows(IllegalArgumentException.class, () -> v.read(64 * BS, ByteBuffer.allocate(BS)));
        assertThrows(IllegalArgumentException.class, () -> v.discard(63 * BS, 2 * BS));
        v.close();
        assertEquals(VolumeException.Kind.CLOSED,
                assertThrows(VolumeException.class, () -> v.read(0, ByteBuffer.allocate(BS))).kind());
    }

    @Test
    void readSplitsCachedAndBackingPiecesAndReadsUncachedRunInOneIo() throws Exception {
        MemBackingDevice backing = new MemBackingDevice(lock, 64 * BS);
        for (int b = 0; b < 8; b++) {
            backing.write((long) b * BS, block(BS, 100 + b));
        }
        Volume v = open(16, backing, QUIET);
        v.write(2 * BS, block(BS, 2), false);
        v.write(5 * BS, block(BS, 5), false);
        int readsBefore = backing.readCalls.get();
        ByteBuffer dst = ByteBuffer.allocate(8 * BS);
        v.read(0, dst);
        assertEquals(8 * BS, dst.position());
        long[] expected = {100, 101, 2, 103, 104, 5, 106, 107};
        for (int b = 0; b < 8; b++) {
            assertEquals(expected[b], dst.getLong(b * BS), "block " + b);
        }
        assertEquals(3, backing.readCalls.get() - readsBefore, "runs [0,2) [3,5) [6,8) from the backing device");
        readsBefore = backing.readCalls.get();
        v.read(8 * BS, ByteBuffer.allocate(16 * BS));
        assertEquals(1, backing.readCalls.get() - readsBefore, "an uncached range is one backing I/O");
        assertEquals(2, v.status().counters().get("read_hit_blocks"));
        v.close();
    }

    @Test
    void writebackIsOldestFirstMergedAndByteExact() throws Exception {
        MemBackingDevice backing = new MemBackingDevice(lock, 64 * BS);
        Volume v = open(16, backing, QUIET);
        for (int b : new int[] {7, 3, 4, 5, 9}) {
            v.write((long) b * BS, block(BS, b), false);
        }
        v.message("flush");
        assertEquals(16, v.status().blocksFree());
        for (int b : new int[] {7, 3, 4, 5, 9}) {
            assertEquals(b, ByteBuffer.wrap(backing.snapshot()).getLong(b * BS));
        }
        // One batch, sorted by sector, runs merged: [3..5], [7], [9] -> three writes, the first 3 blocks long.
        assertEquals(3, backing.writeLog.size());
        assertEquals(3L * BS, backing.writeLog.get(0)[0]);
        assertEquals(3L * BS, backing.writeLog.get(0)[1]);
        assertEquals(5L * BS, v.status().counters().get("writeback_bytes"));
        v.close();
    }

    @Test
    void overwriteUnderWritebackTakesNewEntryAndNewestWins() throws Exception {
        Object gate = new Object();
        MemBackingDevice backing = new MemBackingDevice(gate, 64 * BS);
        Volume v = open(16, backing, QUIET);
        v.write(0, block(BS, 1), true);
        CompletableFuture<Void> drain;
        synchronized (gate) {
            // The backing device is blocked: writeback of block 0 is in flight and cannot finish.
            drain = CompletableFuture.runAsync(() -> {
                try {
                    v.message("flush");
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (v.status().blocksWriteback() == 0 && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
            assertEquals(1, v.status().blocksWriteback());
            v.write(0, block(BS, 2), true);
            assertEquals(14, v.status().blocksFree(), "the block under writeback is not overwritten in place");
        }
        drain.get(10, TimeUnit.SECONDS);
        assertEquals(2, readTag(v, 0));
        // The first flush message waits only for what was cached when it arrived (version 1); version 2 was
        // written during it, so a second message writes it back.
        v.message("flush");
        assertEquals(2, ByteBuffer.wrap(backing.snapshot()).getLong(0), "newest version written back last");
        v.close();
    }

    @Test
    void discardDropsCachedDataAndZeroesBacking() throws Exception {
        MemBackingDevice backing = new MemBackingDevice(lock, 64 * BS);
        backing.write(0, block(BS, 50));
        Volume v = open(16, backing, QUIET);
        v.write(BS, block(BS, 1), true);
        v.write(2 * BS, block(BS, 2), false);
        v.write(4 * BS, block(BS, 4), false);
        v.discard(0, 3 * BS);
        assertEquals(0, readTag(v, 0));
        assertEquals(0, readTag(v, BS));
        assertEquals(0, readTag(v, 2 * BS));
        assertEquals(4, readTag(v, 4 * BS));
        assertEquals(15, v.status().blocksFree());
        assertEquals(1, v.status().counters().get("discards"));
        v.close();
    }

    @Test
    void fullCacheWaitsThenProceedsAsWritebackFreesSpace() throws Exception {
        MemBackingDevice backing = new MemBackingDevice(lock, 256 * BS);
        Volume v = open(8, backing, opts("autocommit_blocks", "4", "writeback_jobs", "2"));
        for (int b = 0; b < 100; b++) {
            v.write((long) b * BS, block(BS, 1000 + b), false);
        }
        v.flush();
        assertTrue(v.status().counters().get("full_cache_waits") > 0, "the cache of 8 blocks had to fill up");
        for (int b = 0; b < 100; b++) {
            assertEquals(1000 + b, readTag(v, (long) b * BS));
        }
        v.close(true);
        for (int b = 0; b < 100; b++) {
            assertEquals(1000 + b, ByteBuffer.wrap(backing.snapshot()).getLong(b * BS));
        }
    }

    @Test
    void backingWriteErrorIsStickyDataKeptWritesAcceptedWhileRoom() throws Exception {
        MemBackingDevice backing = new MemBackingDevice(lock, 64 * BS);
        Volume v = open(16, backing, QUIET);
        backing.failWritesAfter(0);
        v.write(0, block(BS, 1), true);
        assertThrows(VolumeException.class, () -> v.message("flush"));
        VolumeStatus s = v.status();
        assertNotNull(s.error());
        assertTrue(s.error().contains("injected"), s.error());
        assertEquals(1, readTag(v, 0), "cached data stays readable");
        backing.failWritesAfter(-1);
        v.write(BS, block(BS, 2), true);
        assertEquals(2, readTag(v, BS));
        assertEquals(14, v.status().blocksFree(), "writeback stays stopped after the error");
        assertNotNull(v.status().error());
        v.close();
    }

    @Test
    void groupCommitServesConcurrentFlushes() throws Exception {
        Volume v = open(64, new MemBackingDevice(lock, 256 * BS), QUIET);
        int threads = 4;
        int rounds = 50;
        CompletableFuture<?>[] fs = new CompletableFuture<?>[threads];
        for (int t = 0; t < threads; t++) {
            int id = t;
            fs[t] = CompletableFuture.runAsync(() -> {
                try {
                    for (int i = 0; i < rounds; i++) {
                        v.write((long) (id * 8 + i % 8) * BS, block(BS, id * 1000 + i), true);
                    }
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
        }
        CompletableFuture.allOf(fs).get(60, TimeUnit.SECONDS);
        Map<String, Long> c = v.status().counters();
        assertEquals(threads * rounds, c.get("commit_requests"));
        assertTrue(c.get("commits") <= c.get("commit_requests"), c.toString());
        for (int t = 0; t < threads; t++) {
            for (int i = rounds - 8; i < rounds; i++) {
                assertEquals(t * 1000 + i, readTag(v, (long) (t * 8 + i % 8) * BS));
            }
        }
        v.close();
    }

    @Test
    void cleanerWritesThroughAndDrains() throws Exception {
        MemBackingDevice backing = new MemBackingDevice(lock, 64 * BS);
        Volume v = open(16, backing, QUIET);
        v.write(0, block(BS, 1), false);
        v.message("cleaner");
        assertEquals(16, v.status().blocksFree());
        v.write(BS, block(BS, 2), true);
        assertEquals(16, v.status().blocksFree(), "cleaner mode caches no new block");
        assertEquals(2, ByteBuffer.wrap(backing.snapshot()).getLong(BS));
        assertEquals(1, ByteBuffer.wrap(backing.snapshot()).getLong(0));
        v.close();
    }

    @Test
    void flushOnSuspendAndCloseWithDrainWriteEverythingBack() throws Exception {
        MemBackingDevice backing = new MemBackingDevice(lock, 64 * BS);
        Volume v = open(16, backing, QUIET);
        v.write(0, block(BS, 1), false);
        v.message("flush_on_suspend");
        v.close();
        assertEquals(1, ByteBuffer.wrap(backing.snapshot()).getLong(0), "close drains with flush_on_suspend");

        MemBackingDevice backing2 = new MemBackingDevice(lock, 64 * BS);
        Volume w = open(16, backing2, QUIET);
        w.write(BS, block(BS, 2), false);
        w.close(false);
        assertEquals(0, ByteBuffer.wrap(backing2.snapshot()).getLong(BS), "a plain close only commits");
        MemBackingDevice backing3 = new MemBackingDevice(lock, 64 * BS);
        Volume x = open(16, backing3, QUIET);
        x.write(BS, block(BS, 3), false);
        x.close(true);
        assertEquals(3, ByteBuffer.wrap(backing3.snapshot()).getLong(BS), "close(true) drains first");
    }

    @Test
    void statusShowsCountersAndMode() throws Exception {
        Volume v = open(16, new MemBackingDevice(lock, 64 * BS), QUIET);
        v.write(0, block(BS, 1), true);
        v.read(0, ByteBuffer.allocate(BS));
        VolumeStatus s = v.status();
        assertNull(s.error());
        assertEquals("simulated", s.persistenceMode());
        assertEquals(16, s.blocksTotal());
        assertEquals(1, s.counters().get("writes"));
        assertEquals(1, s.counters().get("reads"));
        assertEquals(1, s.counters().get("commits"));
        assertThrows(IllegalArgumentException.class, () -> v.message("bogus"));
        v.close();
    }
}

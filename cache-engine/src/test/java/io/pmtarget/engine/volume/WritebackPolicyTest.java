package io.pmtarget.engine.volume;

import static io.pmtarget.engine.volume.TestVolumes.block;
import static io.pmtarget.engine.volume.TestVolumes.opts;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pmtarget.engine.pmem.SimulatedPmemDevice;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/** Watermarks, max_age, time-based autocommit and FIFO order across a restart. */
class WritebackPolicyTest {

    private static final int BS = 512;
    private final Object lock = new Object();

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for: " + what);
            }
            Thread.sleep(5);
        }
    }

    @Test
    void writebackRunsFromHighToLowWatermarkThenStops() throws Exception {
        MemBackingDevice backing = new MemBackingDevice(lock, 64 * BS);
        Volume v = TestVolumes.open(new SimulatedPmemDevice(TestVolumes.cacheBytes(BS, 20)), backing, BS,
                opts("high_watermark", "50", "low_watermark", "25", "autocommit_time", "3600000"));
        for (int b = 0; b < 9; b++) {
            v.write((long) b * BS, block(BS, b + 1), true);
        }
        Thread.sleep(200);
        assertEquals(11, v.status().blocksFree(), "45% used is below the high watermark: no writeback");
        v.write(9L * BS, block(BS, 10), true);
        v.write(10L * BS, block(BS, 11), true);
        // 11 used = 55% >= 50%: write back until below 25% (5 blocks), i.e. 6 or more blocks written back.
        await(() -> v.status().blocksFree() >= 15, "writeback down to the low watermark");
        Thread.sleep(200);
        assertEquals(16, v.status().blocksFree(), "writeback stops once below the low watermark");
        // Oldest first: blocks 0..6 were written first.
        for (int b = 0; b < 7; b++) {
            assertEquals(b + 1, ByteBuffer.wrap(backing.snapshot()).getLong(b * BS), "block " + b);
        }
        assertEquals(0, ByteBuffer.wrap(backing.snapshot()).getLong(10 * BS));
        v.close();
    }

    @Test
    void maxAgeWritesBackOldBlocks() throws Exception {
        MemBackingDevice backing = new MemBackingDevice(lock, 64 * BS);
        Volume v = TestVolumes.open(new SimulatedPmemDevice(TestVolumes.cacheBytes(BS, 20)), backing, BS,
                opts("high_watermark", "100", "low_watermark", "100", "max_age", "100"));
        v.write(0, block(BS, 5), true);
        await(() -> v.status().blocksFree() == 20, "max_age writeback");
        assertEquals(5, ByteBuffer.wrap(backing.snapshot()).getLong(0));
        v.close();
    }

    @Test
    void autocommitTimeCommitsWithoutARequest() throws Exception {
        SimulatedPmemDevice pmem = new SimulatedPmemDevice(TestVolumes.cacheBytes(BS, 20));
        Volume v = TestVolumes.open(pmem, new MemBackingDevice(lock, 64 * BS), BS,
                opts("high_watermark", "100", "low_watermark", "100", "autocommit_time", "50"));
        v.write(0, block(BS, 5), false);
        await(() -> v.status().counters().get("commits") == 1, "time-based autocommit");
        assertEquals(0, v.status().counters().get("commit_requests"));
        Volume r = TestVolumes.open(pmem.crash(new java.util.Random(1)), new MemBackingDevice(lock, 64 * BS), BS,
                opts());
        assertEquals(5, TestVolumes.readTag(r, 0), "the autocommitted write survives a crash");
        r.close();
        v.close();
    }

    @Test
    void autocommitBlocksCommitsAfterThatManyBlocks() throws Exception {
        Volume v = TestVolumes.open(new SimulatedPmemDevice(TestVolumes.cacheBytes(BS, 20)),
                new MemBackingDevice(lock, 64 * BS), BS,
                opts("high_watermark", "100", "low_watermark", "100", "autocommit_blocks", "3",
                        "autocommit_time", "3600000"));
        v.write(0, block(BS, 1), false);
        v.write(BS, block(BS, 2), false);
        assertEquals(0, v.status().counters().get("commits"));
        v.write(2 * BS, block(BS, 3), false);
        assertEquals(1, v.status().counters().get("commits"));
        v.close();
    }

    @Test
    void fifoOrderByseqSurvivesRestart() throws Exception {
        SimulatedPmemDevice pmem = new SimulatedPmemDevice(TestVolumes.cacheBytes(BS, 8));
        CacheLayout layout = CacheLayout.format(pmem, BS);
        pmem.writeLong(24, 10);
        // Entry order differs from seq order: writeback must follow seq (2, 3, 5) -> sectors 3, 5, 9.
        FormatAndRecoveryTest.writeEntry(pmem, layout, 0, 9, 5, 9);
        FormatAndRecoveryTest.writeEntry(pmem, layout, 1, 3, 2, 3);
        FormatAndRecoveryTest.writeEntry(pmem, layout, 2, 5, 3, 5);
        MemBackingDevice backing = new MemBackingDevice(lock, 64 * BS);
        Volume v = TestVolumes.open(pmem, backing, BS, opts("writeback_jobs", "1"));
        v.message("flush");
        assertEquals(3, backing.writeLog.size());
        assertEquals(3L * BS, backing.writeLog.get(0)[0]);
        assertEquals(5L * BS, backing.writeLog.get(1)[0]);
        assertEquals(9L * BS, backing.writeLog.get(2)[0]);
        v.close();
    }

    @Test
    void startSectorPlacesTheCacheAfterAnOffset() throws Exception {
        SimulatedPmemDevice pmem = new SimulatedPmemDevice(TestVolumes.cacheBytes(BS, 8) + 4096);
        Volume v = TestVolumes.open(pmem, new MemBackingDevice(lock, 64 * BS), BS, opts("start_sector", "8"));
        v.write(0, block(BS, 3), true);
        v.close();
        assertEquals(0, pmem.readLong(0), "the first 8 sectors are left alone");
        assertEquals(CacheLayout.MAGIC, pmem.readInt(4096));
        assertTrue(pmem.readLong(4096 + CacheLayout.SB_SEQ_COUNT_OFFSET) >= 1);
    }
}

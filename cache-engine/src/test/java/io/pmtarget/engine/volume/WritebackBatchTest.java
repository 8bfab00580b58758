package io.pmtarget.engine.volume;

import static io.pmtarget.engine.volume.TestVolumes.block;
import static io.pmtarget.engine.volume.TestVolumes.opts;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pmtarget.engine.pmem.SimulatedPmemDevice;
import io.pmtarget.engine.writeback.Writeback;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Batch size of writeback: whole batches while free space is plentiful, small ones while writers wait for
 * space (no entry of a batch is freed before the whole batch is forced, so a waiting writer waits for it).
 */
class WritebackBatchTest {

    private static final int BS = 512;

    /** Counts the blocks written between two forces (one writeback batch) and keeps the largest count. */
    private static final class BatchCountingBacking extends DelegatingBacking {
        private final long delayMicrosPerWrite;
        private long blocksSinceForce;
        final AtomicLong largestBatchBlocks = new AtomicLong();
        final AtomicLong batches = new AtomicLong();

        BatchCountingBacking(MemBackingDevice inner, long delayMicrosPerWrite) {
            super(inner);
            this.delayMicrosPerWrite = delayMicrosPerWrite;
        }

        @Override
        public synchronized void write(long offsetBytes, ByteBuffer src) throws IOException {
            blocksSinceForce += src.remaining() / BS;
            inner.write(offsetBytes, src);
            if (delayMicrosPerWrite > 0) {
                try {
                    TimeUnit.MICROSECONDS.sleep(delayMicrosPerWrite);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new java.io.InterruptedIOException();
                }
            }
        }

        @Override
        public synchronized void force() throws IOException {
            inner.force();
            if (blocksSinceForce > 0) {
                batches.incrementAndGet();
                largestBatchBlocks.accumulateAndGet(blocksSinceForce, Math::max);
            }
            blocksSinceForce = 0;
        }
    }

    @Test
    void plentyOfFreeSpaceWritesBackInWholeBatches() throws Exception {
        int cacheBlocks = 8192;
        BatchCountingBacking backing = new BatchCountingBacking(new MemBackingDevice(new Object(), 16384 * BS), 0);
        Volume v = Volumes.open(TestVolumes.spec(BS, opts("high_watermark", "50", "low_watermark", "10",
                "autocommit_time", "3600000")), new SimulatedPmemDevice(TestVolumes.cacheBytes(BS, cacheBlocks)),
                backing, CommitFault.NONE);
        // Every other block, so no two are contiguous: one backing write per block.
        for (int b = 0; b < 4200; b++) {
            v.write(2L * b * BS, block(BS, b + 1), false);
        }
        v.flush();
        // Crossing the high watermark (4096 used) starts writeback down to the low one (819): at least 3277
        // blocks. Not "down to 819 at the end": when writeback gets there before the last writes, those stay
        // cached (below the high watermark nothing restarts it), as in dm-writecache.
        long wantBlocks = 4096 - 819;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while ((v.status().counters().get("writeback_blocks") < wantBlocks || v.status().blocksWriteback() > 0)
                && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertTrue(v.status().counters().get("writeback_blocks") >= wantBlocks, "writeback reached the low watermark: "
                + v.status());
        // At most 4200 used of 8192 (51 %), so at least 3992 free: more than two whole batches, so whole batches.
        assertEquals(Writeback.BATCH_BLOCKS_UNLIMITED, backing.largestBatchBlocks.get());
        v.close();
    }

    @Test
    void writersWaitingForSpaceGetSmallBatches() throws Exception {
        int cacheBlocks = 512;
        BatchCountingBacking backing = new BatchCountingBacking(new MemBackingDevice(new Object(), 16384 * BS), 20);
        Volume v = Volumes.open(TestVolumes.spec(BS, opts("autocommit_time", "3600000")),
                new SimulatedPmemDevice(TestVolumes.cacheBytes(BS, cacheBlocks)), backing, CommitFault.NONE);
        int blocks = 3000; // six times the cache: writers wait for space again and again
        for (int b = 0; b < blocks; b++) {
            v.write(2L * b * BS, block(BS, b + 1), false);
        }
        assertTrue(v.status().counters().get("full_cache_waits") > 0, "the writer waited for space");
        assertTrue(backing.batches.get() >= (blocks - cacheBlocks) / Writeback.BATCH_BLOCKS_URGENT,
                "at least " + (blocks - cacheBlocks) / Writeback.BATCH_BLOCKS_URGENT + " batches: " + backing.batches.get());
        assertTrue(backing.largestBatchBlocks.get() <= Writeback.BATCH_BLOCKS_URGENT,
                "largest batch " + backing.largestBatchBlocks.get() + " blocks");
        for (int b = 0; b < blocks; b += 97) {
            assertEquals(b + 1, TestVolumes.readTag(v, 2L * b * BS), "block " + b);
        }
        v.close();
    }
}
